"""Alerts in the authorization matrix (haucan/web/tests).

See test_authorization_matrix.py. One open petroleum warning at each regiment, raised through
`raise_event` as a module does, and one petroleum event rule. A warning is seen by who sees its
unit in its domain (the regiment's clerk, the commander, the petroleum specialist, the
administrator); a rule is edited by who may DESIGN in its domain (the specialist, the
administrator; the rule pages' declaration refuses the others).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from haucan.alerts.models import Alert, AlertRule, Severity
from haucan.alerts.rules import may_design, save_rule
from haucan.alerts.services import raise_event
from haucan.core.scope import Domain, Scope
from haucan.testing import World
from haucan.web.tests.authz import EVERYONE, SEES_A, SEES_B, Case, Finer, Objects, Target

PARAM_KINDS: dict[tuple[str, str], str] = {
    ("alerts", "alert_id"): "alert",
    ("rules", "rule_id"): "alert_rule",
}


def build(world: World, objects: Objects) -> None:
    system = Scope.system("authorization matrix: alerts")
    made = []
    for owner, unit in (("a", world.regiment_a), ("b", world.regiment_b)):
        raise_event(
            system,
            code="matrix.event",
            domain=Domain.PETROLEUM,
            unit=unit,
            severity=Severity.WARNING,
            message=gettext_lazy("Active outbreak of %(disease)s at %(unit)s since %(day)s."),
            params={"disease": f"MX-CANH-BAO-{owner.upper()}", "unit": unit.name, "day": "x"},
            key=f"matrix-{owner}",
        )
        made.append(str(Alert.objects.get(key=f"matrix-{owner}").pk))
        # The warning's text names the regiment's own condition: no one else may read it.
        objects.secret(f"MX-CANH-BAO-{owner.upper()}", SEES_A if owner == "a" else SEES_B)
    objects.cases["alert"] = [
        Case("alert", made[0], "a", SEES_A, "petroleum"),
        Case("alert", made[1], "b", SEES_B, "petroleum"),
    ]
    rule = save_rule(
        system,
        {
            "code": "MX_RULE",
            "name": "Quy tắc ma trận",
            "domain": "petroleum",
            "kind": "event",
            "event_code": "matrix.event",
            "severity": "warning",
        },
    )
    objects.cases["alert_rule"] = [Case("alert_rule", str(rule.pk), "", EVERYONE, "petroleum")]


def _designs_rule_domain(scope: Scope, target: Target) -> bool:
    return all(may_design(scope, case.domain) for case in target.cases if case.domain)


# A rule of another domain is not found (the declaration admits DESIGN in any domain).
FINER: dict[str, Finer] = {
    "alerts:rule_edit": Finer(_designs_rule_domain, "not_found"),
}

BODIES: dict[str, str] = {
    "alerts:acknowledge": "note=Đã biết",
    "alerts:assign": "user=clerk_a",
}

COUNTED: list[Any] = [Alert, Alert.objects.filter(acknowledged_by__isnull=False), AlertRule]
