"""Who an alert reaches: roles at the unit and up the hierarchy, and the domain's specialists.

A rule names `notify_roles` and `levels_up`; without a rule (a domain event nobody configured)
the defaults apply: the unit's clerk, the commanders of the unit and up to three levels above it,
and the specialists of the alert's domain. "The unit's clerk" is the clerk nearest to the unit
(at the unit, or else at its closest ancestor with one), since small units are often reported
for by the clerk of the unit above. An assignment counts only for the alert's domain or for all
domains, so a petroleum clerk is not sent a medical alert. Every recipient's assignment covers
the alert's unit, so a recipient can always open what they were sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from haucan.accounts.models import Assignment, Role
from haucan.alerts.evaluation.context import ancestor_paths
from haucan.alerts.models import Alert, AlertRule
from haucan.core.scope import Domain
from haucan.org.models import Unit

DEFAULT_ROLES = (Role.CLERK, Role.COMMANDER)
DEFAULT_LEVELS_UP = 3


def policy(rule: AlertRule | None) -> tuple[tuple[str, ...], int, bool]:
    if rule is None:
        return tuple(DEFAULT_ROLES), DEFAULT_LEVELS_UP, True
    return tuple(rule.notify_roles or DEFAULT_ROLES), rule.levels_up, rule.notify_specialists


def recipients(alerts: Iterable[Alert]) -> dict[int, set[int]]:
    """alert pk -> user ids to notify, for many alerts with one query of assignments."""
    alerts = list(alerts)
    if not alerts:
        return {}
    unit_paths = dict(
        Unit.objects.filter(pk__in={a.unit_id for a in alerts}).values_list("pk", "path")
    )
    paths = {a.pk: ancestor_paths(unit_paths[a.unit_id]) for a in alerts}
    every_path = {p for ps in paths.values() for p in ps}
    by_path: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for user_id, path, role, domain in Assignment.objects.filter(
        unit__path__in=every_path, user__is_active=True
    ).values_list("user_id", "unit__path", "role", "domain"):
        by_path[path].append((user_id, role, domain))
    found: dict[int, set[int]] = {}
    for alert in alerts:
        roles, levels_up, specialists = policy(alert.rule)
        chain = paths[alert.pk]  # root first, the unit last
        domains = {Domain.GENERAL.value, alert.domain}
        users: set[int] = set()
        if Role.CLERK in roles:
            for path in reversed(chain):
                clerks = [u for u, r, d in by_path[path] if r == Role.CLERK and d in domains]
                if clerks:
                    users.update(clerks)
                    break
        others = {r for r in roles if r != Role.CLERK}
        for distance, path in enumerate(reversed(chain)):
            if distance > levels_up:
                break
            users.update(u for u, r, d in by_path[path] if r in others and d in domains)
        if specialists:
            for path in chain:
                users.update(
                    u for u, r, d in by_path[path] if r == Role.SPECIALIST and d == alert.domain
                )
        found[alert.pk] = users
    return found
