from __future__ import annotations

import pytest
from django.urls import reverse

from haucan.reporting.models import ApprovalLevel, ApprovalWorkflow, DataApproval, MinMaxLimit
from haucan.reporting.services.values import CellInput, resolve_target, save_values

PERIOD = "202401"


@pytest.fixture
def workflow(fuel_form):
    wf = ApprovalWorkflow.objects.create(code="WF", name="Duyệt xăng dầu", period_type="Monthly")
    wf.data_sets.add(fuel_form.data_set)
    ApprovalLevel.objects.create(workflow=wf, depth=4, name="Trung đoàn")
    ApprovalLevel.objects.create(workflow=wf, depth=3, name="Sư đoàn")
    return wf


def _enter(scope, world, fuel_form, unit):
    target = resolve_target(scope, fuel_form.data_set, unit, PERIOD)
    save_values(scope, target, [CellInput("PET_ISSUED", "9")])


def test_commander_sees_states_and_approves_from_the_overview(
    world, scope_of, login, fuel_form, workflow
):
    _enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    client = login("commander")
    page = client.get(
        reverse("approval"), {"wf": workflow.uid, "pe": PERIOD, "ou": world.division.uid}
    )
    assert page.status_code == 200
    assert "Trung đoàn 1" in page.content.decode()
    response = client.post(
        reverse("approval_action"),
        {"wf": workflow.uid, "pe": PERIOD, "ou": world.regiment_a.uid, "action": "approve"},
    )
    assert response.status_code == 302
    assert DataApproval.objects.filter(unit=world.regiment_a).count() == 1


def test_clerk_cannot_approve_and_outsider_gets_404(world, scope_of, login, fuel_form, workflow):
    _enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    client = login("clerk_a")
    client.post(
        reverse("approval_action"),
        {"wf": workflow.uid, "pe": PERIOD, "ou": world.regiment_a.uid, "action": "approve"},
    )
    assert DataApproval.objects.count() == 0
    other = login("clerk_b")
    page = other.get(
        reverse("approval"), {"wf": workflow.uid, "pe": PERIOD, "ou": world.regiment_a.uid}
    )
    assert page.status_code == 404


def test_audit_list_shows_changes_in_scope_only(world, scope_of, login, fuel_form):
    _enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    _enter(scope_of("clerk_b"), world, fuel_form, world.regiment_b)
    page = login("clerk_a").get(reverse("value_audit")).content.decode()
    assert "Trung đoàn 1" in page and "Trung đoàn 2" not in page
    commander_page = login("commander").get(reverse("value_audit"), {"user": "clerk_b"})
    assert "Trung đoàn 2" in commander_page.content.decode()


def test_minmax_generation_is_for_specialists(world, scope_of, login, fuel_form):
    clerk = scope_of("clerk_a")
    for month in ("202301", "202302", "202303", "202304"):
        target = resolve_target(clerk, fuel_form.data_set, world.regiment_a, month)
        save_values(clerk, target, [CellInput("PET_ISSUED", "10")])
    assert login("clerk_a").get(reverse("minmax")).status_code == 403
    client = login("specialist")
    response = client.post(
        reverse("minmax"),
        {"ds": fuel_form.data_set.uid, "ou": world.ministry.uid, "method": "mad", "k": "3"},
    )
    assert response.status_code == 302
    assert MinMaxLimit.objects.count() == 1


def test_entry_screen_shows_approval_state_and_turns_read_only(
    world, scope_of, login, fuel_form, workflow
):
    from haucan.reporting.services.approval import approve

    _enter(scope_of("clerk_a"), world, fuel_form, world.regiment_a)
    query = {"ds": fuel_form.data_set.uid, "ou": world.regiment_a.uid, "pe": PERIOD}
    client = login("clerk_a")
    before = client.get(reverse("entry"), query).content.decode()
    assert 'data-state="UNAPPROVED_READY"' in before
    approve(scope_of("commander"), workflow, PERIOD, world.regiment_a)
    after = client.get(reverse("entry"), query).content.decode()
    assert 'data-state="APPROVED_HERE"' in after
    assert 'data-readonly="1"' in after
