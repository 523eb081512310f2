"""Every change to dashboards and visualisations. Each function takes the actor's Scope.

Who may write: an administrator, or a specialist holding DESIGN in the object's domain. Sharing
with units is limited to units inside the actor's scope. Every change is audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from haucan.accounts.models import Role
from haucan.audit import services as audit
from haucan.core.errors import Conflict, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.dashboards.models import ChartType, Dashboard, DashboardItem, Visualization
from haucan.org import queries as org_queries

AXES = ("dx", "pe", "ou")


@dataclass(frozen=True)
class VisualizationSpec:
    code: str
    name: str
    type: str
    query: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    domain: str = Domain.GENERAL.value
    description: str = ""


def _require_design(scope: Scope, domain: str) -> Domain:
    try:
        parsed = Domain(domain)
    except ValueError:
        raise ValidationFailed(
            _("Unknown domain '%(d)s'.") % {"d": domain}, field="domain"
        ) from None
    if not scope.can(Action.DESIGN, parsed):
        raise PermissionDenied(_("You may not design dashboards for this domain."))
    return parsed


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationFailed(
            _("'%(name)s' must be a list of identifiers.") % {"name": name}, field="query"
        )
    return [v.strip() for v in value]


def clean_query(raw: Any) -> dict[str, Any]:
    """Check the query's shape: dx, pe and ou items, and where each dimension goes.

    Items themselves (codes, periods, levels) are checked by the engine when the item is drawn,
    so that a catalog change shows up as a message on the card, not as a broken dashboard.
    """
    if not isinstance(raw, dict):
        raise ValidationFailed(_("The query must be an object."), field="query")
    query: dict[str, Any] = {}
    for axis in AXES:
        query[axis] = _str_list(raw.get(axis), axis)
    if not query["dx"]:
        raise ValidationFailed(_("Choose at least one data item."), field="dx")
    if not query["pe"]:
        query["pe"] = ["LAST_12_MONTHS"]
    if not query["ou"]:
        query["ou"] = ["USER_ORGUNIT"]
    categories = raw.get("categories") or {}
    if not isinstance(categories, dict):
        raise ValidationFailed(_("'categories' must be an object."), field="query")
    query["categories"] = {str(k): _str_list(v, str(k)) for k, v in categories.items()}
    known = set(AXES) | set(query["categories"])
    rows = _str_list(raw.get("rows"), "rows")
    columns = _str_list(raw.get("columns"), "columns")
    for dim in (*rows, *columns):
        if dim not in known:
            raise ValidationFailed(
                _("'%(dim)s' is not a dimension of this query.") % {"dim": dim}, field="rows"
            )
    if len(set(rows) | set(columns)) != len(rows) + len(columns):
        raise ValidationFailed(_("A dimension is placed twice."), field="rows")
    query["rows"], query["columns"] = rows, columns
    query["filters"] = [d for d in (*AXES, *query["categories"]) if d not in (*rows, *columns)]
    return query


def _clean_spec(spec: VisualizationSpec) -> VisualizationSpec:
    if spec.type not in ChartType.values:
        raise ValidationFailed(_("Unknown chart type '%(t)s'.") % {"t": spec.type}, field="type")
    if not spec.code.strip() or not spec.name.strip():
        raise ValidationFailed(_("A code and a name are required."), field="code")
    if not isinstance(spec.options, dict):
        raise ValidationFailed(_("The options must be an object."), field="options")
    return VisualizationSpec(
        spec.code.strip(),
        spec.name.strip(),
        spec.type,
        clean_query(spec.query),
        dict(spec.options),
        spec.domain,
        spec.description,
    )


def create_visualization(scope: Scope, spec: VisualizationSpec) -> Visualization:
    """Save a new chart or pivot table in a domain where the actor designs."""
    _require_design(scope, spec.domain)
    spec = _clean_spec(spec)
    try:
        with transaction.atomic():
            vis = Visualization.objects.create(
                code=spec.code,
                name=spec.name,
                type=spec.type,
                query=spec.query,
                options=spec.options,
                domain=spec.domain,
                description=spec.description,
                owner_id=scope.user_id,
            )
            audit.record(scope, "dashboards.visualization.create", vis, {"type": vis.type})
    except IntegrityError:
        raise Conflict(_("The code %(code)s is already used.") % {"code": spec.code}) from None
    return vis


def update_visualization(
    scope: Scope, vis: Visualization, spec: VisualizationSpec
) -> Visualization:
    _require_design(scope, vis.domain)
    _require_design(scope, spec.domain)
    spec = _clean_spec(spec)
    with transaction.atomic():
        for name in ("code", "name", "type", "query", "options", "domain", "description"):
            setattr(vis, name, getattr(spec, name))
        try:
            vis.save()
        except IntegrityError:
            raise Conflict(_("The code %(code)s is already used.") % {"code": spec.code}) from None
        audit.record(scope, "dashboards.visualization.update", vis, {"type": vis.type})
    return vis


def _clean_roles(roles: Sequence[str]) -> list[str]:
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationFailed(_("Unknown role '%(r)s'.") % {"r": unknown[0]}, field="roles")
    return sorted(set(roles))


def share(
    scope: Scope,
    obj: Visualization | Dashboard,
    *,
    roles: Sequence[str] = (),
    units: Sequence[str] = (),
) -> None:
    """Replace who may open `obj`: holders of `roles`, and staff related to `units` (uids or
    codes inside the actor's scope; others are NotFound)."""
    _require_design(scope, obj.domain)
    cleaned = _clean_roles(roles)
    resolved = [org_queries.get_unit(scope, key) for key in units]
    with transaction.atomic():
        obj.shared_roles = cleaned
        obj.save(update_fields=["shared_roles", "updated_at"])
        obj.shared_units.set(resolved)
        audit.record(
            scope,
            "dashboards.share",
            obj,
            {"roles": cleaned, "units": [u.code for u in resolved]},
        )


def create_dashboard(
    scope: Scope, *, code: str, name: str, domain: str = Domain.GENERAL.value, description: str = ""
) -> Dashboard:
    _require_design(scope, domain)
    if not code.strip() or not name.strip():
        raise ValidationFailed(_("A code and a name are required."), field="code")
    try:
        with transaction.atomic():
            dashboard = Dashboard.objects.create(
                code=code.strip(),
                name=name.strip(),
                domain=domain,
                description=description,
                owner_id=scope.user_id,
            )
            audit.record(scope, "dashboards.dashboard.create", dashboard)
    except IntegrityError:
        raise Conflict(_("The code %(code)s is already used.") % {"code": code}) from None
    return dashboard


def update_dashboard(
    scope: Scope, dashboard: Dashboard, *, name: str, description: str = ""
) -> Dashboard:
    _require_design(scope, dashboard.domain)
    if not name.strip():
        raise ValidationFailed(_("A name is required."), field="name")
    with transaction.atomic():
        dashboard.name, dashboard.description = name.strip(), description
        dashboard.save(update_fields=["name", "description", "updated_at"])
        audit.record(scope, "dashboards.dashboard.update", dashboard)
    return dashboard


def add_item(
    scope: Scope, dashboard: Dashboard, vis: Visualization, *, width: int = 6
) -> DashboardItem:
    """Append `vis` to the end of `dashboard` (width in grid columns, 3 to 12)."""
    _require_design(scope, dashboard.domain)
    if not 3 <= width <= 12:
        raise ValidationFailed(_("The width must be between 3 and 12 columns."), field="width")
    with transaction.atomic():
        last = dashboard.items.aggregate(last=Max("position"))["last"]
        item = DashboardItem.objects.create(
            dashboard=dashboard,
            visualization=vis,
            position=0 if last is None else last + 1,
            width=width,
        )
        audit.record(scope, "dashboards.dashboard.add_item", dashboard, {"item": vis.code})
    return item


def remove_item(scope: Scope, dashboard: Dashboard, item_id: int) -> None:
    _require_design(scope, dashboard.domain)
    with transaction.atomic():
        deleted, _rows = DashboardItem.objects.filter(dashboard=dashboard, pk=item_id).delete()
        if deleted:
            audit.record(scope, "dashboards.dashboard.remove_item", dashboard, {"item": item_id})


# --- metadata packages ----------------------------------------------------------------------

DEMO_PATH = Path(__file__).with_name("data") / "demo_dashboards.json"


@dataclass(frozen=True)
class LoadSummary:
    visualizations: int
    dashboards: int
    items: int


def load_dashboards(scope: Scope, doc: dict[str, Any]) -> LoadSummary:
    """Create or update the visualisations and dashboards of a metadata document, matched by
    code, so loading twice changes nothing. Each dashboard's items are replaced by the listed
    ones."""
    items = 0
    with transaction.atomic():
        by_code: dict[str, Visualization] = {}
        for entry in doc.get("visualizations", []):
            spec = VisualizationSpec(
                code=entry["code"],
                name=entry["name"],
                type=entry["type"],
                query=entry["query"],
                options=entry.get("options") or {},
                domain=entry.get("domain", Domain.GENERAL.value),
                description=entry.get("description", ""),
            )
            existing = Visualization.objects.filter(code=spec.code).first()
            vis = (
                update_visualization(scope, existing, spec)
                if existing
                else create_visualization(scope, spec)
            )
            if entry.get("sharedRoles"):
                share(scope, vis, roles=entry["sharedRoles"])
            by_code[vis.code] = vis
        for entry in doc.get("dashboards", []):
            board = Dashboard.objects.filter(code=entry["code"]).first()
            if board is None:
                board = create_dashboard(
                    scope,
                    code=entry["code"],
                    name=entry["name"],
                    domain=entry.get("domain", Domain.GENERAL.value),
                    description=entry.get("description", ""),
                )
            else:
                update_dashboard(
                    scope, board, name=entry["name"], description=entry.get("description", "")
                )
            board.items.all().delete()
            for item in entry.get("items", []):
                code = item["visualization"]
                found = by_code.get(code) or Visualization.objects.filter(code=code).first()
                if found is None:
                    raise ValidationFailed(
                        _("The dashboard %(d)s names an unknown visualisation %(v)s.")
                        % {"d": board.code, "v": code}
                    )
                add_item(scope, board, found, width=int(item.get("width", 6)))
                items += 1
            if entry.get("sharedRoles"):
                share(scope, board, roles=entry["sharedRoles"])
    return LoadSummary(len(by_code), len(doc.get("dashboards", [])), items)


def load_demo_dashboards(scope: Scope) -> LoadSummary:
    """Load the shipped demo dashboards (`data/demo_dashboards.json`): the commander's overview
    and one dashboard per pilot domain. Called by the demo loader; safe to call again."""
    doc = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
    return load_dashboards(scope, doc)
