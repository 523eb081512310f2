"""Who is notified (the hierarchy rules) and who may see an alert (scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from haucan.alerts.evaluation import evaluate_arrivals
from haucan.alerts.models import Alert, AlertRule, Notification
from haucan.alerts.queries import get_alert, unread_count, visible
from haucan.alerts.recipients import recipients
from haucan.alerts.services import raise_event
from haucan.alerts.tests.conftest import SYSTEM, Put
from haucan.analytics import store
from haucan.catalog.models import DataElement, ValidationRule
from haucan.core.arrivals import Arrival
from haucan.core.errors import NotFound
from haucan.core.scope import Domain, Scope
from haucan.org.models import Unit
from haucan.testing import FuelForm, World


def _event(unit: Unit, domain: Domain = Domain.PETROLEUM, code: str = "petroleum.low") -> Alert:
    return raise_event(
        SYSTEM, code=code, domain=domain, unit=unit, severity="warning", message="Tồn thấp"
    )


def _names(alert: Alert) -> set[str]:
    return set(Notification.objects.filter(alert=alert).values_list("user__username", flat=True))


def test_default_recipients_are_the_nearest_clerk_the_commanders_above_and_specialists(
    world: World,
) -> None:
    alert = _event(world.battalion_a)
    # clerk_a reports for Trung đoàn 1 (the battalion has no clerk of its own); the commander
    # of the division is two levels up; the petroleum specialist sits at the ministry.
    assert _names(alert) == {"clerk_a", "commander", "specialist"}


def test_a_rule_narrows_the_levels_and_the_specialists(
    world: World, make_rule: Callable[..., AlertRule]
) -> None:
    make_rule(
        code="EV",
        name="Sự kiện",
        kind="event",
        event_code="petroleum.low",
        notify_roles=["clerk", "commander"],
        levels_up=1,
        notify_specialists=False,
    )
    alert = _event(world.battalion_a)
    assert _names(alert) == {"clerk_a"}  # the division is 2 levels up, beyond levels_up=1


def test_medical_alert_does_not_reach_the_petroleum_specialist(world: World) -> None:
    alert = _event(world.battalion_b, Domain.MEDICAL, "medical.case")
    assert recipients([alert])[alert.pk] == {world.clerk_b.pk, world.commander.pk}


def test_clerk_b_never_sees_clerk_a_units_alerts(
    world: World, scope_of: Callable[[str], Scope]
) -> None:
    mine = _event(world.battalion_a)
    theirs = _event(world.battalion_b)
    clerk_b = scope_of("clerk_b")
    assert list(visible(clerk_b)) == [theirs]
    with pytest.raises(NotFound):
        get_alert(clerk_b, mine.pk)
    assert set(visible(scope_of("commander"))) == {mine, theirs}
    assert unread_count(scope_of("clerk_a")) == 1
    assert unread_count(clerk_b) == 1


def test_inbox_count_is_one_query(
    world: World, scope_of: Callable[[str], Scope], django_assert_num_queries: Any
) -> None:
    _event(world.battalion_a)
    scope = scope_of("commander")
    with django_assert_num_queries(1):
        assert unread_count(scope) == 1


def test_arrival_evaluates_only_touched_rules_and_resolves_when_fixed(
    world: World,
    fuel: FuelForm,
    put: Put,
    make_rule: Callable[..., AlertRule],
    django_capture_on_commit_callbacks: Any,
    settings: object,
) -> None:
    make_rule(
        code="LOW_STOCK",
        name="Tồn thấp",
        kind="threshold",
        expression="#{PET_STOCK}",
        operator="<",
        compare_to="100",
        levels=[4, 5],
        period_type="Monthly",
        lookback=24,
    )
    with django_capture_on_commit_callbacks(execute=True):
        put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30})
    assert sorted(Alert.objects.values_list("unit__code", "status")) == [
        ("F324-E1", "open"),
        ("F324-E1-D1", "open"),
    ]
    assert _names(Alert.objects.get(unit=world.battalion_a)) >= {"clerk_a", "commander"}
    # An element no rule uses touches nothing.
    report = evaluate_arrivals(
        SYSTEM, [Arrival(world.battalion_a.pk, "202611", frozenset({fuel.note.pk}))]
    )
    assert report.rules == 0
    with django_capture_on_commit_callbacks(execute=True):
        put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 300})
    assert sorted(Alert.objects.values_list("unit__code", "status")) == [
        ("F324-E1", "resolved"),
        ("F324-E1-D1", "resolved"),
    ]


def test_arrival_of_a_submission_resolves_the_late_report(
    world: World,
    fuel: FuelForm,
    make_rule: Callable[..., AlertRule],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from haucan.alerts.evaluation import evaluate_all
    from haucan.reporting.services.submission import submit_report
    from haucan.reporting.services.values import resolve_target

    rule = make_rule(code="LATE", name="Chậm", kind="late", data_set="PET_MONTHLY", lookback=1)
    evaluate_all(SYSTEM, rules=[rule])
    period = Alert.objects.filter(code="LATE").values_list("period", flat=True).first()
    assert period is not None
    assert Alert.objects.filter(code="LATE", unit=world.battalion_a, status="open").exists()
    target = resolve_target(SYSTEM, fuel.data_set, world.battalion_a, period)
    with django_capture_on_commit_callbacks(execute=True):
        submit_report(SYSTEM, target)
    assert Alert.objects.get(code="LATE", unit=world.battalion_a).status == "resolved"
    summary = Alert.objects.get(code="LATE", unit=world.regiment_a, key="summary")
    assert summary.values == {"missing": 1, "total": 2}


def test_an_arrival_costs_the_same_queries_for_one_touched_rule_as_for_three(
    world: World, fuel: FuelForm, put: Put, make_rule: Callable[..., AlertRule]
) -> None:
    # Given a stock value below three limits (the listener does not run: no commit callbacks)
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30})
    store.ensure_fresh()  # the analytics catch-up of the save: the next query's, not alerts'
    arrival = [Arrival(world.battalion_a.pk, "202611", frozenset({fuel.stock.pk}))]

    def rule(limit: int) -> AlertRule:
        return make_rule(
            code=f"LOW_{limit}",
            name=f"Tồn dưới {limit}",
            kind="threshold",
            expression="#{PET_STOCK}",
            operator="<",
            compare_to=str(limit),
            levels=[4, 5],
            period_type="Monthly",
            lookback=24,
        )

    def queries_to_open() -> int:
        with CaptureQueriesContext(connection) as captured:
            report = evaluate_arrivals(SYSTEM, arrival)
        assert len(report.result.opened) == 2 * AlertRule.objects.count()  # unit and regiment
        return len(captured.captured_queries)

    rule(100)
    one = queries_to_open()
    Alert.objects.all().delete()
    rule(200)
    rule(300)
    # When the arrival is evaluated again with three rules to open alerts for
    # Then the alerts are read, written, logged and delivered for all three at once
    assert queries_to_open() == one


def test_an_arrival_evaluates_only_the_rules_watching_what_changed(
    world: World,
    fuel: FuelForm,
    make_rule: Callable[..., AlertRule],
    issued_within_stock: ValidationRule,
) -> None:
    # Given a threshold rule on the stock, a validation rule of the fuel form naming the issues,
    # and an outlier rule on the issues
    make_rule(
        code="LOW", name="Tồn thấp", kind="threshold", expression="#{PET_STOCK}", operator="<",
        compare_to="100", period_type="Monthly",
    )  # fmt: skip
    make_rule(code="VALID", name="Kiểm tra", kind="validation", data_set="PET_MONTHLY")
    make_rule(
        code="ODD", name="Bất thường", kind="outlier", method="zscore", elements=["PET_ISSUED"],
        period_type="Monthly",
    )  # fmt: skip
    unwatched = DataElement.objects.create(
        code="PET_OTHER", name="Chỉ tiêu khác", domain="petroleum", value_type="NUMBER",
        aggregation_type="SUM", category_combo=fuel.issued.category_combo,
    )  # fmt: skip

    # When values of an element no rule watches arrive
    with CaptureQueriesContext(connection) as captured:
        report = evaluate_arrivals(
            SYSTEM, [Arrival(world.battalion_a.pk, "202611", frozenset({unwatched.pk}))]
        )
    # Then no rule is evaluated; the metadata changed since the last evaluation, so the stamp,
    # the rules with their elements, the forms' elements and the catalog are read
    assert report.rules == 0
    assert len(captured.captured_queries) == 7
    # And the next such arrival reads only the stamp: the metadata did not change
    with CaptureQueriesContext(connection) as captured:
        evaluate_arrivals(
            SYSTEM, [Arrival(world.battalion_a.pk, "202611", frozenset({unwatched.pk}))]
        )
    assert [q["sql"] for q in captured.captured_queries] == [
        "SELECT value FROM alerts_metadatastamp WHERE id = 1"
    ]

    # When the issues arrive: the validation and the outlier rule, not the stock's threshold
    issued = [Arrival(world.battalion_a.pk, "202611", frozenset({fuel.issued.pk}))]
    assert evaluate_arrivals(SYSTEM, issued).rules == 2
    # And a quarter's stock touches no monthly rule
    stock = [Arrival(world.battalion_a.pk, "2026Q3", frozenset({fuel.stock.pk}))]
    assert evaluate_arrivals(SYSTEM, stock).rules == 0
