from __future__ import annotations

from django.urls import path

from haucan.dashboards import situation, views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.dashboard_create, name="create"),
    path("builder/", views.builder, name="builder"),
    path("situation/", situation.situation, name="situation"),
    path("builder/preview/", views.builder_preview, name="builder_preview"),
    path("builder/save/", views.builder_save, name="builder_save"),
    path("item/<str:uid>/data/", views.item_data, name="item_data"),
    path("item/<str:uid>/export.<str:fmt>", views.item_export, name="item_export"),
    path("assets/plotly.min.js", views.plotly_js, name="plotly_js"),
    path("<str:uid>/", views.dashboard, name="dashboard"),
]
