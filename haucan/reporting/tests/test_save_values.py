from __future__ import annotations

import pytest

from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.reporting.models import DataValue, DataValueAudit
from haucan.reporting.services.values import (
    CellInput,
    InvalidCells,
    StaleCells,
    resolve_target,
    save_values,
)


def test_clerk_saves_values_with_audit(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    result = save_values(
        scope,
        target,
        [
            CellInput("PET_STOCK", "1200", "FUEL_1"),
            CellInput("PET_ISSUED", "12,5"),
            CellInput("PET_NOTE", "Đủ"),
        ],
    )
    assert (result.created, result.updated) == (3, 0)
    values = dict(DataValue.objects.values_list("data_element__code", "value"))
    assert values == {"PET_STOCK": "1200", "PET_ISSUED": "12.5", "PET_NOTE": "Đủ"}
    assert DataValueAudit.objects.filter(action="CREATE", changed_by="clerk_a").count() == 3


def test_update_and_delete_are_audited_with_old_values(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    save_values(scope, target, [CellInput("PET_ISSUED", "10")])
    save_values(scope, target, [CellInput("PET_ISSUED", "11")])
    save_values(scope, target, [CellInput("PET_ISSUED", "")])
    trail = list(
        DataValueAudit.objects.order_by("id").values_list("action", "previous_value", "value")
    )
    assert trail == [("CREATE", None, "10"), ("UPDATE", "10", "11"), ("DELETE", "11", None)]
    stored = DataValue.objects.get()
    assert (stored.deleted, stored.version) == (True, 3)


def test_a_bad_cell_writes_nothing(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    with pytest.raises(InvalidCells) as caught:
        save_values(
            scope,
            target,
            [CellInput("PET_ISSUED", "5"), CellInput("PET_STOCK", "-3", "FUEL_1")],
        )
    assert [e.index for e in caught.value.errors] == [1]
    assert DataValue.objects.count() == 0


def test_element_not_in_form_is_refused(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    with pytest.raises(InvalidCells) as caught:
        save_values(scope, target, [CellInput("NOT_THERE", "5")])
    assert "NOT_THERE" in caught.value.errors[0].message


def test_zero_is_not_stored_unless_significant(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    save_values(scope, target, [CellInput("PET_ISSUED", "0")])
    assert DataValue.objects.count() == 0


def test_clerk_cannot_write_sibling_regiment(world, scope_of, fuel_form):
    with pytest.raises(NotFound):
        resolve_target(scope_of("clerk_a"), fuel_form.data_set, world.regiment_b, "202401")


def test_commander_cannot_enter_data(world, scope_of, fuel_form):
    with pytest.raises(PermissionDenied):
        resolve_target(scope_of("commander"), fuel_form.data_set, world.regiment_a, "202401")


def test_wrong_period_type_and_future_period_are_refused(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    with pytest.raises(ValidationFailed):
        resolve_target(scope, fuel_form.data_set, world.regiment_a, "2024Q1")
    with pytest.raises(ValidationFailed):
        resolve_target(scope, fuel_form.data_set, world.regiment_a, "209901")


def test_stale_edit_is_a_conflict_with_both_values(world, scope_of, fuel_form):
    a = scope_of("clerk_a")
    target = resolve_target(a, fuel_form.data_set, world.regiment_a, "202401")
    first = save_values(a, target, [CellInput("PET_ISSUED", "10", expected_version=0)])
    version = next(iter(first.versions.values()))
    # Someone else (an admin here) changes the value after clerk_a loaded version 1.
    admin = scope_of("admin")
    save_values(admin, target, [CellInput("PET_ISSUED", "20", expected_version=version)])
    with pytest.raises(StaleCells) as caught:
        save_values(a, target, [CellInput("PET_ISSUED", "15", expected_version=version)])
    stale = caught.value.stale[0]
    assert (stale.your_value, stale.server_value, stale.stored_by) == ("15", "20", "admin")
    assert DataValue.objects.get().value == "20"
    assert isinstance(caught.value, Conflict)


def test_audit_trail_is_scoped_and_filterable(world, scope_of, fuel_form):
    from haucan.reporting.audit_trail import AuditFilter, audit_trail

    for name, unit in (("clerk_a", world.regiment_a), ("clerk_b", world.regiment_b)):
        scope = scope_of(name)
        target = resolve_target(scope, fuel_form.data_set, unit, "202401")
        save_values(scope, target, [CellInput("PET_ISSUED", "7")])
    seen_by_a = {row.changed_by for row in audit_trail(scope_of("clerk_a"), AuditFilter())}
    assert seen_by_a == {"clerk_a"}
    seen_by_commander = audit_trail(scope_of("commander"), AuditFilter(changed_by="clerk_b"))
    assert [row.data_value.unit.code for row in seen_by_commander] == ["F324-E2"]
