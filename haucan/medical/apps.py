from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "haucan.medical"
    label = "medical"
    verbose_name = _("Military medicine")

    def ready(self) -> None:
        from haucan.medical.services.publish import SOURCE
        from haucan.reporting.services.sources import SourceSpec, register_source

        register_source(SourceSpec(SOURCE, _("Hospital treatment records"), link=_link))


def _link(unit: object, period_id: str, element_code: str) -> str | None:
    from django.urls import reverse

    return reverse("medical:by_unit", args=[unit.uid]) + f"?period={period_id}"  # type: ignore[attr-defined]
