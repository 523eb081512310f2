"""Template filters that show numbers and dates the Vietnamese way (1.234.567,5 and dd/mm/yyyy)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats, numberformat
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def number(value: Any, decimals: int | str | None = None) -> str:
    """Group thousands and use the active language's separators ('.' and ',' in Vietnamese).

    Without `decimals`, trailing zeros are dropped, so 12.5000 shows as 12,5 and 3.0 as 3.
    """
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = int(decimals) if decimals is not None and decimals != "" else None
    if places is None:
        amount = amount.normalize()
        exponent = int(amount.as_tuple().exponent)
        if exponent > 0:  # normalize() turns 1000 into 1E+3
            amount = amount.quantize(Decimal(1))
    return numberformat.format(
        amount,
        str(formats.get_format("DECIMAL_SEPARATOR")),
        decimal_pos=places,
        grouping=3,
        thousand_sep=str(formats.get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )


@register.filter
def dmy(value: date | datetime | None) -> str:
    """dd/mm/yyyy, whatever the language (the format of Vietnamese official documents)."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


@register.filter
def bootstrap(field: Any) -> SafeString:
    """Render a bound form field with the Bootstrap class its widget needs (and is-invalid)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "checkbox":
        css = "form-check-input"
    elif input_type == "select" or widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})
