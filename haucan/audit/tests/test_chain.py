from __future__ import annotations

from haucan.audit.models import AuditEvent
from haucan.audit.services import record, verify_chain
from haucan.core.scope import Scope


def test_chain_verifies_and_detects_tampering(db):
    scope = Scope.system("test")
    for n in range(5):
        record(scope, "test.event", f"object-{n}", {"n": n})
    assert verify_chain().ok
    AuditEvent.objects.filter(object_id="object-2").update(detail={"n": 99})
    report = verify_chain()
    assert (report.ok, report.checked) == (False, 2)


def test_deleting_the_last_event_is_detected(db):
    scope = Scope.system("test")
    record(scope, "test.event", "a")
    record(scope, "test.event", "b")
    AuditEvent.objects.filter(object_id="b").delete()
    assert verify_chain().ok is False


def test_service_writes_are_audited(world):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"org.unit.create", "accounts.user.create", "accounts.assign"} <= actions
    assert verify_chain().ok
