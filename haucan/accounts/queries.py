"""Resolve who the actor is and what they may touch."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from haucan.accounts.models import Assignment, User
from haucan.accounts.roles import ROLE_ACTIONS
from haucan.core.scope import Scope


def resolve_scope(user: User | AnonymousUser) -> Scope:
    """Build the Scope of `user` from their assignments (one query)."""
    if not user.is_authenticated:
        return Scope(user_id=None, username="anonymous", unit_paths=frozenset())
    assert isinstance(user, User)
    rows = list(
        Assignment.objects.filter(user=user, unit__closed_on__isnull=True).values_list(
            "unit__path", "role", "domain"
        )
    )
    is_admin = user.is_superuser or any(role == "admin" for _, role, _ in rows)
    permissions = frozenset(
        (domain, action.value)
        for _, role, domain in rows
        for action in ROLE_ACTIONS.get(role, frozenset())
    )
    return Scope(
        user_id=user.pk,
        username=user.get_username(),
        unit_paths=frozenset(path for path, _, _ in rows),
        permissions=permissions,
        is_admin=is_admin,
    )


def assignments_of(user: User) -> list[Assignment]:
    return list(user.assignments.select_related("unit").order_by("unit__path"))
