from __future__ import annotations

from django.urls import path

from haucan.accounts import views_auth

app_name = "security"

urlpatterns = [
    path("verify/", views_auth.verify, name="verify"),
    path("", views_auth.setup, name="setup"),
]
