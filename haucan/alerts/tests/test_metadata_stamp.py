"""The metadata stamp (haucan.alerts.stamp) and the snapshot an arrival evaluation keeps under it
(haucan.alerts.evaluation.metadata): kept while nothing changed, never after any write to a
catalog table or an alert rule, whichever way the write was made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.db import connection, transaction
from django.db.models import F

from haucan.alerts import stamp
from haucan.alerts.evaluation import evaluate_arrivals, metadata
from haucan.alerts.models import Alert, AlertRule
from haucan.alerts.tests.conftest import SYSTEM, Put
from haucan.catalog.models import Constant, DataElement, Norm, NormSet
from haucan.config.checks import run_checks
from haucan.core.arrivals import Arrival
from haucan.testing import FuelForm, World

MakeRule = Callable[..., AlertRule]
LowStock = tuple[AlertRule, list[Arrival]]
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    metadata.forget()  # a snapshot kept by an earlier test is not this test's business
    yield
    metadata.forget()


def test_every_catalog_table_and_the_alert_rules_have_the_stamp_trigger(db: None) -> None:
    tables = stamp.watched_tables()
    assert "catalog_dataelement" in tables
    assert "catalog_dataset_units" in tables  # many-to-many tables too
    assert {"alerts_alertrule", "alerts_alertrule_elements"} <= set(tables)
    assert "alerts_alert" not in tables  # alerts are data, not metadata
    assert stamp.installed_triggers(connection) == stamp.expected_triggers(connection.vendor)


def test_a_lost_trigger_is_made_again_after_migrate(db: None) -> None:
    # SQLite drops a table's triggers when a migration rebuilds the table; the post_migrate
    # handler makes the missing ones again.
    name = sorted(stamp.expected_triggers(connection.vendor))[0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table = name.removeprefix("haucan_stamp_")
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    assert name not in stamp.installed_triggers(connection)
    said: list[str] = []
    assert run_checks(said.append) == 1  # `haucan check` says so
    assert "  problem: 1 metadata trigger(s) missing; run `haucan init`" in said
    stamp.on_post_migrate(sender=None, using="default")
    assert stamp.installed_triggers(connection) == stamp.expected_triggers(connection.vendor)


def test_every_way_of_writing_metadata_changes_the_stamp(
    fuel: FuelForm, make_rule: MakeRule, put: Put, world: World
) -> None:
    rule = make_rule(
        code="ODD", name="Bất thường", kind="outlier", method="zscore", elements=["PET_ISSUED"],
        period_type="Monthly",
    )  # fmt: skip
    seen = [stamp.current()]

    def changed() -> bool:
        now = stamp.current()
        new = now not in seen
        seen.append(now)
        return new

    assert seen[0] is not None
    Constant.objects.create(code="RESERVE", name="Dự trữ", value=50)  # the ORM's save
    assert changed()
    Constant.objects.filter(code="RESERVE").update(value=F("value") + 1)  # no signal at all
    assert changed()
    Constant.objects.bulk_create([Constant(code="OTHER", name="Khác", value=1)])
    assert changed()
    rule.elements.add(fuel.stock)  # a many-to-many table
    assert changed()
    AlertRule.objects.filter(pk=rule.pk).update(threshold=2.5)
    assert changed()
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute(
            "UPDATE catalog_dataelement SET short_name = 'x' WHERE id = %s", [fuel.note.pk]
        )
    assert changed()
    norms = NormSet.objects.create(code="NS", name="Định mức")
    Norm.objects.create(norm_set=norms, item_code="A", value=3, valid_from=date(2026, 1, 1))
    assert changed()
    Constant.objects.filter(code="OTHER").delete()
    assert changed()

    # Values are data: saving them leaves the stamp (and so the kept snapshot) alone
    before = stamp.current()
    put(world.battalion_a, "202611", {("PET_ISSUED", None): 40})
    Alert.objects.all().delete()
    assert stamp.current() == before


@pytest.fixture
def low_stock(world: World, fuel: FuelForm, make_rule: MakeRule, put: Put) -> LowStock:
    """A threshold rule "stock below 100" and battalion A's stock of 50 arriving: one alert."""
    rule = make_rule(
        code="LOW", name="Tồn thấp", kind="threshold", expression="#{PET_STOCK}", operator="<",
        compare_to="100", levels=[5], period_type="Monthly",
    )  # fmt: skip
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 50})
    stock = [Arrival(world.battalion_a.pk, "202611", frozenset({fuel.stock.pk}))]
    evaluate_arrivals(SYSTEM, stock, today=TODAY)
    return rule, stock


def _open(code: str) -> list[tuple[int, str]]:
    return list(Alert.objects.filter(code=code, status="open").values_list("unit_id", "period"))


def test_an_arrival_sees_a_rule_changed_without_the_orm_right_away(
    world: World, low_stock: LowStock
) -> None:
    rule, stock = low_stock
    assert _open("LOW") == [(world.battalion_a.pk, "202611")]
    kept = metadata.snapshot()
    assert metadata.snapshot() is kept  # nothing changed: the same snapshot

    # When the limit is lowered behind the ORM's back (no signal, no save())
    AlertRule.objects.filter(pk=rule.pk).update(compare_to="10", version=F("version") + 1)
    assert metadata.snapshot() is not kept

    # Then the next arrival uses the new limit: 50 is no longer below it
    evaluate_arrivals(SYSTEM, stock, today=TODAY)
    assert _open("LOW") == []


def test_a_rolled_back_change_is_not_kept(fuel: FuelForm, low_stock: LowStock) -> None:
    rule, _stock = low_stock
    before = stamp.current()

    # Given a change of the rule that an evaluation saw, then rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        AlertRule.objects.filter(pk=rule.pk).update(compare_to="10")
        seen_inside = metadata.snapshot()
        assert next(r for r in seen_inside.rules if r.pk == rule.pk).compare_to == "10"
        raise RuntimeError("rolled back")

    # Then the stamp is the one from before, and the snapshot read inside is not used
    assert stamp.current() == before
    kept = metadata.snapshot()
    assert kept is not seen_inside
    assert next(r for r in kept.rules if r.pk == rule.pk).compare_to == "100"
    # And a new change gets a stamp nobody has seen
    DataElement.objects.filter(pk=fuel.note.pk).update(short_name="y")
    assert stamp.current() not in {before, None}
