"""Occupancy, length of stay and rates against hand-computed examples (haucan.medical.stats)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haucan.medical.stats import (
    BedSpan,
    Stay,
    beds_by_day,
    census,
    day_figures,
    inpatient_days,
    period_figures,
)

TODAY = date(2025, 1, 1)
JAN = (date(2024, 1, 1), date(2024, 1, 31))
FEB = (date(2024, 2, 1), date(2024, 2, 29))

# One department: 10 planned / 12 set-up beds, raised to 20 / 20 from 16 January.
SPANS = [
    BedSpan(1, date(2023, 1, 1), 10, 12),
    BedSpan(1, date(2024, 1, 16), 20, 20),
]

STAYS = [
    # crosses the year boundary: 28/12 → 03/01, 6 days (4 in December, 2 in January)
    Stay(date(2023, 12, 28), date(2024, 1, 3), "BN_QUAN_NHAN", "home", "cured", chapter="X"),
    # in and out the same day: one day
    Stay(date(2024, 1, 10), date(2024, 1, 10), "BN_BHYT", "home", "improved", chapter="XI"),
    # crosses the month boundary: 20/01 → 05/02, 16 days (12 in January, 4 in February)
    Stay(date(2024, 1, 20), date(2024, 2, 5), "BN_QUAN_NHAN", "home", "cured", chapter="X"),
    # still in hospital
    Stay(date(2024, 1, 25), None, "BN_CNVCQP", chapter="XIX"),
    # died after 10 days
    Stay(date(2024, 1, 5), date(2024, 1, 15), "BN_QUAN_NHAN", "died", "died", chapter="IX"),
    # transferred out the next day
    Stay(date(2024, 1, 30), date(2024, 1, 31), "BN_NHAN_DAN", "transfer", "unchanged", True, "XIX"),
]


def jan_beds() -> dict[date, tuple[int, int]]:
    return beds_by_day(SPANS, *JAN)


def test_bed_days_weigh_a_mid_month_bed_change_by_its_days() -> None:
    beds = jan_beds()
    assert beds[date(2024, 1, 15)] == (10, 12)
    assert beds[date(2024, 1, 16)] == (20, 20)
    assert sum(p for p, _s in beds.values()) == 15 * 10 + 16 * 20 == 470
    assert sum(s for _p, s in beds.values()) == 15 * 12 + 16 * 20 == 500


def test_inpatient_days_split_stays_at_period_boundaries() -> None:
    assert inpatient_days(STAYS, *JAN, TODAY) == 2 + 1 + 12 + 7 + 10 + 1 == 33
    # February: the rest of the 20/01 stay (4 days) and the open stay's 29 days
    assert inpatient_days(STAYS, *FEB, TODAY) == 4 + 29
    # December holds the first 4 days of the 28/12 stay
    assert inpatient_days(STAYS, date(2023, 12, 1), date(2023, 12, 31), TODAY) == 4


def test_month_figures_match_the_hand_computation() -> None:
    f = period_figures(STAYS, *JAN, TODAY, jan_beds())
    assert f.admitted == {"BN_BHYT": 1, "BN_QUAN_NHAN": 2, "BN_CNVCQP": 1, "BN_NHAN_DAN": 1}
    assert f.discharged == 4  # 28/12, 10/01, 05/01 (died), 30/01 (transferred)
    assert f.died == 1 and f.transferred == 1
    assert f.present_at_end == 2
    assert f.inpatient_days == 33
    assert f.occupancy_planned == pytest.approx(33 / 470 * 100)  # 7.02 %
    assert f.occupancy_set_up == pytest.approx(6.6)
    assert f.average_stay == pytest.approx((6 + 1 + 10 + 1) / 4)  # 4.5 days
    assert f.mortality_rate == 25.0
    assert f.transfer_rate == 25.0
    assert f.by_chapter == {"XI": 1, "X": 1, "XIX": 2, "IX": 1}
    assert f.emergencies == 1


def test_a_period_in_progress_is_measured_up_to_today() -> None:
    today = date(2024, 1, 10)
    beds = beds_by_day(SPANS, JAN[0], today)
    f = period_figures(STAYS, *JAN, today, beds)
    assert f.planned_bed_days == 10 * 10
    # 28/12 stay: 1–2 Jan; 10/01 same-day: 1; 05/01 died later: 5–10 Jan = 6
    assert f.inpatient_days == 2 + 1 + 6
    assert f.occupancy_planned == pytest.approx(9.0)


def test_daily_figures_for_a_day() -> None:
    days = day_figures(STAYS, *JAN, jan_beds())
    jan10 = days[date(2024, 1, 10)]
    assert jan10.admitted == {"BN_BHYT": 1}
    assert jan10.discharged == {"BN_BHYT": 1}
    assert jan10.present == {"BN_QUAN_NHAN": 1}  # the 05/01 stay; the same-day stay is gone
    assert (jan10.planned_beds, jan10.set_up_beds) == (10, 12)
    jan15 = days[date(2024, 1, 15)]
    assert jan15.died == 1 and sum(jan15.present.values()) == 0
    jan31 = days[date(2024, 1, 31)]
    assert jan31.transferred == 1
    assert jan31.present == {"BN_QUAN_NHAN": 1, "BN_CNVCQP": 1}
    assert (jan31.planned_beds, jan31.set_up_beds) == (20, 20)


def test_rates_are_none_without_discharges_or_beds() -> None:
    f = period_figures([], *JAN, TODAY, {})
    assert f.average_stay is None and f.mortality_rate is None and f.occupancy_planned is None


stays_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),
        st.one_of(st.none(), st.integers(min_value=0, max_value=20)),
        st.sampled_from(["BN_QUAN_NHAN", "BN_BHYT"]),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(stays_strategy)
def test_daily_sweep_equals_brute_force_census_and_days_add_up(raw: list) -> None:  # type: ignore[type-arg]
    base = date(2024, 3, 1)
    stays = [
        Stay(base + timedelta(days=a), None if n is None else base + timedelta(days=a + n), o)
        for a, n, o in raw
    ]
    start, end = base + timedelta(days=5), base + timedelta(days=35)
    days = day_figures(stays, start, end, {})
    for day, figures in days.items():
        assert dict(figures.present) == dict(census(stays, day))
    # the days of consecutive periods add up to the days of the whole range
    middle = base + timedelta(days=17)
    whole = inpatient_days(stays, start, end, end)
    assert whole == inpatient_days(stays, start, middle, end) + inpatient_days(
        stays, middle + timedelta(days=1), end, end
    )


def test_every_named_icd_code_and_disease_code_is_in_the_shipped_list() -> None:
    from haucan.medical import icd10
    from haucan.medical.diseases import DISEASES

    named = set(icd10.CODE_NAMES_VI) | {d.icd10 for d in DISEASES}
    assert [c for c in sorted(named) if icd10.lookup(c) is None] == []
    assert icd10.lookup("j189") == icd10.IcdCode("J18.9", "Viêm phổi, không đặc hiệu", "X")
    assert icd10.lookup("A00-A09") is None and icd10.lookup("X") is None
    assert icd10.lookup("K30") is not None  # any WHO code, with its English name
