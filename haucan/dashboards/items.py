"""Draw one dashboard item: query the engine under the dashboard filter, pivot, build the figure.

Views and exports both start here, so a CSV always holds the numbers the chart showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from haucan.core.scope import Scope
from haucan.dashboards import analysis, charts
from haucan.dashboards.analysis import FilterState, Table
from haucan.dashboards.models import ChartType, Visualization
from haucan.org import queries as org_queries
from haucan.org.models import Unit


@dataclass
class RenderedItem:
    vis: Visualization
    state: FilterState
    table: Table
    figure: dict[str, Any] | None  # None for a pivot table
    period_text: str
    previous: float | None = None

    @property
    def subtitle(self) -> str:
        return f"{self.state.unit.name} · {self.period_text}"


def _periods(vis: Visualization, state: FilterState) -> list[str]:
    return list(state.periods or vis.query.get("pe") or [])


def render_item(scope: Scope, vis: Visualization, state: FilterState) -> RenderedItem:
    """Raise ValidationFailed/NotFound from the engine for a bad item or an out-of-scope unit."""
    if vis.type in (ChartType.TREEMAP, ChartType.SUNBURST):
        vis_query = dict(vis.query, ou=["USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN"])
        query = analysis.build_query(Visualization(type=vis.type, query=vis_query), state)
    else:
        query = analysis.build_query(vis, state)
    rows, cols = analysis.table_axes(vis)
    table = analysis.to_table(analysis.run(scope, query), rows, cols)
    periods = _periods(vis, state)

    previous = None
    if vis.type == ChartType.KPI:
        before = analysis.previous_periods(periods)
        if before:
            prev_query = analysis.build_query(vis, state, periods=before)
            prev_table = analysis.to_table(analysis.run(scope, prev_query), rows, cols)
            previous = sum(prev_table.values.values()) if prev_table.values else None

    figure = None
    if vis.type != ChartType.PIVOT:
        unit_ids = _unit_items(table)
        drillable, parents = _unit_facts(unit_ids)
        figure = charts.build_figure(
            vis, table, drillable_units=drillable, previous=previous, parents=parents
        )
    return RenderedItem(vis, state, table, figure, analysis.period_label(periods), previous)


def _unit_items(table: Table) -> list[str]:
    found: list[str] = []
    for dims, keys in ((table.row_dims, table.row_keys), (table.col_dims, table.col_keys)):
        if "ou" in dims:
            at = dims.index("ou")
            found.extend(k[at] for k in keys)
    return found


def _unit_facts(uids: list[str]) -> tuple[set[str], dict[str, str]]:
    """Which units have open children (so a click can drill) and each unit's parent uid."""
    if not uids:
        return set(), {}
    units = list(Unit.objects.filter(uid__in=uids).select_related("parent"))
    counts = org_queries.open_child_counts(units)
    drillable = {u.uid for u in units if counts.get(u.pk)}
    parents = {u.uid: u.parent.uid for u in units if u.parent is not None}
    return drillable, parents


def describe_error() -> str:
    return _("This item cannot be drawn.")
