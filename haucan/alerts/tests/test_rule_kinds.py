"""One test per rule kind, with the exact alerts expected, plus the lifecycle and idempotence."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from django.urls import reverse

from haucan.alerts import evaluation
from haucan.alerts.evaluation import evaluate_all
from haucan.alerts.models import Alert, AlertRule, AlertStatus, AlertTransition
from haucan.alerts.services import clear_event, raise_event
from haucan.alerts.tests.conftest import SYSTEM, TODAY, Put
from haucan.catalog.models import ValidationRule
from haucan.catalog.services import default_option_combo
from haucan.core.scope import Domain
from haucan.org.models import Unit
from haucan.reporting.models import CompleteRegistration, MinMaxLimit
from haucan.testing import FuelForm, World

MakeRule = Callable[..., AlertRule]


def rows(code: str) -> list[tuple[str, str, str, str]]:
    return sorted(
        (a.unit.code, a.period, a.key, a.status)
        for a in Alert.objects.filter(code=code).select_related("unit")
    )


def test_threshold_on_a_regiment_sums_its_battalions(
    world: World, put: Put, make_rule: MakeRule
) -> None:
    rule = make_rule(
        code="LOW_STOCK",
        name="Tồn xăng dầu thấp",
        kind="threshold",
        expression="#{PET_STOCK}",
        operator="<",
        compare_to="100",
        levels=[4],
        period_type="Monthly",
    )
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30, ("PET_STOCK", "FUEL_2"): 40})
    put(world.battalion_b, "202611", {("PET_STOCK", "FUEL_1"): 500})

    report = evaluate_all(SYSTEM, today=TODAY, rules=[rule])

    assert rows("LOW_STOCK") == [("F324-E1", "202611", "", "open")]
    alert = Alert.objects.get(code="LOW_STOCK")
    assert alert.values == {"value": 70.0, "limit": 100.0}
    assert alert.message == (
        "Tồn xăng dầu thấp: Trung đoàn 1, Tháng 11/2026: giá trị 70 nhỏ hơn 100."
    )
    assert (alert.rule_id, alert.rule_version, alert.severity) == (rule.pk, 1, "warning")
    assert len(report.result.opened) == 1


def test_threshold_against_a_catalog_constant_and_an_operand(
    world: World, put: Put, make_rule: MakeRule
) -> None:
    from haucan.catalog.models import Constant

    Constant.objects.create(code="RESERVE", name="Dự trữ", value=50)
    rule = make_rule(
        code="A92_RESERVE",
        name="A92 dưới dự trữ",
        kind="threshold",
        expression="#{PET_STOCK.FUEL_1}",
        operator="<",
        compare_to="C{RESERVE}",
        levels=[5],
        period_type="Monthly",
    )
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30, ("PET_STOCK", "FUEL_2"): 400})
    put(world.battalion_b, "202611", {("PET_STOCK", "FUEL_1"): 60})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    assert rows("A92_RESERVE") == [("F324-E1-D1", "202611", "", "open")]
    link = Alert.objects.get(code="A92_RESERVE").link  # the entry screen of the cell's form
    assert link == f"{reverse('entry')}?ds=PET_MONTHLY&ou={world.battalion_a.uid}&pe=202611"


def test_lifecycle_resolves_when_fixed_reopens_when_back_and_never_duplicates(
    world: World, put: Put, make_rule: MakeRule
) -> None:
    rule = make_rule(
        code="LOW_STOCK",
        name="Tồn thấp",
        kind="threshold",
        expression="#{PET_STOCK}",
        operator="<",
        compare_to="100",
        levels=[5],
        period_type="Monthly",
    )
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])  # same condition: still one alert
    assert rows("LOW_STOCK") == [("F324-E1-D1", "202611", "", "open")]

    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 300})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    assert rows("LOW_STOCK") == [("F324-E1-D1", "202611", "", "resolved")]

    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 20})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    alert = Alert.objects.get(code="LOW_STOCK")
    assert (alert.status, alert.times_reopened, alert.values["value"]) == ("open", 1, 20.0)
    assert list(AlertTransition.objects.filter(alert=alert).values_list("action", flat=True)) == [
        "open",
        "resolve",
        "reopen",
    ]


def test_an_evaluation_run_twice_changes_nothing(
    world: World, put: Put, make_rule: MakeRule
) -> None:
    rule = make_rule(
        code="LOW_STOCK",
        name="Tồn thấp",
        kind="threshold",
        expression="#{PET_STOCK}",
        operator="<",
        compare_to="100",
        levels=[5],
        period_type="Monthly",
    )
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    before = list(Alert.objects.values())
    transitions = AlertTransition.objects.count()

    again = evaluate_all(SYSTEM, today=TODAY, rules=[rule])

    assert list(Alert.objects.values()) == before
    assert AlertTransition.objects.count() == transitions
    assert (again.result.raised, again.result.refreshed, again.result.resolved) == ([], 0, 0)


def test_validation_rule_violation_is_an_alert_per_rule(
    world: World, put: Put, make_rule: MakeRule, issued_within_stock: ValidationRule
) -> None:
    rule = make_rule(
        code="PET_VALID",
        name="Kiểm tra báo cáo xăng dầu",
        kind="validation",
        data_set="PET_MONTHLY",
    )
    put(world.battalion_a, "202611", {("PET_ISSUED", None): 500, ("PET_STOCK", "FUEL_1"): 70})
    put(world.battalion_b, "202611", {("PET_ISSUED", None): 50, ("PET_STOCK", "FUEL_1"): 70})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    assert rows("PET_VALID") == [("F324-E1-D1", "202611", "ISSUED_LE_STOCK", "open")]
    assert Alert.objects.get(code="PET_VALID").values == {"left": 500.0, "right": 70.0}


def test_outlier_by_modified_z_score_from_the_series_history(
    world: World, fuel: FuelForm, put: Put, make_rule: MakeRule
) -> None:
    rule = make_rule(
        code="ISSUE_OUTLIER",
        name="Xuất bất thường",
        kind="outlier",
        method="zscore",
        elements=["PET_ISSUED"],
        period_type="Monthly",
        threshold=3.5,
        history=10,
    )
    history = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101]
    for i, value in enumerate(history):
        period = f"2026{i + 1:02d}"
        put(world.battalion_a, period, {("PET_ISSUED", None): value})
        put(world.battalion_b, period, {("PET_ISSUED", None): value})
    put(world.battalion_a, "202611", {("PET_ISSUED", None): 500})
    put(world.battalion_b, "202611", {("PET_ISSUED", None): 102})

    evaluate_all(SYSTEM, today=TODAY, rules=[rule])

    coc = default_option_combo()
    key = f"{fuel.issued.pk}:{coc.pk}"
    assert rows("ISSUE_OUTLIER") == [("F324-E1-D1", "202611", key, "open")]
    alert = Alert.objects.get(code="ISSUE_OUTLIER")
    # median 100, MAD 1: z = 0.6745 · 400 / 1
    assert alert.values == {"value": 500.0, "median": 100.0, "z": 269.8}


def test_outlier_by_min_max_limits(
    world: World, fuel: FuelForm, put: Put, make_rule: MakeRule
) -> None:
    coc = default_option_combo()
    MinMaxLimit.objects.create(
        data_element=fuel.issued,
        unit=world.battalion_b,
        category_option_combo=coc,
        minimum=0,
        maximum=200,
    )
    rule = make_rule(
        code="ISSUE_MINMAX",
        name="Ngoài giới hạn",
        kind="outlier",
        method="minmax",
        elements=["PET_ISSUED"],
        period_type="Monthly",
    )
    put(world.battalion_a, "202611", {("PET_ISSUED", None): 300})  # no limit here
    put(world.battalion_b, "202611", {("PET_ISSUED", None): 300})
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    assert rows("ISSUE_MINMAX") == [("F324-E2-D4", "202611", f"{fuel.issued.pk}:{coc.pk}", "open")]
    assert Alert.objects.get(code="ISSUE_MINMAX").values == {
        "value": 300.0,
        "min": 0.0,
        "max": 200.0,
    }


def test_late_report_per_unit_with_a_summary_at_the_parent(
    world: World, fuel: FuelForm, battalion_a2: Unit, make_rule: MakeRule
) -> None:
    rule = make_rule(code="PET_LATE", name="Chậm báo cáo", kind="late", data_set="PET_MONTHLY")
    # October's deadline (10 days after 31/10) passed on 20/11; only battalion_a2 submitted.
    CompleteRegistration.objects.create(
        data_set=fuel.data_set,
        period="202610",
        unit=battalion_a2,
        attribute_option_combo=default_option_combo(),
        completed_at="2026-11-05T08:00:00Z",
        completed_by="clerk_a",
        on_time=True,
    )
    evaluate_all(SYSTEM, today=TODAY, rules=[rule])
    assert rows("PET_LATE") == [
        ("F324-E1", "202610", "summary", "open"),
        ("F324-E1-D1", "202610", "", "open"),
        ("F324-E2", "202610", "summary", "open"),
        ("F324-E2-D4", "202610", "", "open"),
    ]
    summary = Alert.objects.get(code="PET_LATE", unit=world.regiment_a)
    assert summary.values == {"missing": 1, "total": 2}
    assert summary.message == (
        "Chậm báo cáo: 1 trong số 2 đơn vị thuộc Trung đoàn 1 chưa nộp "
        "Báo cáo xăng dầu tháng kỳ Tháng 10/2026."
    )


def test_domain_event_takes_severity_from_its_rule(world: World, make_rule: MakeRule) -> None:
    make_rule(
        code="EV_LOW_FUEL",
        name="Dưới dự trữ",
        kind="event",
        severity="critical",
        event_code="petroleum.stock_below_reserve",
    )
    alert = raise_event(
        SYSTEM,
        code="petroleum.stock_below_reserve",
        domain=Domain.PETROLEUM,
        unit=world.battalion_a,
        severity="warning",
        message="Tồn %(p)s dưới dự trữ",
        params={"p": "A92"},
        key="depot:1",
    )
    assert (alert.severity, alert.message, alert.rule is not None) == (
        "critical",
        "Tồn A92 dưới dự trữ",
        True,
    )
    assert (
        clear_event(
            SYSTEM, code="petroleum.stock_below_reserve", unit=world.battalion_a, key="depot:1"
        )
        is not None
    )
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_a_full_evaluation_pauses_the_cycle_collector_and_always_resumes_it(
    world: World, put: Put, make_rule: MakeRule, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_rule(
        code="LOW", name="Tồn thấp", kind="threshold", expression="#{PET_STOCK}", operator="<",
        compare_to="100", period_type="Monthly",
    )  # fmt: skip
    evaluate_all(SYSTEM, today=TODAY)
    assert gc.isenabled()

    # When the evaluation fails half-way (a fault injected where it does its work)
    seen: list[bool] = []

    def failing(*args: object, **kwargs: object) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("the database went away")

    monkeypatch.setattr(evaluation, "_evaluate_all", failing)
    with pytest.raises(RuntimeError):
        evaluate_all(SYSTEM, today=TODAY)
    assert seen == [False]  # paused while it ran
    assert gc.isenabled()  # and back on although it failed
