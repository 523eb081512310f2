"""The evaluation's value cache: each stored value counted once however the loads overlap, element
totals over the option combos, and each combo's own value (the read differs by database)."""

from __future__ import annotations

from haucan.alerts.evaluation.context import Catalog, OperandReader, Units, Values
from haucan.alerts.tests.conftest import Put
from haucan.core.expressions import Operand
from haucan.testing import FuelForm, World


def test_overlapping_loads_count_every_value_once(world: World, fuel: FuelForm, put: Put) -> None:
    put(world.battalion_a, "202610", {("PET_STOCK", "FUEL_1"): 30, ("PET_ISSUED", None): 5})
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30, ("PET_STOCK", "FUEL_2"): 40})
    put(world.battalion_a, "202611", {("PET_ISSUED", None): 7})
    values = Values(Units.everything())
    stock, issued = fuel.stock.pk, fuel.issued.pk

    values.load(["202611"], [stock])
    assert values.totals("202611", stock) == {world.battalion_a.pk: 70.0}
    # Stock is loaded for November, not October; issues for neither. Reading both elements for
    # both months in one go would read November's stock again and count it twice.
    values.load(["202610", "202611"], [stock, issued])

    a = world.battalion_a.pk
    assert values.totals("202611", stock) == {a: 70.0}
    assert values.totals("202610", stock) == {a: 30.0}
    assert values.totals("202611", issued) == {a: 7.0}
    assert values.totals("202610", issued) == {a: 5.0}
    combos = values.series("202611", stock)[a]
    assert sorted(combos.values()) == [30.0, 40.0]
    assert all(type(v) is float for v in combos.values())


def test_operand_reader_gives_totals_and_single_combos(
    world: World, fuel: FuelForm, put: Put
) -> None:
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30, ("PET_STOCK", "FUEL_2"): 40})
    put(world.battalion_b, "202611", {("PET_ISSUED", None): 9})
    catalog = Catalog()
    values = Values(Units.everything())
    values.load(["202611"], [fuel.stock.pk, fuel.issued.pk])
    total, a92, issued = Operand("PET_STOCK"), Operand("PET_STOCK", "FUEL_1"), Operand("PET_ISSUED")

    only_totals = OperandReader([total, issued], catalog).at(values, "202611")
    with_combo = OperandReader([total, a92], catalog).at(values, "202611")

    assert only_totals(world.battalion_a.pk) == {total: 70.0, issued: None}
    assert only_totals(world.battalion_b.pk) == {total: None, issued: 9.0}
    assert only_totals(world.regiment_a.pk) is None  # no own values at all
    assert with_combo(world.battalion_a.pk) == {total: 70.0, a92: 30.0}
    assert with_combo(world.battalion_b.pk) is None
