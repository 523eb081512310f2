"""Reads of the Operations Room that views (and other apps) may call. Every function takes a Scope.

Visibility: an administrator sees everything. Anyone else sees a dashboard or a visualisation that
they own, that is shared with one of their roles, or that is shared with a unit related to their
scope (a unit inside their subtrees, or a unit above their own assignment, since sharing with a
division reaches the regiments' staff). A designer (DESIGN in the object's domain) sees their
domain's work too. Anything else does not exist for the actor (NotFound).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from haucan.accounts.models import Assignment
from haucan.core.errors import NotFound
from haucan.core.scope import Action, Domain, Scope
from haucan.dashboards.models import Dashboard, DashboardItem, Shared, Visualization
from haucan.org.models import Unit


def roles_of(scope: Scope) -> frozenset[str]:
    """The role names the actor holds at open units (the Scope keeps permissions, not roles)."""
    if scope.user_id is None:
        return frozenset({"admin"}) if scope.is_admin else frozenset()
    rows = Assignment.objects.filter(user_id=scope.user_id, unit__closed_on__isnull=True)
    return frozenset(rows.values_list("role", flat=True))


def _unit_related(scope: Scope, units: Iterable[Unit]) -> bool:
    for unit in units:
        if scope.covers_path(unit.path):
            return True
        if any(own.startswith(unit.path) for own in scope.unit_paths):
            return True
    return False


def can_see(scope: Scope, obj: Shared, roles: frozenset[str] | None = None) -> bool:
    """True when `obj` (a Dashboard or a Visualization with `shared_units` loaded) is visible."""
    if scope.is_admin:
        return True
    if scope.user_id is not None and obj.owner_id == scope.user_id:
        return True
    if scope.can(Action.DESIGN, Domain(obj.domain)):
        return True
    roles = roles_of(scope) if roles is None else roles
    if roles.intersection(obj.shared_roles or []):
        return True
    return _unit_related(scope, obj.shared_units.all())  # type: ignore[attr-defined]


def visible_dashboards(scope: Scope) -> list[Dashboard]:
    """The dashboards the actor may open, by name. Dashboards are tens, not thousands, so the
    sharing test runs in Python (SQLite cannot search inside a JSON list)."""
    if not scope.can_any(Action.VIEW):
        return []
    roles = roles_of(scope)
    rows = Dashboard.objects.prefetch_related("shared_units").order_by("name")
    return [d for d in rows if can_see(scope, d, roles)]


def get_dashboard(scope: Scope, key: str) -> Dashboard:
    """A visible dashboard by uid or code with its items and their visualisations, or NotFound."""
    items = DashboardItem.objects.select_related("visualization").order_by("position", "id")
    dashboard = (
        Dashboard.objects.filter(Q(uid=key) | Q(code=key))
        .prefetch_related("shared_units", Prefetch("items", queryset=items))
        .first()
    )
    if dashboard is None or not scope.can_any(Action.VIEW) or not can_see(scope, dashboard):
        raise NotFound(_("Dashboard not found."))
    return dashboard


def get_visualization(scope: Scope, key: str) -> Visualization:
    """A visualisation by uid or code that the actor may see, directly or through a visible
    dashboard that holds it; otherwise NotFound."""
    vis = (
        Visualization.objects.filter(Q(uid=key) | Q(code=key))
        .prefetch_related("shared_units")
        .first()
    )
    if vis is None or not scope.can_any(Action.VIEW):
        raise NotFound(_("Visualisation not found."))
    roles = roles_of(scope)
    if can_see(scope, vis, roles):
        return vis
    holders = Dashboard.objects.filter(items__visualization=vis).prefetch_related("shared_units")
    if any(can_see(scope, d, roles) for d in holders):
        return vis
    raise NotFound(_("Visualisation not found."))


def visible_visualizations(scope: Scope) -> list[Visualization]:
    """Visualisations the actor may reuse in the builder (their own, shared, or their domain's)."""
    if not scope.can_any(Action.VIEW):
        return []
    roles = roles_of(scope)
    rows = Visualization.objects.prefetch_related("shared_units").order_by("name")
    return [v for v in rows if can_see(scope, v, roles)]


def editable_dashboards(scope: Scope) -> list[Dashboard]:
    """Dashboards the actor may change: those of domains where they hold DESIGN."""
    rows = Dashboard.objects.order_by("name")
    return [d for d in rows if scope.can(Action.DESIGN, Domain(d.domain))]


def dashboard_neighbours(scope: Scope, dashboard: Dashboard) -> Dashboard | None:
    """The next visible dashboard after `dashboard` (wall-mode rotation), wrapping around."""
    visible = visible_dashboards(scope)
    if len(visible) < 2:
        return None
    uids = [d.uid for d in visible]
    index = uids.index(dashboard.uid) if dashboard.uid in uids else -1
    return visible[(index + 1) % len(visible)]
