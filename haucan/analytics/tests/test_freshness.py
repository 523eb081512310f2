"""A write is visible in the very next query, with no refresh job and no sleeping (issue 4, §2)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from haucan.analytics import store
from haucan.analytics.engine import run_query
from haucan.analytics.models import Rollup
from haucan.analytics.query import parse_query
from haucan.catalog.models import DataElement, DataSet, DataSetElement, ValueType
from haucan.catalog.services import ensure_default_combo
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.org.services import move_unit
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import World

SYSTEM = Scope.system("test")


@pytest.fixture
def issued_form(world: World) -> DataSet:
    default = ensure_default_combo()
    issued = DataElement.objects.create(
        code="PET_ISSUED",
        name="Xuất trong kỳ",
        domain="petroleum",
        value_type=ValueType.NUMBER,
        category_combo=default,
    )
    data_set = DataSet.objects.create(
        code="PET_MONTHLY",
        name="Báo cáo xăng dầu tháng",
        domain="petroleum",
        period_type="Monthly",
        category_combo=default,
    )
    DataSetElement.objects.create(data_set=data_set, data_element=issued)
    data_set.units.add(*Unit.objects.all())
    return data_set


def put(data_set: DataSet, unit: Unit, period: str, value: str) -> None:
    save_values(
        SYSTEM, resolve_target(SYSTEM, data_set, unit, period), [CellInput("PET_ISSUED", value)]
    )


def total(unit: Unit, pe: str = "202501", hierarchy: str = "current") -> float | None:
    query = parse_query(
        {"dimension": ["dx:PET_ISSUED", f"pe:{pe}", f"ou:{unit.uid}"], "hierarchy": [hierarchy]}
    )
    values = run_query(SYSTEM, query).value_map()
    assert len(values) <= 1
    return next(iter(values.values()), None)


def test_a_created_value_is_in_the_next_query(world: World, issued_form: DataSet) -> None:
    assert total(world.ministry) is None
    put(issued_form, world.battalion_a, "202501", "12.5")
    assert total(world.battalion_a) == 12.5
    assert total(world.ministry) == 12.5
    assert total(world.ministry, "2025") == 12.5


def test_an_updated_value_replaces_the_old_one_at_once(world: World, issued_form: DataSet) -> None:
    put(issued_form, world.battalion_a, "202501", "12.5")
    put(issued_form, world.battalion_b, "202501", "3")
    assert total(world.division) == 15.5
    put(issued_form, world.battalion_a, "202501", "40")
    assert total(world.division) == 43
    assert total(world.regiment_a) == 40


def test_a_deleted_value_disappears_at_once(world: World, issued_form: DataSet) -> None:
    put(issued_form, world.battalion_a, "202501", "12.5")
    put(issued_form, world.battalion_b, "202501", "3")
    assert total(world.division) == 15.5
    put(issued_form, world.battalion_a, "202501", "")
    assert total(world.division) == 3
    assert total(world.regiment_a) is None
    put(issued_form, world.battalion_a, "202501", "7")  # and it can come back
    assert total(world.regiment_a) == 7


def test_a_write_after_a_rebuild_is_still_seen(world: World, issued_form: DataSet) -> None:
    put(issued_form, world.battalion_a, "202501", "5")
    store.rebuild()
    assert total(world.ministry) == 5
    put(issued_form, world.battalion_b, "202501", "6")
    assert total(world.ministry) == 11


def test_a_move_changes_the_current_tree_at_once_and_keeps_the_old_one_for_as_of(
    world: World, issued_form: DataSet
) -> None:
    # Given both battalions reporting in January and April 2025
    for period in ("202501", "202504"):
        put(issued_form, world.battalion_a, period, "10")
        put(issued_form, world.battalion_b, period, "1")
    assert (total(world.regiment_a), total(world.regiment_b)) == (10, 1)
    # When battalion A moves to regiment B from 1 March 2025
    move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2025, 3, 1))
    # Then today's tree counts it under regiment B immediately
    assert total(world.regiment_a) is None
    assert total(world.regiment_b) == 11
    assert total(world.regiment_b, "2025") == 22
    # And the tree of February still counts it under regiment A
    assert total(world.regiment_a, "2025", "as-of:2025-02-01") == 20
    assert total(world.regiment_b, "2025", "as-of:2025-02-01") == 2
    # And hierarchy=period splits the year's months between the two regiments
    assert total(world.regiment_a, "202501", "period") == 10
    assert total(world.regiment_a, "202504", "period") is None
    assert total(world.regiment_b, "202504", "period") == 11
    # The division above both is unchanged in every mode
    for hierarchy in ("current", "as-of:2025-02-01", "period"):
        assert total(world.division, "202501", hierarchy) == 11


def test_a_value_written_after_a_move_lands_in_the_new_parent(
    world: World, issued_form: DataSet
) -> None:
    move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2025, 3, 1))
    put(issued_form, world.battalion_a, "202504", "8")
    assert total(world.regiment_b, "202504") == 8
    assert total(world.regiment_a, "202504", "as-of:2025-02-01") == 8
    assert total(world.regiment_b, "202504", "as-of:2025-02-01") is None


RollupRows = dict[tuple[int, int, int, int, str], tuple[float, int, float | None, float | None]]


def _rollups() -> RollupRows:
    rows = Rollup.objects.values_list(
        "data_element_id", "category_option_combo_id", "attribute_option_combo_id", "unit_id",
        "period", "total", "count", "minimum", "maximum",
    )  # fmt: skip
    return {r[:5]: r[5:] for r in rows}


def test_edits_leave_the_rollups_equal_to_a_rebuild(world: World, issued_form: DataSet) -> None:
    # Given values everywhere, then edits that replace, remove and restore values, extremes or
    # not, several of them to one cell between two refreshes (seeded: the same run every time)
    rng = random.Random(5)
    units = list(Unit.objects.order_by("path"))
    for unit in units:
        put(issued_form, unit, "202501", str(rng.randint(1, 9)))
    store.ensure_fresh()
    for step in range(120):
        unit = rng.choice(units)
        put(issued_form, unit, "202501", rng.choice(["", "1", "5", "9", str(rng.randint(0, 12))]))
        if step % 3 == 0:
            store.ensure_fresh()
            # Then the incremental rollups are exactly what a rebuild computes from the values
            applied = _rollups()
            store.rebuild()
            assert applied == _rollups(), f"after step {step}"
