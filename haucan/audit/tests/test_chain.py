from __future__ import annotations

import pytest

from haucan.audit.models import AppendOnly, AuditEvent
from haucan.audit.services import record, verify_chain
from haucan.core.scope import Scope


def test_chain_verifies_and_counts_every_event(db):
    scope = Scope.system("test")
    for n in range(5):
        record(scope, "test.event", f"object-{n}", {"n": n})
    report = verify_chain()
    assert (report.ok, report.checked, report.total) == (True, 5, 5)


def test_the_orm_refuses_to_change_or_delete_an_event(db):
    event = record(Scope.system("test"), "test.event", "a")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(detail={"n": 99})
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    stored.action = "other"
    with pytest.raises(AppendOnly):
        stored.save()
    with pytest.raises(AppendOnly):
        stored.delete()
    assert verify_chain().ok


def test_service_writes_are_audited(world):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"org.unit.create", "accounts.user.create", "accounts.assign"} <= actions
    assert verify_chain().ok
