from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from haucan.core.periods import (
    RELATIVE_PERIODS,
    Period,
    PeriodError,
    PeriodType,
    is_relative,
    parse_period,
    parse_period_or_relative,
    period_of,
    periods_between,
    resolve_relative,
)

dates = st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31))
types = st.sampled_from(list(PeriodType))


def ids(periods: list[Period]) -> list[str]:
    return [p.id for p in periods]


# --- properties for every type --------------------------------------------------------------


@given(dates, types)
def test_id_round_trips(d: date, t: PeriodType) -> None:
    assume(not (t is PeriodType.NINE_MONTHS and d.month > 9))
    p = period_of(d, t)
    assert parse_period(p.id) == p
    assert str(p) == p.id
    assert p.type is t
    assert p.contains_date(d)


@given(dates, types)
def test_next_and_previous(d: date, t: PeriodType) -> None:
    assume(not (t is PeriodType.NINE_MONTHS and d.month > 9))
    p = period_of(d, t)
    assert p.next().previous() == p
    assert p.previous().next() == p
    assert p.next() > p > p.previous()
    assert p.shift(3) == p.next().next().next()
    assert p.shift(0) == p
    if t is not PeriodType.NINE_MONTHS:
        assert p.next().start == p.end + timedelta(days=1)
        assert p.previous().end == p.start - timedelta(days=1)
    else:
        assert p.next().start == date(d.year + 1, 1, 1)


@given(dates, types)
def test_days_and_containment(d: date, t: PeriodType) -> None:
    assume(not (t is PeriodType.NINE_MONTHS and d.month > 9))
    p = period_of(d, t)
    assert p.days == (p.end - p.start).days + 1
    assert p.contains(p)
    assert not p.contains_date(p.end + timedelta(days=1))
    assert not p.contains_date(p.start - timedelta(days=1))
    assert p.contains(period_of(d, PeriodType.DAILY))


@given(dates, st.integers(min_value=0, max_value=800), types)
def test_periods_between_overlap_and_are_consecutive(start: date, span: int, t: PeriodType) -> None:
    end = start + timedelta(days=span)
    periods = periods_between(start, end, t)
    assert all(p.start <= end and start <= p.end for p in periods)
    assert periods == sorted(periods)
    for earlier, later in itertools.pairwise(periods):
        assert earlier.next() == later
    if t is not PeriodType.NINE_MONTHS:
        assert periods[0].contains_date(start)
        assert periods[-1].contains_date(end)


@given(dates)
def test_months_tile_a_quarter(d: date) -> None:
    quarter = period_of(d, PeriodType.QUARTERLY)
    months = quarter.periods_within(PeriodType.MONTHLY)
    assert len(months) == 3
    assert months[0].start == quarter.start
    assert months[-1].end == quarter.end
    assert sum(m.days for m in months) == quarter.days


@given(dates)
def test_year_breakdowns(d: date) -> None:
    year = period_of(d, PeriodType.YEARLY)
    assert len(year.periods_within(PeriodType.QUARTERLY)) == 4
    assert len(year.periods_within(PeriodType.SIX_MONTHLY)) == 2
    assert len(year.periods_within(PeriodType.MONTHLY)) == 12
    assert year.periods_within(PeriodType.NINE_MONTHS) == [parse_period(f"{d.year}N9")]
    assert len(year.periods_within(PeriodType.DAILY)) == year.days
    # Weeks count when their Monday is inside the year.
    weeks = year.periods_within(PeriodType.WEEKLY)
    assert all(year.contains_date(w.start) for w in weeks)
    assert len(weeks) in (52, 53)


def test_finer_periods_of_a_coarser_type_are_empty() -> None:
    assert parse_period("2024Q1").periods_within(PeriodType.YEARLY) == []
    assert parse_period("2024Q1").periods_within(PeriodType.QUARTERLY) == [parse_period("2024Q1")]


def test_rank_orders_types_by_frequency() -> None:
    ranked = sorted(PeriodType, key=lambda t: t.rank)
    assert ranked[0] is PeriodType.DAILY
    assert ranked[-1] is PeriodType.YEARLY
    assert PeriodType.MONTHLY.rank < PeriodType.QUARTERLY.rank < PeriodType.SIX_MONTHLY.rank
    assert PeriodType.SIX_MONTHLY.rank < PeriodType.NINE_MONTHS.rank < PeriodType.YEARLY.rank
    assert PeriodType("SixMonthly") is PeriodType.SIX_MONTHLY


def test_labels() -> None:
    assert PeriodType.SIX_MONTHLY.label == "Six-monthly"
    assert PeriodType.NINE_MONTHS.label == "Nine months"


