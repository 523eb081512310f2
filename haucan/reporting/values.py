"""Parse and check a typed-in value against its data element's value type.

Clerks type Vietnamese numbers ("12,5" for twelve and a half); both ',' and '.' are accepted as the
decimal separator. Grouping separators are refused rather than guessed, because "1.234" means one
thousand two hundred and thirty-four to a Vietnamese clerk and 1.234 to a machine.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from haucan.catalog.models import ValueType
from haucan.core.errors import ValidationFailed

_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "1", "yes", "có", "co", "x"}
_FALSE = {"false", "0", "no", "không", "khong"}
MAX_TEXT = 50_000


@dataclass(frozen=True)
class Parsed:
    text: str
    number: float | None


def _number(raw: str) -> float:
    if not _NUMBER_RE.match(raw):
        raise ValidationFailed(_("'%(v)s' is not a number.") % {"v": raw})
    value = float(raw.replace(",", "."))
    if not math.isfinite(value) or abs(value) > 1e15:
        raise ValidationFailed(_("'%(v)s' is too large.") % {"v": raw})
    return value


def _canonical(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def parse_value(value_type: str, raw: str, options: frozenset[str] | None = None) -> Parsed:
    """Return the stored text and number for `raw`, or raise ValidationFailed with a message."""
    raw = raw.strip()
    if options is not None:
        if raw not in options:
            raise ValidationFailed(_("'%(v)s' is not one of the allowed options.") % {"v": raw})
        return Parsed(raw, None)
    if value_type in {ValueType.TEXT, ValueType.LONG_TEXT}:
        limit = 255 if value_type == ValueType.TEXT else MAX_TEXT
        if len(raw) > limit:
            raise ValidationFailed(_("The text is longer than %(n)d characters.") % {"n": limit})
        return Parsed(raw, None)
    if value_type in {ValueType.BOOLEAN, ValueType.TRUE_ONLY}:
        lowered = raw.lower()
        if lowered in _TRUE:
            return Parsed("true", 1.0)
        if lowered in _FALSE and value_type == ValueType.BOOLEAN:
            return Parsed("false", 0.0)
        raise ValidationFailed(_("Answer yes or no."))
    if value_type == ValueType.DATE:
        return Parsed(_parse_date(raw).isoformat(), None)
    if value_type.startswith("INTEGER"):
        if not _INTEGER_RE.match(raw):
            raise ValidationFailed(_("'%(v)s' is not a whole number.") % {"v": raw})
        number = float(int(raw))
        if abs(number) > 1e15:
            raise ValidationFailed(_("'%(v)s' is too large.") % {"v": raw})
        if value_type == ValueType.INTEGER_POSITIVE and number <= 0:
            raise ValidationFailed(_("The value must be greater than zero."))
        if value_type == ValueType.INTEGER_ZERO_OR_POSITIVE and number < 0:
            raise ValidationFailed(_("The value may not be negative."))
        if value_type == ValueType.INTEGER_NEGATIVE and number >= 0:
            raise ValidationFailed(_("The value must be negative."))
        return Parsed(str(int(number)), number)
    number = _number(raw)
    if value_type == ValueType.PERCENTAGE and not 0 <= number <= 100:
        raise ValidationFailed(_("A percentage must lie between 0 and 100."))
    if value_type == ValueType.UNIT_INTERVAL and not 0 <= number <= 1:
        raise ValidationFailed(_("The value must lie between 0 and 1."))
    return Parsed(_canonical(number), number)


def _parse_date(raw: str) -> date:
    for pattern in (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", r"^(\d{4})-(\d{2})-(\d{2})$"):
        match = re.match(pattern, raw)
        if match:
            a, b, c = (int(g) for g in match.groups())
            try:
                return date(c, b, a) if "/" in raw else date(a, b, c)
            except ValueError:
                break
    raise ValidationFailed(_("'%(v)s' is not a date (dd/mm/yyyy).") % {"v": raw})
