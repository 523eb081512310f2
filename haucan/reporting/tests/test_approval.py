from __future__ import annotations

import pytest

from haucan.audit.models import AuditEvent
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.reporting.models import ApprovalLevel, ApprovalWorkflow
from haucan.reporting.services.approval import ApprovalState, approve, status_of, unapprove
from haucan.reporting.services.values import CellInput, resolve_target, save_values

PERIOD = "202401"


@pytest.fixture
def workflow(fuel_form):
    wf = ApprovalWorkflow.objects.create(
        code="WF_PET", name="Duyệt xăng dầu", period_type="Monthly"
    )
    wf.data_sets.add(fuel_form.data_set)
    ApprovalLevel.objects.create(workflow=wf, depth=4, name="Trung đoàn")
    ApprovalLevel.objects.create(workflow=wf, depth=3, name="Sư đoàn")
    return wf


def enter(scope, world, fuel_form, unit, value="10"):
    target = resolve_target(scope, fuel_form.data_set, unit, PERIOD)
    save_values(scope, target, [CellInput("PET_ISSUED", value)])
    return target


def test_division_waits_for_regiments_with_data(world, scope_of, fuel_form, workflow):
    enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    enter(scope_of("clerk_b"), world, fuel_form, world.regiment_b)
    commander = scope_of("commander")
    status = status_of(workflow, PERIOD, world.division)
    assert status.state == ApprovalState.WAITING
    assert status.waiting_for == ("Trung đoàn 1", "Trung đoàn 2")
    with pytest.raises(Conflict, match="Trung đoàn 1"):
        approve(commander, workflow, PERIOD, world.division)
    approve(commander, workflow, PERIOD, world.regiment_a)
    assert status_of(workflow, PERIOD, world.division).waiting_for == ("Trung đoàn 2",)
    approve(commander, workflow, PERIOD, world.regiment_b)
    approve(commander, workflow, PERIOD, world.division)
    assert status_of(workflow, PERIOD, world.regiment_a).state == ApprovalState.APPROVED_ABOVE
    assert status_of(workflow, PERIOD, world.division).state == ApprovalState.APPROVED_HERE


def test_regiment_without_data_does_not_block_the_division(world, scope_of, fuel_form, workflow):
    enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    commander = scope_of("commander")
    approve(commander, workflow, PERIOD, world.regiment_a)
    assert status_of(workflow, PERIOD, world.division).state == ApprovalState.READY
    assert status_of(workflow, PERIOD, world.regiment_b).state == ApprovalState.UNAPPROVABLE


def test_approval_locks_entry_below(world, scope_of, fuel_form, workflow):
    clerk = scope_of("clerk_a")
    target = enter(clerk, world, fuel_form, world.regiment_a)
    approve(scope_of("commander"), workflow, PERIOD, world.regiment_a)
    with pytest.raises(Conflict, match="approved"):
        save_values(clerk, target, [CellInput("PET_ISSUED", "11")])


def test_unapprove_needs_reason_and_order_and_is_audited(world, scope_of, fuel_form, workflow):
    enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    commander = scope_of("commander")
    approve(commander, workflow, PERIOD, world.regiment_a)
    approve(commander, workflow, PERIOD, world.division)
    with pytest.raises(Conflict, match="higher level"):
        unapprove(commander, workflow, PERIOD, world.regiment_a, reason="sai")
    with pytest.raises(ValidationFailed):
        unapprove(commander, workflow, PERIOD, world.division, reason=" ")
    unapprove(commander, workflow, PERIOD, world.division, reason="Cần kiểm tra lại")
    unapprove(commander, workflow, PERIOD, world.regiment_a, reason="Sai số liệu")
    actions = list(
        AuditEvent.objects.filter(action__startswith="reporting.")
        .exclude(action="reporting.submit")
        .values_list("action", flat=True)
    )
    assert actions == [
        "reporting.approve",
        "reporting.approve",
        "reporting.unapprove",
        "reporting.unapprove",
    ]
    target = resolve_target(scope_of("clerk_a"), fuel_form.data_set, world.regiment_a, PERIOD)
    save_values(scope_of("clerk_a"), target, [CellInput("PET_ISSUED", "12")])


def test_clerk_cannot_approve_and_outsider_cannot_see(world, scope_of, fuel_form, workflow):
    enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    with pytest.raises(PermissionDenied):
        approve(scope_of("clerk_a"), workflow, PERIOD, world.regiment_a)
    with pytest.raises(NotFound):
        approve(scope_of("clerk_b"), workflow, PERIOD, world.regiment_a)