# --- specific identifiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "type"),
    [
        ("20240115", date(2024, 1, 15), date(2024, 1, 15), PeriodType.DAILY),
        ("20240229", date(2024, 2, 29), date(2024, 2, 29), PeriodType.DAILY),
        ("2024W1", date(2024, 1, 1), date(2024, 1, 7), PeriodType.WEEKLY),
        ("2024W5", date(2024, 1, 29), date(2024, 2, 4), PeriodType.WEEKLY),
        ("2020W53", date(2020, 12, 28), date(2021, 1, 3), PeriodType.WEEKLY),
        ("2021W1", date(2021, 1, 4), date(2021, 1, 10), PeriodType.WEEKLY),
        ("202401", date(2024, 1, 1), date(2024, 1, 31), PeriodType.MONTHLY),
        ("202402", date(2024, 2, 1), date(2024, 2, 29), PeriodType.MONTHLY),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31), PeriodType.QUARTERLY),
        ("2024Q4", date(2024, 10, 1), date(2024, 12, 31), PeriodType.QUARTERLY),
        ("2024S1", date(2024, 1, 1), date(2024, 6, 30), PeriodType.SIX_MONTHLY),
        ("2024S2", date(2024, 7, 1), date(2024, 12, 31), PeriodType.SIX_MONTHLY),
        ("2024N9", date(2024, 1, 1), date(2024, 9, 30), PeriodType.NINE_MONTHS),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), PeriodType.YEARLY),
        ("1900", date(1900, 1, 1), date(1900, 12, 31), PeriodType.YEARLY),
        ("2999", date(2999, 1, 1), date(2999, 12, 31), PeriodType.YEARLY),
    ],
)
def test_parse_known_identifiers(text: str, start: date, end: date, type: PeriodType) -> None:
    assert parse_period(text) == Period(start, end, type)
    assert parse_period(text).id == text


def test_zero_padded_week_parses_and_formats_unpadded() -> None:
    assert parse_period("2024W05") == parse_period("2024W5")
    assert parse_period("2024W05").id == "2024W5"


def test_week_belongs_to_its_iso_year() -> None:
    assert period_of(date(2024, 12, 30), PeriodType.WEEKLY).id == "2025W1"
    assert period_of(date(2021, 1, 1), PeriodType.WEEKLY).id == "2020W53"
    assert parse_period("2020W53").next().id == "2021W1"
    assert parse_period("2021W52").next().id == "2022W1"


def test_nine_months() -> None:
    n9 = parse_period("2024N9")
    assert len(n9.periods_within(PeriodType.MONTHLY)) == 9
    assert n9.days == 274  # leap year
    assert n9.contains(parse_period("2024Q3"))
    assert not n9.contains(parse_period("2024Q4"))
    assert n9.next().id == "2025N9"
    assert n9.previous().id == "2023N9"
    assert period_of(date(2024, 9, 30), PeriodType.NINE_MONTHS) == n9
    with pytest.raises(PeriodError):
        period_of(date(2024, 10, 1), PeriodType.NINE_MONTHS)
    assert ids(periods_between(date(2023, 10, 1), date(2025, 1, 1), PeriodType.NINE_MONTHS)) == [
        "2024N9",
        "2025N9",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024Q5", "quarter must be 1–4"),
        ("2024Q0", "quarter must be 1–4"),
        ("2024Q01", "quarter must be 1–4"),
        ("202413", "month must be 01–12"),
        ("202400", "month must be 01–12"),
        ("20240230", "day must be 01–29 in 02/2024"),
        ("20230229", "day must be 01–28 in 02/2023"),
        ("20240100", "day must be 01–31"),
        ("abc", "expected a form such as"),
        ("", "expected a form such as"),
        ("2024W54", "week must be 1–52 in 2024"),
        ("2021W53", "week must be 1–52 in 2021"),
        ("2024W0", "week must be 1–52"),
        ("2024N8", "only nine-month period is N9"),
        ("2024S3", "half-year must be 1 or 2"),
        ("1899", "year must be between 1900 and 2999"),
        ("3000Q1", "year must be between 1900 and 2999"),
        (" 2024", "expected a form"),
        ("2024 ", "expected a form"),
        ("2024\n", "expected a form"),
        ("2024Q1x", "expected a form"),
        ("x2024Q1", "expected a form"),
        ("2024q1", "expected a form"),
        ("2024W", "expected a form"),
        ("20240", "expected a form"),
        ("2024W123", "expected a form"),
        ("٢٠٢٤", "expected a form"),  # Arabic-Indic digits are not period digits
    ],
)
def test_bad_identifiers(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    message = str(info.value)
    assert message.startswith(f"'{text}' is not a valid period: ")
    assert reason in message


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


def test_non_canonical_period_cannot_be_built() -> None:
    with pytest.raises(PeriodError):
        Period(date(2024, 1, 2), date(2024, 2, 1), PeriodType.MONTHLY)
    with pytest.raises(PeriodError):
        Period(date(2024, 1, 1), date(2024, 1, 30), PeriodType.MONTHLY)
    with pytest.raises(PeriodError):
        Period(date(2024, 1, 2), date(2024, 1, 8), PeriodType.WEEKLY)  # a Tuesday


def test_ordering_sorts_chronologically() -> None:
    periods = [parse_period(t) for t in ("2024Q2", "2023", "202402", "2024Q1")]
    assert ids(sorted(periods)) == ["2023", "2024Q1", "202402", "2024Q2"]


def test_periods_between() -> None:
    assert ids(periods_between(date(2024, 1, 15), date(2024, 4, 1), PeriodType.MONTHLY)) == [
        "202401",
        "202402",
        "202403",
        "202404",
    ]
    assert ids(periods_between(date(2024, 1, 15), date(2024, 4, 1), PeriodType.QUARTERLY)) == [
        "2024Q1",
        "2024Q2",
    ]
    assert periods_between(date(2024, 2, 1), date(2024, 1, 1), PeriodType.MONTHLY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240105", "05/01/2024"),
        ("2024W5", "Week 5/2024"),
        ("202401", "Month 01/2024"),
        ("2024Q2", "Quarter 2/2024"),
        ("2024S2", "Six months 2/2024"),
        ("2024N9", "Nine months 2024"),
        ("2024", "Year 2024"),
    ],
)
def test_display_name(text: str, expected: str) -> None:
    assert parse_period(text).display_name() == expected


