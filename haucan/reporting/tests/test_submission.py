from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from haucan.catalog.models import ValidationRule
from haucan.core.errors import Conflict, ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.reporting.models import CompleteRegistration
from haucan.reporting.services.submission import ValidationBlocked, reopen_report, submit_report
from haucan.reporting.services.values import CellInput, resolve_target, save_values


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


def test_submission_on_time_then_values_are_frozen_until_reopened(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, last_month())
    save_values(scope, target, [CellInput("PET_ISSUED", "10")])
    fuel_form.data_set.timely_days = 400  # whatever today is, this is on time
    fuel_form.data_set.save()
    result = submit_report(scope, target)
    assert (result.registration.is_complete, result.registration.on_time) == (True, True)
    with pytest.raises(Conflict):
        save_values(scope, target, [CellInput("PET_ISSUED", "11")])
    with pytest.raises(ValidationFailed):
        reopen_report(scope, target, reason="  ")
    reopen_report(scope, target, reason="Sai số liệu xuất")
    save_values(scope, target, [CellInput("PET_ISSUED", "11")])
    registration = CompleteRegistration.objects.get()
    assert (registration.is_complete, registration.reopen_reason) == (False, "Sai số liệu xuất")


def test_late_submission_is_recorded_as_late(world, scope_of, fuel_form):
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202301")
    assert submit_report(scope, target).registration.on_time is False


def test_lock_after_expiry_days_refuses_clerk_but_admin_can_override(world, scope_of, fuel_form):
    fuel_form.data_set.expiry_days = 5
    fuel_form.data_set.save()
    clerk = scope_of("clerk_a")
    target = resolve_target(clerk, fuel_form.data_set, world.regiment_a, "202301")
    with pytest.raises(Conflict):
        save_values(clerk, target, [CellInput("PET_ISSUED", "1")])
    admin = scope_of("admin")
    with pytest.raises(Conflict):
        save_values(admin, target, [CellInput("PET_ISSUED", "1")])
    save_values(admin, target, [CellInput("PET_ISSUED", "1")], override_reason="Đơn vị báo muộn")


def _rule(importance: str) -> ValidationRule:
    return ValidationRule.objects.create(
        code=f"R_{importance}",
        name="Xuất không vượt tồn",
        period_type="Monthly",
        left="#{PET_ISSUED}",
        operator="less_than_or_equal_to",
        right="#{PET_STOCK}",
        importance=importance,
        domain="petroleum",
    )


def test_high_rule_blocks_submission_when_the_form_says_so(world, scope_of, fuel_form):
    _rule("HIGH")
    fuel_form.data_set.block_on_high_validation = True
    fuel_form.data_set.save()
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, last_month())
    save_values(
        scope,
        target,
        [
            CellInput("PET_ISSUED", "500"),
            CellInput("PET_STOCK", "100", "FUEL_1"),
            CellInput("PET_STOCK", "200", "FUEL_2"),
        ],
    )
    with pytest.raises(ValidationBlocked) as caught:
        submit_report(scope, target)
    violation = caught.value.violations[0]
    assert (violation.left, violation.right) == (500.0, 300.0)
    assert CompleteRegistration.objects.count() == 0


def test_medium_rule_is_reported_but_does_not_block(world, scope_of, fuel_form):
    _rule("MEDIUM")
    fuel_form.data_set.block_on_high_validation = True
    fuel_form.data_set.save()
    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, last_month())
    save_values(
        scope, target, [CellInput("PET_ISSUED", "500"), CellInput("PET_STOCK", "1", "FUEL_1")]
    )
    result = submit_report(scope, target)
    assert [v.rule.code for v in result.violations] == ["R_MEDIUM"]


def test_deadline_is_end_of_the_timely_day(world, scope_of, fuel_form):
    from haucan.reporting.services.submission import deadline

    scope = scope_of("clerk_a")
    target = resolve_target(scope, fuel_form.data_set, world.regiment_a, "202401")
    assert timezone.localtime(deadline(target)).date() == target.period.end + timedelta(days=10)
