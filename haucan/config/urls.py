from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.i18n import set_language

from haucan.config.api import api
from haucan.core.access import AccessRule, declare_area, public


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
declare_area("django-admin/", AccessRule("admin"), "admin.site.has_permission: superusers only")
# The API's own pages: the OpenAPI document and its viewer describe the API to anyone who can
# reach the server (clients need it before they authenticate); every operation checks access.
declare_area("api/schema", AccessRule("public"), "django-ninja OpenAPI document")
declare_area("api/docs", AccessRule("public"), "django-ninja API documentation page")
declare_area("api/", AccessRule("public"), "django-ninja's root: a link to the docs", exact=True)


@public
def health(request: HttpRequest) -> HttpResponse:
    """Public liveness probe for load balancers: the process answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# A lost database connection anywhere in a request is a 503 (haucan.web.unavailable).
handler500 = "haucan.web.unavailable.server_error"

urlpatterns = [
    path("health/", health, name="health"),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    # django.conf.urls.i18n's one view, declared: anyone may pick the language.
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("", include("haucan.web.urls")),
]
