from __future__ import annotations

from datetime import date

import pytest

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.org.services import move_unit
from haucan.reporting.services.values import CellInput, resolve_target, save_values

SYSTEM = Scope.system("test")


def put(world, fuel_form, unit, period, cells):
    fuel_form.data_set.units.add(unit)
    target = resolve_target(SYSTEM, fuel_form.data_set, unit, period)
    save_values(SYSTEM, target, [CellInput(*c) for c in cells])


def query(scope, dx, pe, ou, **extra):
    params = {"dimension": [f"dx:{dx}", f"pe:{pe}", f"ou:{ou}"]}
    params.update({k: [v] for k, v in extra.items()})
    return run_query(scope, parse_query(params)).value_map()


def test_sum_rolls_up_the_tree_immediately(world, fuel_form):
    put(world, fuel_form, world.battalion_a, "202401", [("PET_ISSUED", "10")])
    put(world, fuel_form, world.regiment_a, "202401", [("PET_ISSUED", "5")])
    put(world, fuel_form, world.regiment_b, "202401", [("PET_ISSUED", "7")])
    de = fuel_form.issued.uid
    result = query(SYSTEM, "PET_ISSUED", "202401", f"{world.division.uid};{world.regiment_a.uid}")
    assert result == {
        (de, "202401", world.division.uid): 22.0,
        (de, "202401", world.regiment_a.uid): 15.0,
    }
    put(world, fuel_form, world.battalion_a, "202401", [("PET_ISSUED", "1")])
    assert query(SYSTEM, "PET_ISSUED", "2024Q1", world.ministry.uid) == {
        (de, "2024Q1", world.ministry.uid): 13.0
    }


def test_last_is_stock_on_hand(world, fuel_form):
    put(world, fuel_form, world.regiment_a, "202401", [("PET_STOCK", "100", "FUEL_1")])
    put(world, fuel_form, world.regiment_a, "202402", [("PET_STOCK", "80", "FUEL_1")])
    put(world, fuel_form, world.regiment_b, "202401", [("PET_STOCK", "50", "FUEL_1")])
    de = fuel_form.stock.uid
    assert query(SYSTEM, "PET_STOCK", "2024Q1", world.division.uid) == {
        (de, "2024Q1", world.division.uid): 130.0
    }


def test_history_modes(world, fuel_form):
    put(world, fuel_form, world.battalion_a, "202301", [("PET_ISSUED", "10")])
    put(world, fuel_form, world.battalion_a, "202305", [("PET_ISSUED", "20")])
    move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2023, 3, 1))
    de = fuel_form.issued.uid
    a, b = world.regiment_a.uid, world.regiment_b.uid
    current = query(SYSTEM, "PET_ISSUED", "202301;202305", f"{a};{b}")
    assert current == {(de, "202301", b): 10.0, (de, "202305", b): 20.0}
    by_period = query(SYSTEM, "PET_ISSUED", "202301;202305", f"{a};{b}", hierarchy="period")
    assert by_period == {(de, "202301", a): 10.0, (de, "202305", b): 20.0}
    as_of = query(SYSTEM, "PET_ISSUED", "202301;202305", f"{a};{b}", hierarchy="as-of:2023-02-01")
    assert as_of == {(de, "202301", a): 10.0, (de, "202305", a): 20.0}


def test_clerk_cannot_query_sibling(world, fuel_form, scope_of):
    with pytest.raises(NotFound):
        query(scope_of("clerk_a"), "PET_ISSUED", "202401", world.regiment_b.uid)
