from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from haucan.core.periods import PeriodType, period_of
from haucan.reporting import queries
from haucan.reporting.services.submission import submit_report
from haucan.reporting.services.values import resolve_target

URL = "/reporting/completeness/"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


@pytest.fixture
def reported(world, scope_of, fuel_form):
    """Expected: both regiments and battalion 1. Battalion 1 submitted late, regiment 1 on time,
    regiment 2 nothing."""
    fuel_form.data_set.units.add(world.battalion_a)
    clerk = scope_of("clerk_a")
    data_set = fuel_form.data_set
    data_set.timely_days = 0  # the deadline was the end of last month: late
    data_set.save()
    submit_report(clerk, resolve_target(clerk, data_set, world.battalion_a, last_month()))
    data_set.timely_days = 400
    data_set.save()
    submit_report(clerk, resolve_target(clerk, data_set, world.regiment_a, last_month()))
    return fuel_form


def test_counts_and_rates_for_the_whole_army(world, scope_of, reported):
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous()
    report = queries.completeness(scope_of("admin"), reported.data_set, period, world.ministry)
    assert (report.total.expected, report.total.submitted, report.total.on_time) == (3, 2, 1)
    assert report.total.submitted_rate == pytest.approx(66.67, abs=0.005)
    assert report.total.on_time_rate == pytest.approx(33.33, abs=0.005)
    assert [(u.code, t.expected, t.submitted, t.on_time) for u, t in report.children] == [
        ("QK4", 3, 2, 1)
    ]
    assert [(d.unit.code, d.status, [c.username for c in d.clerks]) for d in report.defaulters] == [
        ("F324-E2", "missing", ["clerk_b"]),
        ("F324-E1-D1", "late", []),
    ]


def test_children_rows_split_the_division(world, scope_of, reported):
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous()
    report = queries.completeness(scope_of("commander"), reported.data_set, period, world.division)
    assert [(u.code, t.expected, t.submitted, t.on_time) for u, t in report.children] == [
        ("F324-E1", 2, 2, 1),
        ("F324-E2", 1, 0, 0),
    ]


def test_unit_opened_after_the_period_is_not_expected(world, scope_of, reported):
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous()
    world.regiment_b.opened_on = period.end + timedelta(days=1)
    world.regiment_b.save()
    report = queries.completeness(scope_of("admin"), reported.data_set, period, world.ministry)
    assert (report.total.expected, report.total.submitted) == (2, 2)


def test_page_shows_figures_and_defaulters_with_their_clerk(world, login, reported):
    response = login("admin").get(URL, {"ds": "PET_MONTHLY", "pe": last_month()})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="total-expected">3<' in html
    assert 'data-testid="total-submitted">2<' in html
    assert 'data-testid="total-on-time">1<' in html
    assert "66,7 %" in html and "33,3 %" in html
    assert "Trần Văn Bình" in html  # clerk_b, whose regiment has not reported


def test_clerk_sees_only_his_regiment(world, login, reported):
    response = login("clerk_a").get(URL, {"ds": "PET_MONTHLY", "pe": last_month()})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="total-expected">2<' in html
    assert world.regiment_a.name in html
    assert world.regiment_b.name not in html
    assert world.division.name not in html


def test_clerk_cannot_drill_into_the_sibling_regiment(world, login, reported):
    response = login("clerk_a").get(
        URL, {"ds": "PET_MONTHLY", "pe": last_month(), "ou": world.regiment_b.code}
    )
    assert response.status_code == 404


def test_bad_period_is_a_400(world, login, reported):
    response = login("admin").get(URL, {"ds": "PET_MONTHLY", "pe": "2024Q5"})
    assert response.status_code == 400


def test_xlsx_export_holds_the_same_figures(world, login, reported):
    response = login("admin").get(URL, {"ds": "PET_MONTHLY", "pe": last_month(), "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    summary, late = book.worksheets
    rows = [list(r) for r in summary.iter_rows(values_only=True)]
    assert rows[5] == ["Bộ Quốc phòng", 3, 2, 1, 66.7, 33.3]
    assert rows[6] == ["Quân khu 4", 3, 2, 1, 66.7, 33.3]
    late_rows = [list(r) for r in late.iter_rows(min_row=2, values_only=True)]
    assert [(r[1], r[2]) for r in late_rows] == [("F324-E2", "Missing"), ("F324-E1-D1", "Late")]
    assert late_rows[0][4] == "Trần Văn Bình"


def test_completeness_page_query_count(world, login, reported, django_assert_num_queries):
    client = login("admin")
    with django_assert_num_queries(10):  # 9 + the navigation's warning count
        client.get(URL, {"ds": "PET_MONTHLY", "pe": last_month()})
