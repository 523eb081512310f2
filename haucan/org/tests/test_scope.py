from __future__ import annotations

from haucan.org import queries


def test_clerk_sees_only_own_regiment(world, scope_of):
    units = set(queries.units_in_scope(scope_of("clerk_a")).values_list("code", flat=True))
    assert units == {"F324-E1", "F324-E1-D1"}


def test_commander_sees_both_regiments(world, scope_of):
    units = set(queries.units_in_scope(scope_of("commander")).values_list("code", flat=True))
    assert units == {"F324", "F324-E1", "F324-E1-D1", "F324-E2", "F324-E2-D4"}
