from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from haucan.medical import views, views_entry, views_epidemic

app_name = "medical"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("army/", views.army_fragment, name="army_fragment"),
    path("unit/<str:unit_uid>/", views.by_unit, name="by_unit"),
    path("f/<str:uid>/", views.facility_board, name="board"),
    path("f/<str:uid>/live/", views.board_fragment, name="board_fragment"),
    path("f/<str:uid>/report/", views.report, name="report"),
    path("f/<str:uid>/patients/", views_entry.patients, name="patients"),
    path("f/<str:uid>/admit/", views_entry.admit, name="admit"),
    path("f/<str:uid>/episode/<str:ep>/discharge/", views_entry.discharge, name="discharge"),
    path("f/<str:uid>/episode/<str:ep>/move/", views_entry.move, name="move"),
    path("f/<str:uid>/outpatients/", views_entry.outpatients, name="outpatients"),
    path("f/<str:uid>/import/", views_entry.import_episodes, name="import"),
    path("f/<str:uid>/import/template.xlsx", views_entry.import_template, name="import_template"),
    path("icd10/", views_entry.icd_search, name="icd_search"),
    path("cases/new/", views_epidemic.case_new, name="case_new"),
    path("cases/<str:uid>/", views_epidemic.case_detail, name="case"),
    path("outbreaks/new/", views_epidemic.outbreak_new, name="outbreak_new"),
    path("outbreaks/<str:uid>/", views_epidemic.outbreak_detail, name="outbreak"),
]
