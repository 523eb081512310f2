from __future__ import annotations

from django.urls import include, path

from haucan.accounts.views_auth import LoginView, LogoutView
from haucan.core.access import AccessRule, declare
from haucan.web import views

# Django's own views enforce their rules; the declarations are for the authorization matrix.
_PUBLIC = declare(AccessRule("public"))

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", _PUBLIC(LoginView.as_view()), name="login"),
    path("logout/", _PUBLIC(LogoutView.as_view()), name="logout"),
    path("units/", include("haucan.org.urls")),
    path("catalog/", include("haucan.catalog.urls")),
    path("reporting/", include("haucan.reporting.urls")),
    path("dashboards/", include("haucan.dashboards.urls")),
    path("exchange/", include("haucan.exchange.urls")),
    path("account/", include("haucan.accounts.urls_tokens")),
    path("account/two-step/", include("haucan.accounts.urls_auth")),
    path("audit/", include("haucan.audit.urls")),
    path("alerts/", include("haucan.alerts.urls")),
    path("inventory/", include("haucan.inventory.urls")),
    path("petroleum/", include("haucan.petroleum.urls")),
    path("barracks/", include("haucan.barracks.urls")),
    path("medical/", include("haucan.medical.urls")),
]
