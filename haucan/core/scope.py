"""Scope: what the current actor may touch (DESIGN.md §7).

A Scope is resolved once per request or job (`haucan.accounts.queries.resolve_scope`) and passed
explicitly to every service and query. It is immutable, so a service cannot widen it by accident.
Units are held as materialised paths: an assignment to a unit covers its whole subtree, so a check
is a prefix test and a query is a `path__startswith` filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Domain(StrEnum):
    GENERAL = "general"
    PETROLEUM = "petroleum"
    BARRACKS = "barracks"
    MEDICAL = "medical"


DOMAIN_CHOICES = [
    (Domain.GENERAL.value, _("General")),
    (Domain.PETROLEUM.value, _("Petroleum")),
    (Domain.BARRACKS.value, _("Barracks")),
    (Domain.MEDICAL.value, _("Military medicine")),
]


class Action(StrEnum):
    VIEW = "view"  # read data of units in scope
    ENTER = "enter"  # enter and submit report data
    APPROVE = "approve"  # approve and unapprove data
    DESIGN = "design"  # manage forms, elements, indicators, rules, norms
    ADMINISTER = "administer"  # users, units, system settings


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    username: str
    unit_paths: frozenset[str]
    permissions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    is_admin: bool = False

    @classmethod
    def system(cls, reason: str = "system") -> Scope:
        """The scope of the platform itself (loaders, migrations, module sources)."""
        return cls(user_id=None, username=reason, unit_paths=frozenset({"/"}), is_admin=True)

    @property
    def is_global(self) -> bool:
        return self.is_admin or "/" in self.unit_paths

    def covers_path(self, path: str) -> bool:
        """True when the unit with this materialised path lies in one of the assigned subtrees."""
        if self.is_global:
            return True
        return any(path.startswith(root) for root in self.unit_paths)

    def can(self, action: Action, domain: Domain = Domain.GENERAL) -> bool:
        if self.is_admin:
            return True
        return (domain.value, action.value) in self.permissions or (
            Domain.GENERAL.value,
            action.value,
        ) in self.permissions

    def can_any(self, action: Action) -> bool:
        """True when the actor may perform `action` in at least one domain."""
        return self.is_admin or any(act == action.value for _, act in self.permissions)

    @property
    def root_paths(self) -> list[str]:
        """The assigned subtrees without those nested in another assigned one."""
        ordered = sorted(self.unit_paths, key=len)
        roots: list[str] = []
        for path in ordered:
            if not any(path.startswith(root) for root in roots):
                roots.append(path)
        return roots