# --- relative periods -----------------------------------------------------------------------

TODAY = date(2024, 3, 15)  # a Friday in 2024W11


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("TODAY", ["20240315"]),
        ("YESTERDAY", ["20240314"]),
        ("LAST_3_DAYS", ["20240312", "20240313", "20240314"]),
        ("THIS_WEEK", ["2024W11"]),
        ("LAST_WEEK", ["2024W10"]),
        ("LAST_4_WEEKS", ["2024W7", "2024W8", "2024W9", "2024W10"]),
        ("THIS_MONTH", ["202403"]),
        ("LAST_MONTH", ["202402"]),
        ("LAST_3_MONTHS", ["202312", "202401", "202402"]),
        ("LAST_6_MONTHS", ["202309", "202310", "202311", "202312", "202401", "202402"]),
        ("LAST_12_MONTHS", [f"2023{m:02d}" for m in range(3, 13)] + ["202401", "202402"]),
        ("MONTHS_THIS_YEAR", [f"2024{m:02d}" for m in range(1, 13)]),
        ("THIS_QUARTER", ["2024Q1"]),
        ("LAST_QUARTER", ["2023Q4"]),
        ("LAST_4_QUARTERS", ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]),
        ("QUARTERS_THIS_YEAR", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]),
        ("THIS_SIX_MONTH", ["2024S1"]),
        ("LAST_SIX_MONTH", ["2023S2"]),
        ("LAST_2_SIXMONTHS", ["2023S1", "2023S2"]),
        ("THIS_NINE_MONTHS", ["2024N9"]),
        ("THIS_YEAR", ["2024"]),
        ("LAST_YEAR", ["2023"]),
        ("LAST_5_YEARS", ["2019", "2020", "2021", "2022", "2023"]),
    ],
)
def test_resolve_relative(key: str, expected: list[str]) -> None:
    assert ids(resolve_relative(key, TODAY)) == expected


@pytest.mark.parametrize(
    ("key", "count"),
    [("LAST_7_DAYS", 7), ("LAST_14_DAYS", 14), ("LAST_30_DAYS", 30), ("LAST_12_WEEKS", 12)],
)
def test_last_n_excludes_the_current_period(key: str, count: int) -> None:
    periods = resolve_relative(key, TODAY)
    assert len(periods) == count
    assert periods == sorted(periods)
    assert not any(p.contains_date(TODAY) for p in periods)
    assert periods[-1].next().contains_date(TODAY)


def test_this_nine_months_after_september_is_still_this_years() -> None:
    assert ids(resolve_relative("THIS_NINE_MONTHS", date(2024, 11, 20))) == ["2024N9"]


def test_relative_across_year_start() -> None:
    new_year = date(2024, 1, 1)  # Monday of 2024W1
    assert ids(resolve_relative("LAST_WEEK", new_year)) == ["2023W52"]
    assert ids(resolve_relative("LAST_MONTH", new_year)) == ["202312"]
    assert ids(resolve_relative("YESTERDAY", new_year)) == ["20231231"]


@given(dates)
def test_every_relative_key_resolves(today: date) -> None:
    for key in RELATIVE_PERIODS:
        periods = resolve_relative(key, today)
        assert periods
        assert periods == sorted(periods)


def test_unknown_relative_key() -> None:
    with pytest.raises(PeriodError, match="LAST_13_MONTHS"):
        resolve_relative("LAST_13_MONTHS", TODAY)
    assert not is_relative("LAST_13_MONTHS")
    assert not is_relative("2024Q1")
    assert is_relative("LAST_12_MONTHS")


def test_parse_period_or_relative() -> None:
    assert ids(parse_period_or_relative("THIS_QUARTER", TODAY)) == ["2024Q1"]
    assert ids(parse_period_or_relative("2023Q4", TODAY)) == ["2023Q4"]
    with pytest.raises(PeriodError):
        parse_period_or_relative("this_quarter", TODAY)
