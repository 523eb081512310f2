"""`/api/analytics`: DHIS2's analytics endpoint served by the engine (any signed-in user with
VIEW; the answer is limited to the caller's scope)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from haucan.analytics.engine import run_query
from haucan.analytics.query import parse_query
from haucan.core.access import AccessRule, declare
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


# The handler checks VIEW itself, so the refusal is a WebMessage like every other API error.
_READ = AccessRule("action", Action.VIEW)

_DOC: dict[str, Any] = {
    "description": "Also at /api/analytics.json.",
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": True,
        }
        for name in ("dimension", "filter")
    ]
    + [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("hierarchy", "skipMeta", "skipData", "displayProperty", "includeNumDen")
    ],
    "responses": {
        200: {
            "description": "OK",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["headers", "rows"],
                        "properties": {
                            "headers": {"type": "array"},
                            "rows": {"type": "array"},
                        },
                    }
                }
            },
        },
        **{
            status: {
                "description": reason,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["httpStatusCode", "status", "message"],
                        }
                    }
                },
            }
            for status, reason in (
                (400, "Invalid query"),
                (401, "No credentials"),
                (403, "Not allowed"),
                (404, "A dimension item was not found in the scope"),
            )
        },
    },
}


@router.get("/analytics", summary="Aggregated values (DHIS2 analytics)", openapi_extra=_DOC)
@declare(_READ)
def analytics(request: HttpRequest) -> dict[str, Any]:
    """`dimension=dx:…&dimension=pe:…&dimension=ou:…[&filter=…][&hierarchy=…]`, as in DHIS2."""
    return _answer(request)


@router.get("/analytics.json", include_in_schema=False)
@declare(_READ)
def analytics_json(request: HttpRequest) -> dict[str, Any]:
    return _answer(request)
