"""What each role may do. A role is granted for one domain, or for all (Domain.GENERAL)."""

from __future__ import annotations

from haucan.core.scope import Action

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "admin": frozenset(Action),
    "specialist": frozenset({Action.VIEW, Action.DESIGN, Action.APPROVE}),
    "commander": frozenset({Action.VIEW, Action.APPROVE}),
    "viewer": frozenset({Action.VIEW}),
    "clerk": frozenset({Action.VIEW, Action.ENTER}),
    "approver": frozenset({Action.VIEW, Action.APPROVE}),
}
