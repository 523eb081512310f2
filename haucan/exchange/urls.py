from __future__ import annotations

from django.urls import path

from haucan.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/", views.template, name="template"),
    path("upload/", views.upload, name="upload"),
    path("packages/", views.package_index, name="packages"),
    path("packages/export/", views.package_export, name="package_export"),
    path("packages/import/", views.package_import, name="package_import"),
]
