"""Where a published barracks value comes from: the register of the unit's sites or buildings."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from haucan.org.models import Unit

BUILDING_PREFIXES = ("CT_", "NH_")


def source_link(unit: Unit, period_id: str, element_code: str) -> str | None:
    name = "barracks:buildings" if element_code.startswith(BUILDING_PREFIXES) else "barracks:sites"
    return f"{reverse(name)}?{urlencode({'unit': unit.code})}"
