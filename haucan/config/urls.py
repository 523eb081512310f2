from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from haucan.config.api import api


def _admins_only(request: HttpRequest) -> bool:
    """The Django admin is for system administrators only (superusers)."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


def _admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The Django admin signs in through our login page, so lockout, the second factor and the
    audit of sign-ins apply there too."""
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.GET.get("next") or "/django-admin/", "login")


admin.site.has_permission = _admins_only  # type: ignore[method-assign]
admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.site_header = "Hậu Cần Số"


def health(request: HttpRequest) -> HttpResponse:
    """Public liveness probe for load balancers: the process answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health/", health, name="health"),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("haucan.web.urls")),
]
