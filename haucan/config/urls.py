from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path


def _admins_only(request: HttpRequest) -> bool:
    """The Django admin is for system administrators only (superusers)."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _admins_only  # type: ignore[method-assign]
admin.site.site_header = "Hậu Cần Số"

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("haucan.web.urls")),
]
