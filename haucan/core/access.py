"""Who may use a view: every HTML view and API operation declares its access rule here.

The decorators both enforce and declare. They check the request's Scope (signed in, the action in
a domain, administrator) and leave the rule on the view as `view.access_rule`, so the authorization
matrix test (haucan/web/tests) can walk the URL configuration and fail, by name, on any view that
declares nothing. Object-level scope (is this unit in the actor's subtree?) stays in the services
and queries, which answer "not found" for an object outside the scope.

    @requires(Action.ENTER, Domain.PETROLEUM)
    def post_issue(request): ...

A view reached without a signed-in user is redirected to the login page (HTML) or answered 401
(JSON, when `json=True`); a signed-in user without the right gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from haucan.core.scope import Action, Domain, Scope

F = TypeVar("F", bound=Callable[..., Any])

Kind = Literal["public", "login", "action", "admin"]


@dataclass(frozen=True)
class AccessRule:
    """`public`: anyone; `login`: any signed-in user; `action`: the action in the domain (any
    domain when `domain` is None); `admin`: administrators only."""

    kind: Kind
    action: Action | None = None
    domain: Domain | None = None

    def allows(self, request: HttpRequest) -> bool:
        if self.kind == "public":
            return True
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        return self.allows_scope(request.scope)  # type: ignore[attr-defined]

    def allows_scope(self, scope: Scope) -> bool:
        """Whether a signed-in actor with `scope` passes (the matrix test predicts with it)."""
        if self.kind in ("public", "login"):
            return True
        if self.kind == "admin":
            return bool(scope.is_admin)
        assert self.action is not None
        if self.domain is None:
            return bool(scope.can_any(self.action))
        return bool(scope.can(self.action, self.domain))

    def describe(self) -> str:
        if self.kind == "action":
            return f"{self.action}:{self.domain or 'any'}"
        return self.kind


def _declare(rule: AccessRule, *, json: bool) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if rule.kind != "public":
                user = getattr(request, "user", None)
                if user is None or not user.is_authenticated:
                    if json:
                        return JsonResponse(
                            {"status": "ERROR", "httpStatusCode": 401, "message": _("Sign in.")},
                            status=401,
                        )
                    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
                if not rule.allows(request):
                    if json:
                        return JsonResponse(
                            {
                                "status": "ERROR",
                                "httpStatusCode": 403,
                                "message": _("You are not allowed to do this."),
                            },
                            status=403,
                        )
                    raise PermissionDenied
            response: HttpResponse = view(request, *args, **kwargs)
            return response

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Anyone, signed in or not (login page, health probe, static error pages)."""
    return _declare(AccessRule("public"), json=False)(view)


def login_only(view: F) -> F:
    """Any signed-in user; what they then see is limited by their Scope."""
    return _declare(AccessRule("login"), json=False)(view)


def requires(
    action: Action, domain: Domain | None = None, *, json: bool = False
) -> Callable[[F], F]:
    """A signed-in user who may perform `action` in `domain` (in any domain when None)."""
    return _declare(AccessRule("action", action, domain), json=json)


def admin_only(view: F) -> F:
    return _declare(AccessRule("admin"), json=False)(view)


def declare(rule: AccessRule) -> Callable[[F], F]:
    """Only declare (the view enforces the rule itself, e.g. a class-based view from Django)."""

    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


# URL prefixes whose views come from a library and enforce one rule for the whole area (the
# Django admin's site-wide superuser check, the API's schema pages), declared where they are
# mounted with `declare_area`: prefix → (rule, reason, exact).
AREAS: dict[str, tuple[AccessRule, str, bool]] = {}


def declare_area(prefix: str, rule: AccessRule, reason: str, *, exact: bool = False) -> None:
    """Declare the rule of every view under the URL `prefix` (no leading slash), e.g.
    "django-admin/", or of that one route when `exact`. `reason` says who enforces it."""
    AREAS[prefix] = (rule, reason, exact)


def area_of(route: str) -> tuple[str, AccessRule] | None:
    """The declared area a route (no leading slash) lies in, longest prefix first."""
    for prefix in sorted(AREAS, key=len, reverse=True):
        rule, _reason, exact = AREAS[prefix]
        if route == prefix or (not exact and route.startswith(prefix)):
            return prefix, rule
    return None


def rule_of(view: Callable[..., Any]) -> AccessRule | None:
    """The declared rule of a view function (following functools.wraps chains)."""
    seen: Callable[..., Any] | None = view
    while seen is not None:
        rule = getattr(seen, "access_rule", None)
        if isinstance(rule, AccessRule):
            return rule
        seen = getattr(seen, "__wrapped__", None)
    return None
