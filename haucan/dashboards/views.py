"""The Operations Room pages.

Who may use what (every view needs a signed-in user; out-of-scope units and invisible objects
are 404, as if they did not exist):
- /dashboards/                       list: anyone with VIEW in some domain (sees shared dashboards)
- /dashboards/<uid>/                 a dashboard, its unit and period filter, drill-down, wall mode
                                     (`?wall=1&rotate=<s>`): anyone the dashboard is shared with
- /dashboards/item/<uid>/data/       one item's Plotly figure JSON (or pivot HTML) under ?ou=&pe=
- /dashboards/item/<uid>/export.<csv|xlsx|pdf>   the same item as a file
- /dashboards/builder/               chart and pivot builder, preview, save, add to a dashboard,
                                     share: specialists with DESIGN in the domain, and admins
- /dashboards/assets/plotly.min.js   Plotly.js from the installed plotly package (no CDN)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import plotly
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haucan.catalog.models import DataElement, DataSet, Indicator
from haucan.core.access import login_only
from haucan.core.errors import HaucanError, NotFound, PermissionDenied
from haucan.core.scope import DOMAIN_CHOICES, Action, Domain, Scope
from haucan.dashboards import analysis, exports, queries, services
from haucan.dashboards.charts import pivot_rows
from haucan.dashboards.items import render_item
from haucan.dashboards.models import ChartType, Visualization
from haucan.org import queries as org_queries

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PERIOD_CHOICES = [
    "THIS_MONTH", "LAST_MONTH", "LAST_3_MONTHS", "LAST_6_MONTHS", "LAST_12_MONTHS",
    "MONTHS_THIS_YEAR", "THIS_QUARTER", "LAST_QUARTER", "LAST_4_QUARTERS", "QUARTERS_THIS_YEAR",
    "THIS_YEAR", "LAST_YEAR", "LAST_5_YEARS",
]  # fmt: skip
ROLE_CHOICES = ["commander", "specialist", "clerk", "viewer", "approver"]


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    return scope


def _params(request: HttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.GET.items()}


def handles_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Map typed errors: JSON for the endpoints the page script calls, 404/403 pages otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wants_json = request.path.endswith(("/data/", "/preview/")) or request.method == "POST"
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            if wants_json:
                return JsonResponse({"ok": False, "error": exc.message}, status=404)
            raise Http404(exc.message) from None
        except HaucanError as exc:
            if wants_json:
                return JsonResponse({"ok": False, "error": exc.message}, status=exc.status)
            return render(
                request, "dashboards/error.html", {"error": exc.message}, status=exc.status
            )

    return wrapper


# --- reading --------------------------------------------------------------------------------


@login_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not scope.can_any(Action.VIEW):
        raise Http404
    return render(
        request,
        "dashboards/index.html",
        {
            "dashboards": queries.visible_dashboards(scope),
            "can_design": scope.can_any(Action.DESIGN),
        },
    )


def _unit_choices(scope: Scope, state: analysis.FilterState) -> list[tuple[Any, int]]:
    """Units offered by the picker: the scope's roots, the way down to the selected unit, and
    its children (the tree is browsed by drilling, so thousands of units never load at once)."""
    seen: dict[int, tuple[Any, int]] = {}
    roots = org_queries.scope_roots(scope)
    base = min((r.depth for r in roots), default=1)
    for unit in [*roots, *org_queries.visible_ancestors(scope, state.unit), state.unit]:
        seen.setdefault(unit.pk, (unit, unit.depth - base))
    for child in org_queries.children(scope, state.unit):
        seen.setdefault(child.pk, (child, child.depth - base))
    return sorted(seen.values(), key=lambda pair: pair[0].path)


def _period_crumbs(request_path: str, state: analysis.FilterState) -> list[tuple[str, str]]:
    crumbs = []
    for depth, earlier in enumerate(state.drill):
        params = state.params(pe=earlier, drill="|".join(state.drill[:depth]))
        crumbs.append(
            (analysis.period_label(earlier.split(";")), f"{request_path}?{urlencode(params)}")
        )
    return crumbs


def _rotate_seconds(raw: str) -> int:
    """Seconds between dashboards on the wall: 60 by default, kept between 10 s and an hour."""
    try:
        seconds = int(raw) if raw else 60
    except ValueError:
        seconds = 60
    return max(10, min(seconds, 3600))


@login_only
@require_GET
@handles_errors
def dashboard(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _scope(request)
    board = queries.get_dashboard(scope, uid)
    state = analysis.parse_filter(scope, _params(request))
    path = request.path
    unit_crumbs = [
        (u.name, f"{path}?{urlencode(state.params(ou=u.uid))}")
        for u in org_queries.visible_ancestors(scope, state.unit)
    ]
    wall = request.GET.get("wall") == "1"
    rotate = _rotate_seconds(request.GET.get("rotate", "")) if wall else 0
    next_board = queries.dashboard_neighbours(scope, board) if wall else None
    items = list(board.items.all())
    context = {
        "board": board,
        "items": items,
        "state": state,
        "pe_text": ";".join(state.periods),
        "drill_text": "|".join(state.drill),
        "period_label": analysis.period_label(state.periods) if state.periods else "",
        "unit_choices": _unit_choices(scope, state),
        "unit_crumbs": unit_crumbs,
        "period_crumbs": _period_crumbs(path, state),
        "period_choices": [(p, analysis.period_label([p])) for p in PERIOD_CHOICES],
        "wall": wall,
        "rotate": rotate,
        "next_url": (
            f"{reverse('dashboards:dashboard', args=[next_board.uid])}?"
            f"{urlencode({'wall': '1', 'rotate': str(rotate), 'pe': state.params().get('pe', '')})}"
            if next_board
            else ""
        ),
        "query_string": urlencode(state.params()),
        "can_design": scope.can(Action.DESIGN, Domain(board.domain)),
        "plotly_version": plotly.__version__,
        "js_text": {
            "error": _("This item cannot be drawn."),
            "empty": _("No data for this unit and period."),
        },
    }
    return render(request, "dashboards/dashboard.html", context)


def _item_payload(request: HttpRequest, rendered: Any) -> dict[str, Any]:
    vis = rendered.vis
    base = reverse("dashboards:item_data", args=[vis.uid]).removesuffix("data/")
    qs = urlencode(rendered.state.params())
    payload: dict[str, Any] = {
        "ok": True,
        "uid": vis.uid,
        "title": vis.name,
        "type": vis.type,
        "subtitle": rendered.subtitle,
        "exports": {fmt: f"{base}export.{fmt}?{qs}" for fmt in ("csv", "xlsx", "pdf")},
    }
    if rendered.figure is None:
        payload["kind"] = "html"
        payload["html"] = render_to_string(
            "dashboards/_pivot.html",
            {
                "corner": rendered.table.dim_label(rendered.table.row_dims),
                "col_labels": [rendered.table.label(c) for c in rendered.table.col_keys],
                "rows": pivot_rows(rendered.table),
            },
            request=request,
        )
    else:
        payload["kind"] = "plotly"
        payload["figure"] = rendered.figure
    return payload


@login_only
@require_GET
@handles_errors
def item_data(request: HttpRequest, uid: str) -> HttpResponse:
    scope = _scope(request)
    vis = queries.get_visualization(scope, uid)
    state = analysis.parse_filter(scope, _params(request))
    return JsonResponse(_item_payload(request, render_item(scope, vis, state)))


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", exports.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.to_xlsx),
    "pdf": ("application/pdf", exports.to_pdf),
}


@login_only
@require_GET
@handles_errors
def item_export(request: HttpRequest, uid: str, fmt: str) -> HttpResponse:
    scope = _scope(request)
    vis = queries.get_visualization(scope, uid)
    state = analysis.parse_filter(scope, _params(request))
    if fmt not in EXPORTS:
        raise NotFound(_("Unknown export format."))
    content_type, writer = EXPORTS[fmt]
    body = writer(render_item(scope, vis, state))
    response = HttpResponse(body, content_type=content_type)
    name = slugify(f"{vis.code}-{state.unit.code}") or "export"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_only
@require_GET
def plotly_js(request: HttpRequest) -> FileResponse:
    """Plotly.js straight from the installed package; the URL carries its version, so browsers
    may keep it for a year."""
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


# --- the builder ----------------------------------------------------------------------------


def _require_designer(scope: Scope) -> None:
    if not scope.can_any(Action.DESIGN):
        raise PermissionDenied(_("Only specialists and administrators may build charts."))


def _designable_domains(scope: Scope) -> list[tuple[str, str]]:
    return [(v, str(label)) for v, label in DOMAIN_CHOICES if scope.can(Action.DESIGN, Domain(v))]


def _catalog_items() -> list[tuple[str, str, str]]:
    """(group label, code, name) of everything a chart may show."""
    items: list[tuple[str, str, str]] = []
    numeric = [e for e in DataElement.objects.order_by("name") if e.is_numeric]
    items += [(_("Data elements"), e.code, e.name) for e in numeric]
    items += [(_("Indicators"), i.code, i.name) for i in Indicator.objects.order_by("name")]
    rate = _("reporting rate")
    items += [
        (_("Reporting rates"), f"{ds.code}.REPORTING_RATE", f"{ds.name} – {rate}")
        for ds in DataSet.objects.order_by("name")
    ]
    return items


def _spec_from(data: dict[str, Any]) -> services.VisualizationSpec:
    def tokens(name: str) -> list[str]:
        raw = data.get(name) or ""
        values = raw if isinstance(raw, list) else str(raw).split(";")
        return [v.strip() for v in values if v and v.strip()]

    query = {
        "dx": tokens("dx"),
        "pe": tokens("pe"),
        "ou": tokens("ou"),
        "rows": tokens("rows"),
        "columns": tokens("columns"),
    }
    options: dict[str, Any] = {}
    for key in ("max", "target", "decimals"):
        value = str(data.get(key) or "").strip().replace(",", ".")
        if value:
            try:
                options[key] = float(value)
            except ValueError:
                continue
    if str(data.get("suffix") or "").strip():
        options["suffix"] = str(data["suffix"]).strip()
    name = str(data.get("name") or "").strip() or _("Preview")
    code = str(data.get("code") or "").strip() or slugify(name).upper().replace("-", "_")[:50]
    return services.VisualizationSpec(
        code=code or "PREVIEW",
        name=name,
        type=str(data.get("type") or ChartType.COLUMN),
        query=query,
        options=options,
        domain=str(data.get("domain") or Domain.GENERAL),
    )


@login_only
@require_GET
@handles_errors
def builder(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    _require_designer(scope)
    editing = None
    if request.GET.get("vis"):
        editing = queries.get_visualization(scope, request.GET["vis"])
    context = {
        "catalog": _catalog_items(),
        "types": ChartType.choices,
        "domains": _designable_domains(scope),
        "period_choices": [(p, analysis.period_label([p])) for p in PERIOD_CHOICES],
        "dashboards": queries.editable_dashboards(scope),
        "roles": ROLE_CHOICES,
        "editing": editing,
        "editing_json": (
            {"query": editing.query, "options": editing.options, "type": editing.type}
            if editing
            else None
        ),
        "visualizations": queries.visible_visualizations(scope),
    }
    return render(request, "dashboards/builder.html", context)


@login_only
@require_GET
@handles_errors
def builder_preview(request: HttpRequest) -> HttpResponse:
    """Draw an unsaved spec: the same path as a saved item, without writing anything."""
    scope = _scope(request)
    _require_designer(scope)
    spec = _spec_from(_params(request))
    vis = Visualization(
        code=spec.code, name=spec.name, type=spec.type, options=spec.options,
        query=services.clean_query(spec.query), domain=spec.domain,
    )  # fmt: skip
    state = analysis.parse_filter(scope, {"ou": request.GET.get("filter_ou", "")})
    payload = _item_payload(request, render_item(scope, vis, state))
    payload.pop("exports")
    return JsonResponse(payload)


@login_only
@require_POST
@handles_errors
def builder_save(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    data = {k: request.POST.get(k, "") for k in request.POST}
    spec = _spec_from(data)
    if data.get("vis"):
        vis = services.update_visualization(
            scope, queries.get_visualization(scope, data["vis"]), spec
        )
    else:
        vis = services.create_visualization(scope, spec)
    if data.get("dashboard"):
        board = queries.get_dashboard(scope, data["dashboard"])
        services.add_item(scope, board, vis, width=int(data.get("width") or 6))
    roles = request.POST.getlist("roles")
    units = [u for u in (data.get("share_units") or "").split(";") if u.strip()]
    if roles or units:
        services.share(scope, vis, roles=roles, units=units)
    return JsonResponse(
        {
            "ok": True,
            "uid": vis.uid,
            "code": vis.code,
            "url": f"{reverse('dashboards:builder')}?vis={vis.uid}",
        }
    )


@login_only
@require_POST
@handles_errors
def dashboard_create(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    name = request.POST.get("name", "")
    board = services.create_dashboard(
        scope,
        code=request.POST.get("code") or slugify(name).upper().replace("-", "_")[:50],
        name=name,
        domain=request.POST.get("domain") or Domain.GENERAL,
    )
    roles = request.POST.getlist("roles")
    if roles:
        services.share(scope, board, roles=roles)
    return redirect("dashboards:dashboard", uid=board.uid)
