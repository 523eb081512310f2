"""The situation board (bảng tình hình cảnh báo) of the Operations Room: open critical and warning
alerts counted by domain and unit, within the viewer's scope; `?wall=1` is the wall display
(dark, large, refreshing itself every `refresh` seconds through a static script, no inline JS).
"""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haucan.alerts import queries as alert_queries
from haucan.core.access import requires
from haucan.core.scope import DOMAIN_CHOICES, Action, Scope


def _refresh(raw: str) -> int:
    try:
        return max(15, min(int(raw), 3600))
    except ValueError:
        return 60


@requires(Action.VIEW)
@require_GET
def situation(request: HttpRequest) -> HttpResponse:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    cells = alert_queries.situation(scope)
    by_domain: dict[str, list[alert_queries.BoardCell]] = defaultdict(list)
    for cell in cells:
        by_domain[cell.domain].append(cell)
    names = dict(DOMAIN_CHOICES)
    domains = [
        {
            "code": code,
            "name": names.get(code, code),
            "units": rows,
            "critical": sum(r.critical for r in rows),
            "warning": sum(r.warning for r in rows),
        }
        for code, rows in sorted(by_domain.items(), key=lambda kv: -sum(r.critical for r in kv[1]))
    ]
    return render(
        request,
        "dashboards/situation.html",
        {
            "section": "dashboards",
            "domains": domains,
            "critical": sum(d["critical"] for d in domains),
            "warning": sum(d["warning"] for d in domains),
            "wall": request.GET.get("wall") == "1",
            "refresh": _refresh(request.GET.get("refresh", "60")),
        },
    )
