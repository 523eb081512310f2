from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from haucan.core.scope import Action


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may offer the current user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = request.scope  # type: ignore[attr-defined]
    return {
        "nav_can_design": scope.can_any(Action.DESIGN),
        "nav_can_enter": scope.can_any(Action.ENTER),
        "nav_can_approve": scope.can_any(Action.APPROVE),
        "nav_is_admin": scope.is_admin,
    }
