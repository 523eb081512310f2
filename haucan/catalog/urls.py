from __future__ import annotations

from django.urls import path

from haucan.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("elements/", views.elements, name="elements"),
    path("elements/new/", views.element_create, name="element_create"),
    path("elements/<str:uid>/edit/", views.element_edit, name="element_edit"),
    path("forms/", views.data_sets, name="data_sets"),
    path("forms/new/", views.data_set_create, name="data_set_create"),
    path("forms/<str:uid>/", views.data_set_detail, name="data_set_detail"),
    path("forms/<str:uid>/edit/", views.data_set_edit, name="data_set_edit"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/new/", views.indicator_create, name="indicator_create"),
    path("indicators/<str:uid>/edit/", views.indicator_edit, name="indicator_edit"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<str:uid>/edit/", views.rule_edit, name="rule_edit"),
    path("combos/", views.combos, name="combos"),
    path("norms/", views.norm_sets, name="norm_sets"),
    path("norms/<str:uid>/", views.norm_set_detail, name="norm_set_detail"),
    path("norms/<str:uid>/add/", views.norm_add, name="norm_add"),
]
