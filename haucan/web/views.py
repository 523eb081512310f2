"""The home page: who the user is and what they can reach."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from haucan.accounts.queries import assignments_of
from haucan.catalog.queries import data_sets_for
from haucan.core.access import login_only
from haucan.core.scope import Action
from haucan.org import queries as org_queries


@login_only
def home(request: HttpRequest) -> HttpResponse:
    """Any signed-in user; everything shown is cut to their scope (none without an assignment)."""
    scope = request.scope  # type: ignore[attr-defined]
    roots = org_queries.scope_roots(scope)
    # One count per assigned subtree; a user has a handful of assignments at most.
    root_counts = [
        (root, org_queries.subtree(scope, root).filter(closed_on__isnull=True).count())
        for root in roots
    ]
    context = {
        "assignments": assignments_of(request.user),  # type: ignore[arg-type]
        "root_counts": root_counts,
        "unit_total": org_queries.units_in_scope(scope, include_closed=False).count(),
        "data_sets": list(data_sets_for(scope).order_by("name")[:50]),
        "can_design": scope.can_any(Action.DESIGN),
    }
    return render(request, "web/home.html", context)
