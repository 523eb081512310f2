from __future__ import annotations

from datetime import date

import pytest

from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Scope
from haucan.org import queries
from haucan.org.models import Unit, UnitLink
from haucan.org.services import (
    UnitSpec,
    close_unit,
    create_unit,
    merge_units,
    move_unit,
    split_unit,
)

SYSTEM = Scope.system("test")


def test_move_keeps_history_and_rebuilds_the_old_tree(world):
    move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2023, 3, 1))
    battalion = Unit.objects.get(pk=world.battalion_a.pk)
    assert battalion.parent_id == world.regiment_b.pk
    assert battalion.path == f"{world.regiment_b.path}{battalion.uid}/"
    assert queries.parents_as_of(date(2023, 2, 28))[battalion.pk] == world.regiment_a.pk
    assert queries.parents_as_of(date(2023, 3, 1))[battalion.pk] == world.regiment_b.pk
    old_subtree = queries.descendants_as_of(SYSTEM, world.regiment_a, date(2023, 2, 1))
    assert battalion.pk in old_subtree
    assert battalion.pk not in queries.descendants_as_of(SYSTEM, world.regiment_a, date(2023, 4, 1))


def test_moving_a_subtree_rewrites_every_descendant_path(world):
    move_unit(SYSTEM, world.regiment_a, world.region, effective_on=date(2023, 3, 1))
    battalion = Unit.objects.get(pk=world.battalion_a.pk)
    regiment = Unit.objects.get(pk=world.regiment_a.pk)
    assert battalion.path.startswith(regiment.path)
    assert (regiment.depth, battalion.depth) == (3, 4)


def test_moving_a_unit_under_its_own_descendant_is_refused(world):
    with pytest.raises(ValidationFailed, match="lies inside it"):
        move_unit(SYSTEM, world.division, world.battalion_a, effective_on=date(2023, 3, 1))
    assert Unit.objects.get(pk=world.division.pk).parent_id == world.region.pk
    assert UnitLink.objects.filter(unit=world.division).count() == 1


def test_overlapping_validity_is_refused(world):
    move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2023, 3, 1))
    with pytest.raises(ValidationFailed, match="overlap"):
        move_unit(SYSTEM, world.battalion_a, world.regiment_a, effective_on=date(2023, 2, 1))


def test_a_closed_unit_cannot_be_reparented(world):
    close_unit(SYSTEM, world.battalion_a, closed_on=date(2023, 1, 1))
    with pytest.raises(ValidationFailed, match="closed"):
        move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2023, 3, 1))


def test_a_unit_with_open_children_cannot_close(world):
    with pytest.raises(ValidationFailed):
        close_unit(SYSTEM, world.regiment_a, closed_on=date(2023, 1, 1))


def test_future_reorganisation_is_refused(world):
    with pytest.raises(ValidationFailed, match="future"):
        move_unit(SYSTEM, world.battalion_a, world.regiment_b, effective_on=date(2999, 1, 1))


def test_merge_moves_children_and_closes_the_sources(world):
    merge_units(SYSTEM, [world.regiment_b], world.regiment_a, effective_on=date(2023, 6, 1))
    regiment_b = Unit.objects.get(pk=world.regiment_b.pk)
    assert regiment_b.closed_on == date(2023, 6, 1)
    assert Unit.objects.get(pk=world.battalion_b.pk).parent_id == world.regiment_a.pk
    assert queries.parents_as_of(date(2023, 5, 1))[world.battalion_b.pk] == world.regiment_b.pk
    assert world.regiment_b.pk not in queries.parents_as_of(date(2023, 7, 1))


def test_split_creates_successors_and_distributes_children(world):
    new = split_unit(
        SYSTEM,
        world.regiment_a,
        into=[UnitSpec("Trung đoàn 1A", "F324-E1A"), UnitSpec("Trung đoàn 1B", "F324-E1B")],
        children={world.battalion_a.uid: 1},
        effective_on=date(2023, 6, 1),
    )
    assert Unit.objects.get(pk=world.battalion_a.pk).parent_id == new[1].pk
    assert Unit.objects.get(pk=world.regiment_a.pk).closed_on == date(2023, 6, 1)


def test_split_without_a_home_for_a_child_saves_nothing(world):
    before = Unit.objects.count()
    with pytest.raises(ValidationFailed):
        split_unit(
            SYSTEM,
            world.regiment_a,
            into=[UnitSpec("Trung đoàn 1A", "F324-E1A"), UnitSpec("Trung đoàn 1B", "F324-E1B")],
            effective_on=date(2023, 6, 1),
        )
    assert Unit.objects.count() == before


def test_clerk_cannot_change_the_tree(world, scope_of):
    with pytest.raises(PermissionDenied):
        create_unit(scope_of("clerk_a"), spec=UnitSpec("Đại đội 1", "C1"), parent=world.battalion_a)


def test_commander_cannot_reach_units_outside_the_division(world, scope_of):
    with pytest.raises(NotFound):
        queries.get_unit(scope_of("clerk_a"), world.regiment_b.uid)
    assert queries.get_unit(scope_of("commander"), world.regiment_b.code) == world.regiment_b


def test_duplicate_code_is_refused_with_a_message(world):
    with pytest.raises(ValidationFailed, match="F324-E1"):
        create_unit(SYSTEM, spec=UnitSpec("Khác", "F324-E1"), parent=world.division)


def test_bad_identifier_is_refused(world):
    with pytest.raises(ValidationFailed):
        create_unit(
            SYSTEM, spec=UnitSpec("Đại đội 1", "C1", identifier="abc"), parent=world.battalion_a
        )
    assert not Unit.objects.filter(code="C1").exists()


def test_search_ignores_diacritics_and_case(world, scope_of):
    found = queries.search_units(scope_of("admin"), "quan khu 4")
    assert [u.code for u in found] == ["QK4"]
    assert queries.search_units(scope_of("clerk_a"), "trung doan") == [world.regiment_a]
    assert queries.search_units(scope_of("admin"), "SƯ ĐOÀN") == [world.division]
