"""Numbers and dates the Vietnamese way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from haucan.web.templatetags.haucan_format import dmy, number


def test_number_uses_vietnamese_separators() -> None:
    with translation.override("vi"):
        assert number(1234567.5) == "1.234.567,5"
        assert number(Decimal("25.0000")) == "25"
        assert number(1000) == "1.000"
        assert number(1234.5, 2) == "1.234,50"
        assert number(None) == ""


def test_number_follows_english_when_chosen() -> None:
    with translation.override("en"):
        assert number(1234567.5) == "1,234,567.5"


def test_dates_are_day_month_year() -> None:
    assert dmy(date(2024, 1, 5)) == "05/01/2024"
    assert dmy(None) == ""
