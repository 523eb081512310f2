from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BarracksConfig(AppConfig):
    name = "haucan.barracks"
    label = "barracks"
    verbose_name = _("Barracks")

    def ready(self) -> None:
        from haucan.barracks.services.publish import SOURCE
        from haucan.barracks.sources import source_link
        from haucan.reporting.services.sources import SourceSpec, register_source

        register_source(SourceSpec(SOURCE, _("Barracks registry"), link=source_link))
