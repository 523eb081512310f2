from __future__ import annotations

from django.urls import path

from haucan.reporting import views, views_review

# Names are global ("entry", "completeness") because the navigation bar reverses "entry".
urlpatterns = [
    path("entry/", views.entry, name="entry"),
    path("entry/save/", views.save, name="entry_save"),
    path("entry/cell/", views.cell, name="entry_cell"),
    path("entry/submit/", views.submit, name="entry_submit"),
    path("entry/validate/", views.validate, name="entry_validate"),
    path("entry/reopen/", views.reopen, name="entry_reopen"),
    path("completeness/", views.completeness, name="completeness"),
]

# Review pages above data entry (haucan.reporting.views_review).
urlpatterns += [
    path("approval/", views_review.approval_overview, name="approval"),
    path("approval/action/", views_review.approval_action, name="approval_action"),
    path("audit/", views_review.value_audit, name="value_audit"),
    path("minmax/", views_review.minmax_generate, name="minmax"),
]
