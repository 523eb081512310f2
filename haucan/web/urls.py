from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from haucan.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("units/", include("haucan.org.urls")),
    path("catalog/", include("haucan.catalog.urls")),
    path("reporting/", include("haucan.reporting.urls")),
    path("dashboards/", include("haucan.dashboards.urls")),
    path("exchange/", include("haucan.exchange.urls")),
    path("account/", include("haucan.accounts.urls_tokens")),
    path("alerts/", include("haucan.alerts.urls")),
    path("inventory/", include("haucan.inventory.urls")),
    path("petroleum/", include("haucan.petroleum.urls")),
    path("barracks/", include("haucan.barracks.urls")),
    path("medical/", include("haucan.medical.urls")),
]
