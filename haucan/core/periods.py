"""Reporting periods: DHIS2 period identifiers plus the Vietnamese nine-month period.

Identifiers (all years are four digits, 1900–2999 when parsed):

=============  ============  ==========================================================
Type           Example       Meaning
=============  ============  ==========================================================
Daily          ``20240115``  one day
Weekly         ``2024W5``    ISO week (Monday start) of ISO year 2024; ``2024W05`` parses
Monthly        ``202401``    a calendar month
Quarterly      ``2024Q1``    Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec
SixMonthly     ``2024S1``    Jan–Jun (S1) or Jul–Dec (S2)
NineMonths     ``2024N9``    1 Jan – 30 Sep: the "9 tháng đầu năm" report; only N9 exists
Yearly         ``2024``      a calendar year
=============  ============  ==========================================================

A `Period` is an immutable value that can only hold a canonical period (its start and end
are aligned to its type), so `Period.id` always round-trips through `parse_period`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _django_gettext

MIN_YEAR = 1900
MAX_YEAR = 2999


def _(message: str) -> str:
    """Translate `message`; outside a configured Django (plain scripts, bare pytest) keep it."""
    try:
        return _django_gettext(message)
    except ImproperlyConfigured:
        return message


def gettext_noop(message: str) -> str:
    """Mark a msgid for makemessages without translating (Django's own needs settings)."""
    return message


class PeriodError(ValueError):
    """A period identifier or relative-period key is malformed, or a period is out of range."""


class PeriodType(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
    QUARTERLY = "Quarterly"
    SIX_MONTHLY = "SixMonthly"
    NINE_MONTHS = "NineMonths"
    YEARLY = "Yearly"

    @property
    def rank(self) -> int:
        """Frequency order, finest first: Daily is 0, Yearly is 6."""
        return _RANKS[self]

    @property
    def label(self) -> str:
        """Human name in the active language (msgids are the English names)."""
        return _(_LABELS[self])


_RANKS: dict[PeriodType, int] = {t: i for i, t in enumerate(PeriodType)}

# gettext_noop marks the msgids for makemessages; translation happens when `label` is read.
_LABELS: dict[PeriodType, str] = {
    PeriodType.DAILY: gettext_noop("Daily"),
    PeriodType.WEEKLY: gettext_noop("Weekly"),
    PeriodType.MONTHLY: gettext_noop("Monthly"),
    PeriodType.QUARTERLY: gettext_noop("Quarterly"),
    PeriodType.SIX_MONTHLY: gettext_noop("Six-monthly"),
    PeriodType.NINE_MONTHS: gettext_noop("Nine months"),
    PeriodType.YEARLY: gettext_noop("Yearly"),
}

# Month-based types as (length in months, distance in months between consecutive periods).
# NineMonths is the odd one: nine months long but one per year, so the step is twelve.
_MONTH_LAYOUT: dict[PeriodType, tuple[int, int]] = {
    PeriodType.MONTHLY: (1, 1),
    PeriodType.QUARTERLY: (3, 3),
    PeriodType.SIX_MONTHLY: (6, 6),
    PeriodType.NINE_MONTHS: (9, 12),
    PeriodType.YEARLY: (12, 12),
}

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    """A canonical reporting period; `end` is inclusive. Order is by start, then end."""

    start: date
    end: date
    type: PeriodType

    def __post_init__(self) -> None:
        # Only canonical periods may exist, so `id` and `next()` never have to guess.
        if not _is_aligned(self.start, self.type) or self.end != _end_of(self.start, self.type):
            raise PeriodError(
                _("%(start)s – %(end)s is not a valid %(type)s period")
                % {"start": self.start, "end": self.end, "type": self.type.label}
            )

    @cached_property
    def id(self) -> str:
        # Cached (in the instance's __dict__, which a frozen dataclass leaves writable): a full
        # alert evaluation asks ~700,000 times.
        return _identifier(self.start, self.type)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.id

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def shift(self, n: int) -> Period:
        """The period `n` steps later (earlier when negative) of the same type."""
        try:
            if self.type is PeriodType.DAILY:
                start = self.start + timedelta(days=n)
            elif self.type is PeriodType.WEEKLY:
                start = self.start + timedelta(weeks=n)
            else:
                start = _add_months(self.start, _MONTH_LAYOUT[self.type][1] * n)
            return _make(start, self.type)
        except (OverflowError, ValueError) as exc:
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError(
                _("Cannot shift %(period)s by %(n)d: the result is outside the calendar")
                % {"period": self.id, "n": n}
            ) from exc

    def contains_date(self, d: date) -> bool:
        return self.start <= d <= self.end

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def periods_within(self, type: PeriodType) -> list[Period]:
        """Periods of `type` inside this one, oldest first.

        For every type except Weekly that means fully inside (months of a quarter, quarters
        of a year...). ISO weeks straddle month and year boundaries, so a week counts when
        its *start* (Monday) lies inside: the weeks of 2024 include 2025W1, which starts on
        2024-12-30.
        """
        candidates = periods_between(self.start, self.end, type)
        if type is PeriodType.WEEKLY:
            return [p for p in candidates if self.contains_date(p.start)]
        return [p for p in candidates if self.contains(p)]

    def display_name(self) -> str:
        """A label for people, in the active language: "Month 01/2024" -> "Tháng 01/2024"."""
        start = self.start
        if self.type is PeriodType.DAILY:
            return f"{start.day:02d}/{start.month:02d}/{start.year:04d}"
        if self.type is PeriodType.WEEKLY:
            iso = start.isocalendar()
            return _("Week %(week)d/%(year)d") % {"week": iso.week, "year": iso.year}
        if self.type is PeriodType.MONTHLY:
            return _("Month %(month)02d/%(year)d") % {"month": start.month, "year": start.year}
        if self.type is PeriodType.QUARTERLY:
            return _("Quarter %(q)d/%(year)d") % {"q": _quarter(start), "year": start.year}
        if self.type is PeriodType.SIX_MONTHLY:
            return _("Six months %(s)d/%(year)d") % {"s": _half(start), "year": start.year}
        if self.type is PeriodType.NINE_MONTHS:
            return _("Nine months %(year)d") % {"year": start.year}
        return _("Year %(year)d") % {"year": start.year}


# --- construction helpers -------------------------------------------------------------------


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, 1)


def _is_aligned(start: date, type: PeriodType) -> bool:
    if type is PeriodType.DAILY:
        return True
    if type is PeriodType.WEEKLY:
        return start.weekday() == 0
    step = _MONTH_LAYOUT[type][1]
    return start.day == 1 and (start.month - 1) % step == 0


def _end_of(start: date, type: PeriodType) -> date:
    if type is PeriodType.DAILY:
        return start
    if type is PeriodType.WEEKLY:
        return start + timedelta(days=6)
    return _add_months(start, _MONTH_LAYOUT[type][0]) - _ONE_DAY


def _make(start: date, type: PeriodType) -> Period:
    return Period(start, _end_of(start, type), type)


def _quarter(start: date) -> int:
    return (start.month - 1) // 3 + 1


def _half(start: date) -> int:
    return (start.month - 1) // 6 + 1


def _identifier(start: date, type: PeriodType) -> str:
    year = f"{start.year:04d}"
    if type is PeriodType.DAILY:
        return f"{year}{start.month:02d}{start.day:02d}"
    if type is PeriodType.WEEKLY:
        # The ISO year, not the calendar year: 2024-12-30 starts 2025W1.
        iso = start.isocalendar()
        return f"{iso.year:04d}W{iso.week}"
    if type is PeriodType.MONTHLY:
        return f"{year}{start.month:02d}"
    if type is PeriodType.QUARTERLY:
        return f"{year}Q{_quarter(start)}"
    if type is PeriodType.SIX_MONTHLY:
        return f"{year}S{_half(start)}"
    if type is PeriodType.NINE_MONTHS:
        return f"{year}N9"
    return year


def _weeks_in_iso_year(year: int) -> int:
    # 28 December always falls in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


# --- public constructors --------------------------------------------------------------------


def period_of(d: date, type: PeriodType) -> Period:
    """The period of `type` that contains `d`.

    Weeks follow ISO 8601 (2024-12-30 is in 2025W1). A date in October–December belongs to
    no nine-month period, so NineMonths raises PeriodError for it.
    """
    if type is PeriodType.DAILY:
        return _make(d, type)
    if type is PeriodType.WEEKLY:
        return _make(d - timedelta(days=d.weekday()), type)
    if type is PeriodType.NINE_MONTHS and d.month > 9:
        raise PeriodError(
            _("%(date)s is not in any nine-month period (1 January – 30 September)")
            % {"date": d.isoformat()}
        )
    step = _MONTH_LAYOUT[type][1]
    return _make(date(d.year, (d.month - 1) // step * step + 1, 1), type)


def periods_between(start: date, end: date, type: PeriodType) -> list[Period]:
    """Periods of `type` that overlap [start, end] (both inclusive), oldest first."""
    if start > end:
        return []
    if type is PeriodType.NINE_MONTHS:
        # Nine-month periods leave gaps (Oct–Dec), so walk the years instead of period_of.
        periods = [_make(date(y, 1, 1), type) for y in range(start.year, end.year + 1)]
        return [p for p in periods if p.start <= end and start <= p.end]
    result: list[Period] = []
    period = period_of(start, type)
    while period.start <= end:
        result.append(period)
        period = period.next()
    return result


# --- parsing --------------------------------------------------------------------------------

# [0-9] rather than \d: \d also matches Arabic-Indic and other Unicode digits.
_PERIOD_RE = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:(?P<month>[0-9]{2})(?P<day>[0-9]{2})?|(?P<kind>[WQSN])(?P<number>[0-9]{1,2}))?"
)


def _invalid(text: str, reason: str) -> PeriodError:
    return PeriodError(
        _("'%(text)s' is not a valid period: %(reason)s") % {"text": text, "reason": reason}
    )


def parse_period(text: str) -> Period:
    """Parse a DHIS2 period identifier such as ``2024Q1``; raise PeriodError if malformed."""
    match = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _invalid(
            str(text),
            _("expected a form such as 2024, 2024S1, 2024N9, 2024Q1, 202401, 2024W5 or 20240115"),
        )
    year = int(match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid(
            text,
            _("the year must be between %(min)d and %(max)d") % {"min": MIN_YEAR, "max": MAX_YEAR},
        )
    if match["month"] is not None:
        return _parse_calendar(text, year, int(match["month"]), match["day"])
    if match["kind"] is not None:
        return _parse_numbered(text, year, match["kind"], match["number"])
    return _make(date(year, 1, 1), PeriodType.YEARLY)


def _parse_calendar(text: str, year: int, month: int, day_text: str | None) -> Period:
    if not 1 <= month <= 12:
        raise _invalid(text, _("the month must be 01–12"))
    if day_text is None:
        return _make(date(year, month, 1), PeriodType.MONTHLY)
    last_day = calendar.monthrange(year, month)[1]
    if not 1 <= int(day_text) <= last_day:
        raise _invalid(
            text,
            _("the day must be 01–%(last)02d in %(month)02d/%(year)d")
            % {"last": last_day, "month": month, "year": year},
        )
    return _make(date(year, month, int(day_text)), PeriodType.DAILY)


def _parse_numbered(text: str, year: int, kind: str, number_text: str) -> Period:
    number = int(number_text)
    if kind == "W":
        # Weeks may be zero-padded (2024W05); the other kinds are always a single digit.
        weeks = _weeks_in_iso_year(year)
        if not 1 <= number <= weeks:
            raise _invalid(
                text,
                _("the week must be 1–%(weeks)d in %(year)d") % {"weeks": weeks, "year": year},
            )
        return _make(date.fromisocalendar(year, number, 1), PeriodType.WEEKLY)
    single_digit = len(number_text) == 1
    if kind == "Q":
        if not (single_digit and 1 <= number <= 4):
            raise _invalid(text, _("the quarter must be 1–4"))
        return _make(date(year, 3 * number - 2, 1), PeriodType.QUARTERLY)
    if kind == "S":
        if not (single_digit and number in (1, 2)):
            raise _invalid(text, _("the half-year must be 1 or 2"))
        return _make(date(year, 6 * number - 5, 1), PeriodType.SIX_MONTHLY)
    if number_text != "9":
        raise _invalid(text, _("the only nine-month period is N9 (January–September)"))
    return _make(date(year, 1, 1), PeriodType.NINE_MONTHS)


# --- relative periods -----------------------------------------------------------------------


def _this(type: PeriodType) -> Callable[[date], list[Period]]:
    return lambda today: [period_of(today, type)]


def _last(type: PeriodType, n: int) -> Callable[[date], list[Period]]:
    # DHIS2's LAST_n_X: the n periods before the current one, oldest first.
    def resolve(today: date) -> list[Period]:
        current = period_of(today, type)
        return [current.shift(-k) for k in range(n, 0, -1)]

    return resolve


def _of_this_year(type: PeriodType) -> Callable[[date], list[Period]]:
    # DHIS2 returns every period of the year, including those still in the future.
    return lambda today: period_of(today, PeriodType.YEARLY).periods_within(type)


def _nine_months_of(years_back: int) -> Callable[[date], list[Period]]:
    # Keyed on the year, so it also resolves in October–December, after N9 has ended.
    return lambda today: [_make(date(today.year - years_back, 1, 1), PeriodType.NINE_MONTHS)]


_RELATIVE: dict[str, Callable[[date], list[Period]]] = {
    "TODAY": _this(PeriodType.DAILY),
    "YESTERDAY": _last(PeriodType.DAILY, 1),
    "LAST_3_DAYS": _last(PeriodType.DAILY, 3),
    "LAST_7_DAYS": _last(PeriodType.DAILY, 7),
    "LAST_14_DAYS": _last(PeriodType.DAILY, 14),
    "LAST_30_DAYS": _last(PeriodType.DAILY, 30),
    "THIS_WEEK": _this(PeriodType.WEEKLY),
    "LAST_WEEK": _last(PeriodType.WEEKLY, 1),
    "LAST_4_WEEKS": _last(PeriodType.WEEKLY, 4),
    "LAST_12_WEEKS": _last(PeriodType.WEEKLY, 12),
    "LAST_52_WEEKS": _last(PeriodType.WEEKLY, 52),
    "THIS_MONTH": _this(PeriodType.MONTHLY),
    "LAST_MONTH": _last(PeriodType.MONTHLY, 1),
    "LAST_3_MONTHS": _last(PeriodType.MONTHLY, 3),
    "LAST_6_MONTHS": _last(PeriodType.MONTHLY, 6),
    "LAST_12_MONTHS": _last(PeriodType.MONTHLY, 12),
    "MONTHS_THIS_YEAR": _of_this_year(PeriodType.MONTHLY),
    "THIS_QUARTER": _this(PeriodType.QUARTERLY),
    "LAST_QUARTER": _last(PeriodType.QUARTERLY, 1),
    "LAST_4_QUARTERS": _last(PeriodType.QUARTERLY, 4),
    "QUARTERS_THIS_YEAR": _of_this_year(PeriodType.QUARTERLY),
    "THIS_SIX_MONTH": _this(PeriodType.SIX_MONTHLY),
    "LAST_SIX_MONTH": _last(PeriodType.SIX_MONTHLY, 1),
    "LAST_2_SIXMONTHS": _last(PeriodType.SIX_MONTHLY, 2),
    "THIS_NINE_MONTHS": _nine_months_of(0),
    "THIS_YEAR": _this(PeriodType.YEARLY),
    "LAST_YEAR": _last(PeriodType.YEARLY, 1),
    "LAST_5_YEARS": _last(PeriodType.YEARLY, 5),
    "LAST_10_YEARS": _last(PeriodType.YEARLY, 10),
}

RELATIVE_PERIODS: tuple[str, ...] = tuple(_RELATIVE)


def is_relative(text: str) -> bool:
    return text in _RELATIVE


def resolve_relative(key: str, today: date) -> list[Period]:
    """The periods a relative key such as ``LAST_12_MONTHS`` means on `today`, oldest first."""
    resolver = _RELATIVE.get(key)
    if resolver is None:
        raise PeriodError(_("'%(key)s' is not a known relative period") % {"key": key})
    return resolver(today)


def parse_period_or_relative(text: str, today: date) -> list[Period]:
    """A relative key resolved on `today`, or a single fixed period identifier."""
    if is_relative(text):
        return resolve_relative(text, today)
    return [parse_period(text)]
