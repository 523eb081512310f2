from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "haucan.dashboards"
    label = "dashboards"
    verbose_name = _("Operations room")
    default_auto_field = "django.db.models.BigAutoField"
