"""The read-only audit log page: a filtered list, no form that changes anything."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haucan.audit import queries
from haucan.core.access import admin_only

PAGE_SIZE = 100


def _date(raw: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


@admin_only
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    flt = queries.EventFilter(
        action=params.get("action", "").strip()[:80],
        actor=params.get("actor", "").strip()[:150],
        object_id=params.get("object", "").strip()[:64],
        since=_date(params.get("since", "")),
        until=_date(params.get("until", "")),
    )
    rows = queries.events(request.scope, flt)  # type: ignore[attr-defined]
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filter": flt,
        "query": query.urlencode(),
        "summary": queries.chain_summary(),
    }
    return render(request, "audit/event_list.html", context)
