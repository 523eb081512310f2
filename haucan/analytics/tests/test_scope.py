"""A user only ever aggregates inside their scope (issue 4, "Scope").

The world: Bộ Quốc phòng → Quân khu 4 → Sư đoàn 324 → Trung đoàn 1 (clerk_a) / Trung đoàn 2
(clerk_b), each with a battalion; the commander leads the division. A sibling division, Sư đoàn
325, holds data that nobody below Quân khu 4 may see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.org.models import Unit, UnitGroup
from haucan.org.services import UnitSpec, create_unit, move_unit
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import OPENED, FuelForm, World, build_fuel_form

SYSTEM = Scope.system("test")


@pytest.fixture
def fuel_form(world: World) -> FuelForm:
    """The shared petroleum form, assigned to every unit here."""
    return build_fuel_form(Unit.objects.all())


@pytest.fixture
def sibling_division(world: World, fuel_form: FuelForm) -> Unit:
    division = create_unit(
        SYSTEM,
        spec=UnitSpec(name="Sư đoàn 325", code="F325"),
        parent=world.region,
        opened_on=OPENED,
    )
    fuel_form.data_set.units.add(division)
    return division


def put(form: FuelForm, unit: Unit, period: str, issued: str) -> None:
    target = resolve_target(SYSTEM, form.data_set, unit, period)
    save_values(SYSTEM, target, [CellInput("PET_ISSUED", issued)])


def ask(scope: Scope, ou: str, pe: str = "202501", hierarchy: str = "current") -> dict:
    query = parse_query(
        {"dimension": ["dx:PET_ISSUED", f"pe:{pe}", f"ou:{ou}"], "hierarchy": [hierarchy]}
    )
    return run_query(scope, query).value_map()


@pytest.fixture
def issued_everywhere(world: World, fuel_form: FuelForm, sibling_division: Unit) -> str:
    """January 2025: 1 at each regiment, 10 and 20 at the battalions, 1000 in F325."""
    put(fuel_form, world.regiment_a, "202501", "1")
    put(fuel_form, world.battalion_a, "202501", "10")
    put(fuel_form, world.regiment_b, "202501", "2")
    put(fuel_form, world.battalion_b, "202501", "20")
    put(fuel_form, sibling_division, "202501", "1000")
    return fuel_form.issued.uid


def test_commanders_total_covers_only_the_division(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    de = issued_everywhere
    assert ask(scope_of("commander"), "USER_ORGUNIT") == {(de, "202501", world.division.uid): 33}
    assert ask(SYSTEM, world.region.uid) == {(de, "202501", world.region.uid): 1033}


def test_commanders_levels_stay_inside_the_division(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    de = issued_everywhere
    # F325 is a level-3 unit beside the division: LEVEL-3 must not reach it.
    assert ask(scope_of("commander"), "LEVEL-4") == {
        (de, "202501", world.regiment_a.uid): 11,
        (de, "202501", world.regiment_b.uid): 22,
    }
    assert ask(scope_of("commander"), "LEVEL-3") == {(de, "202501", world.division.uid): 33}


def test_commander_cannot_name_a_unit_above_the_division(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str, sibling_division: Unit
) -> None:
    for unit in (world.region, world.ministry, sibling_division):
        with pytest.raises(NotFound):
            ask(scope_of("commander"), unit.uid)


def test_clerk_a_cannot_name_clerk_bs_regiment(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    for key in (world.regiment_b.uid, world.regiment_b.code, world.battalion_b.uid):
        with pytest.raises(NotFound):
            ask(scope_of("clerk_a"), key)


def test_clerk_as_own_units_never_include_clerk_bs_values(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    de = issued_everywhere
    clerk_a = scope_of("clerk_a")
    assert ask(clerk_a, "USER_ORGUNIT") == {(de, "202501", world.regiment_a.uid): 11}
    assert ask(clerk_a, "USER_ORGUNIT_CHILDREN") == {(de, "202501", world.battalion_a.uid): 10}
    assert ask(clerk_a, "LEVEL-4") == {(de, "202501", world.regiment_a.uid): 11}
    assert ask(clerk_a, "LEVEL-5") == {(de, "202501", world.battalion_a.uid): 10}


def test_a_unit_group_is_cut_to_the_clerks_scope(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    group = UnitGroup.objects.create(code="REGIMENTS", name="Các trung đoàn")
    group.units.add(world.regiment_a, world.regiment_b)
    assert ask(scope_of("clerk_a"), f"OU_GROUP-{group.uid}") == {
        (issued_everywhere, "202501", world.regiment_a.uid): 11
    }


def test_clerk_b_sees_their_own_regiment(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str
) -> None:
    assert ask(scope_of("clerk_b"), "USER_ORGUNIT") == {
        (issued_everywhere, "202501", world.regiment_b.uid): 22
    }


@pytest.mark.parametrize("hierarchy", ["as-of:2025-01-15", "period"])
def test_history_does_not_leak_a_battalion_that_left_clerk_as_regiment(
    world: World, scope_of: Callable[[str], Scope], issued_everywhere: str, hierarchy: str
) -> None:
    # Given clerk_b's battalion lent to Trung đoàn 1 for January 2025 only
    move_unit(SYSTEM, world.battalion_b, world.regiment_a, effective_on=date(2025, 1, 1))
    battalion_b = Unit.objects.get(pk=world.battalion_b.pk)
    move_unit(SYSTEM, battalion_b, world.regiment_b, effective_on=date(2025, 2, 1))
    # Then the tree of January puts it under Trung đoàn 1 for the whole army's view
    de = issued_everywhere
    assert ask(SYSTEM, world.regiment_a.uid, hierarchy=hierarchy) == {
        (de, "202501", world.regiment_a.uid): 31
    }
    # But clerk_a, whose scope today does not reach it, never aggregates clerk_b's battalion
    assert ask(scope_of("clerk_a"), "USER_ORGUNIT", hierarchy=hierarchy) == {
        (de, "202501", world.regiment_a.uid): 11
    }
