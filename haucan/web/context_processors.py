from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from haucan.alerts.queries import unread_count
from haucan.core.scope import Action


def _entry_url() -> str | None:
    try:
        return reverse("entry")
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may offer the current user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = request.scope  # type: ignore[attr-defined]
    can_enter = scope.can_any(Action.ENTER)
    return {
        "nav_can_view": scope.can_any(Action.VIEW),
        "nav_can_design": scope.can_any(Action.DESIGN),
        "nav_can_enter": can_enter,
        "nav_can_approve": scope.can_any(Action.APPROVE),
        "nav_is_admin": scope.is_admin,
        "nav_entry_url": _entry_url() if can_enter else None,
        # Unread warnings sent to the user that are still open: one COUNT query per page.
        "nav_alert_count": unread_count(scope),
    }
