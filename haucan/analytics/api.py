"""`/api/analytics`: DHIS2's analytics endpoint served by the engine (any signed-in user with
VIEW; the answer is limited to the caller's scope)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.core.errors import PermissionDenied
from haucan.core.scope import Action, Scope

router = Router(tags=["analytics"])


def _answer(request: HttpRequest) -> dict[str, Any]:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied(_("You are not allowed to read analytics."))
    params = {key: request.GET.getlist(key) for key in request.GET}
    query = parse_query(params)
    return run_query(scope, query).to_dhis2(skip_meta=query.skip_meta)


@router.get("/analytics", summary="Aggregated values (DHIS2 analytics)")
def analytics(request: HttpRequest) -> dict[str, Any]:
    """`dimension=dx:…&dimension=pe:…&dimension=ou:…[&filter=…][&hierarchy=…]`, as in DHIS2."""
    return _answer(request)


@router.get("/analytics.json", summary="Aggregated values (DHIS2 analytics, .json suffix)")
def analytics_json(request: HttpRequest) -> dict[str, Any]:
    return _answer(request)
