"""Rules are versioned, checked when saved, and travel in metadata packages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from haucan.alerts.models import AlertRule
from haucan.alerts.rules import save_rule
from haucan.alerts.tests.conftest import SYSTEM
from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.core.scope import Scope
from haucan.exchange.packages import export_package, import_package
from haucan.testing import FuelForm, World

THRESHOLD = {
    "code": "LOW",
    "name": "Tồn thấp",
    "kind": "threshold",
    "domain": "petroleum",
    "expression": "#{PET_STOCK}",
    "operator": "<",
    "compare_to": "100",
    "levels": [5],
    "period_type": "Monthly",
    "notify_roles": ["clerk"],
    "levels_up": 2,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expression": "#{NOPE}"}, "expression"),
        ({"compare_to": "C{NOPE}"}, "compare_to"),
        ({"compare_to": "N{NOSET.X}"}, "compare_to"),
        ({"operator": "<>"}, "operator"),
        ({"period_type": ""}, "period_type"),
        ({"message": "%(nope)s"}, "message"),
        ({"levels": [0]}, "levels"),
    ],
)
def test_a_broken_rule_is_refused_naming_the_field(
    fuel: FuelForm, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        save_rule(SYSTEM, {**THRESHOLD, **change})
    assert caught.value.field == field
    assert not AlertRule.objects.exists()


def test_specialist_only_designs_rules_of_their_domain(
    fuel: FuelForm, scope_of: Callable[[str], Scope]
) -> None:
    specialist = scope_of("specialist")
    assert save_rule(specialist, THRESHOLD).version == 1
    with pytest.raises(PermissionDenied):
        save_rule(specialist, {**THRESHOLD, "code": "MED", "domain": "medical"})
    with pytest.raises(PermissionDenied):
        save_rule(scope_of("clerk_a"), {**THRESHOLD, "code": "X"})


def test_rules_round_trip_through_a_metadata_package(
    world: World, fuel: FuelForm, scope_of: Callable[[str], Scope]
) -> None:
    save_rule(SYSTEM, THRESHOLD)
    save_rule(SYSTEM, {"code": "LATE", "name": "Chậm", "kind": "late", "data_set": "PET_MONTHLY"})
    doc = export_package(SYSTEM, include=["catalog"])
    assert [r["code"] for r in doc["alertRules"]] == ["LATE", "LOW"]
    assert doc["alertRules"][1]["levels"] == [5]

    same = import_package(scope_of("admin"), doc)
    assert same.ok and same.counts["alertRules"] == {"created": 0, "updated": 0, "ignored": 2}

    doc["alertRules"][1]["compare_to"] = "150"
    AlertRule.objects.filter(code="LATE").delete()
    changed = import_package(scope_of("admin"), doc)
    assert changed.counts["alertRules"] == {"created": 1, "updated": 1, "ignored": 0}
    low = AlertRule.objects.get(code="LOW")
    assert (low.compare_to, low.version, low.versions.get().definition["compare_to"]) == (
        "150",
        2,
        "100",
    )

    doc["alertRules"][1]["expression"] = "#{NOPE}"
    broken = import_package(scope_of("admin"), doc)
    assert not broken.ok
    assert [(e.object_type, e.object_id, e.field) for e in broken.errors] == [
        ("alertRules", "LOW", "expression")
    ]
    assert AlertRule.objects.get(code="LOW").expression == "#{PET_STOCK}"
