"""Plotly figures built on the server from a Table (Plotly's JSON schema via graph_objects).

Each clickable point carries `customdata` that the page script turns into a filter change:
"ou:<uid>" drills to that unit's children, "pe:<ids>" narrows the period (a year to its quarters,
a quarter to its months). Leaves and data items carry "" (nothing to drill into).
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from haucan.dashboards.analysis import Table, period_drill_target, vn_number
from haucan.dashboards.models import ChartType, Visualization

PALETTE = [
    "#3d5a2a", "#c9a227", "#2f6f8f", "#b5523b", "#6b8e23", "#7a5c99", "#d08c2f", "#4b7f6f",
    "#8c564b", "#5a6b7d",
]  # fmt: skip
BASE_LAYOUT: dict[str, Any] = {
    "separators": ",.",  # Vietnamese: decimal comma, thousands dot
    "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
    "font": {"family": "system-ui, Segoe UI, Roboto, Arial, sans-serif", "size": 12},
    "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    "colorway": PALETTE,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "hovermode": "closest",
}


def click_target(dim: str, item: str, drillable_units: set[str]) -> str:
    if dim == "ou":
        return f"ou:{item}" if item in drillable_units else ""
    if dim == "pe":
        return f"pe:{period_drill_target(item)}"
    return ""


# Plotly reads its text as a small HTML dialect (<b>, <br>, <a href>…); user text (unit, item
# and chart names) is entity-escaped so it always shows literally and can never add a tag or link.
_USER_TEXT_KEYS = ("x", "y", "labels", "name", "text")


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def _figure_json(fig: go.Figure) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fig.to_json())
    for trace in data.get("data", []):
        for key in _USER_TEXT_KEYS:
            if key in trace:
                trace[key] = _escape(trace[key])
    return data


def message_figure(text: str) -> dict[str, Any]:
    fig = go.Figure(layout=BASE_LAYOUT)
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ],
    )
    return _figure_json(fig)


def build_figure(
    vis: Visualization,
    table: Table,
    *,
    drillable_units: set[str],
    previous: float | None = None,
    parents: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Plotly figure (data + layout) for one item."""
    kind = vis.type
    options = vis.options or {}
    suffix = str(options.get("suffix", ""))
    if kind == ChartType.MAP:
        return message_figure(_("No unit has map geometry yet, so the map cannot be drawn."))
    if not table.values:
        return message_figure(_("No data for this unit and period."))
    if kind in (ChartType.KPI, ChartType.GAUGE):
        return _indicator(kind, table, previous, options, suffix)
    if kind in (ChartType.TREEMAP, ChartType.SUNBURST):
        return _hierarchy(kind, table, parents or {})
    if kind == ChartType.HEATMAP:
        return _heatmap(table, drillable_units)

    cat_dim = table.row_dims[0] if table.row_dims else table.col_dims[0]
    categories = table.row_keys if table.row_dims else table.col_keys
    series = table.col_keys if table.row_dims else [()]
    labels = [table.label(k) for k in categories]
    clicks = [click_target(cat_dim, k[0], drillable_units) if k else "" for k in categories]

    def cell(cat: tuple[str, ...], ser: tuple[str, ...]) -> float | None:
        return table.value(cat, ser) if table.row_dims else table.value((), cat)

    fig = go.Figure(layout=BASE_LAYOUT)
    if kind in (ChartType.PIE, ChartType.DONUT):
        ser = series[0]
        fig.add_trace(
            go.Pie(
                labels=labels,
                values=[cell(c, ser) or 0 for c in categories],
                customdata=clicks,
                hole=0.45 if kind == ChartType.DONUT else 0,
                sort=False,
                textinfo="percent",
                hovertemplate="%{label}: %{value:,.2~f}" + suffix + "<extra></extra>",
            )
        )
        return _figure_json(fig)

    horizontal = kind in (ChartType.BAR, ChartType.STACKED_BAR)
    for ser in series:
        ys = [cell(c, ser) for c in categories]
        name = table.label(ser) if ser else vis.name
        hover = "%{customdata[1]}: %{" + ("x" if horizontal else "y") + ":,.2~f}" + suffix
        custom = [[c, name] for c in clicks]
        if kind in (ChartType.LINE, ChartType.AREA):
            fig.add_trace(
                go.Scatter(
                    x=labels,
                    y=ys,
                    name=name,
                    mode="lines+markers",
                    fill="tozeroy" if kind == ChartType.AREA and len(series) == 1 else None,
                    stackgroup="one" if kind == ChartType.AREA and len(series) > 1 else None,
                    customdata=custom,
                    hovertemplate=hover + "<extra>%{x}</extra>",
                    connectgaps=False,
                )
            )
        else:
            fig.add_trace(
                go.Bar(
                    x=ys if horizontal else labels,
                    y=labels if horizontal else ys,
                    orientation="h" if horizontal else "v",
                    name=name,
                    customdata=custom,
                    hovertemplate=hover + "<extra>%{" + ("y" if horizontal else "x") + "}</extra>",
                )
            )
    fig.update_layout(
        barmode="stack" if kind in (ChartType.STACKED_BAR, ChartType.STACKED_COLUMN) else "group",
        showlegend=len(series) > 1,
        xaxis={"automargin": True, "tickformat": ",.2~f"} if horizontal else {"automargin": True},
        yaxis={"automargin": True, "autorange": "reversed"}
        if horizontal
        else {"automargin": True, "tickformat": ",.2~f", "rangemode": "tozero"},
    )
    return _figure_json(fig)


def _indicator(
    kind: str, table: Table, previous: float | None, options: dict[str, Any], suffix: str
) -> dict[str, Any]:
    value = sum(v for v in table.values.values())
    decimals = int(options.get("decimals", 1))
    number = {"valueformat": f",.{decimals}f", "suffix": suffix}
    fig = go.Figure(layout=BASE_LAYOUT)
    if kind == ChartType.KPI:
        delta = (
            {"reference": previous, "relative": True, "valueformat": ".1%", "position": "bottom"}
            if previous
            else None
        )
        fig.add_trace(
            go.Indicator(
                mode="number+delta" if delta else "number",
                value=value,
                number=number,
                delta=delta,
                title={
                    "text": _("vs. the previous period") if delta else "",
                    "font": {"size": 12, "color": "#6c757d"},
                },
            )
        )
    else:
        top = float(options.get("max") or max(100.0, value * 1.2))
        steps = options.get("bands") or [
            {"range": [0, top * 0.6], "color": "#f3d9d3"},
            {"range": [top * 0.6, top * 0.9], "color": "#f5ebc7"},
            {"range": [top * 0.9, top], "color": "#dfe9d6"},
        ]
        gauge: dict[str, Any] = {
            "axis": {"range": [0, top]},
            "bar": {"color": PALETTE[0]},
            "steps": steps,
        }
        if options.get("target") is not None:
            gauge["threshold"] = {
                "line": {"color": PALETTE[3], "width": 3},
                "value": float(options["target"]),
            }
        fig.add_trace(go.Indicator(mode="gauge+number", value=value, number=number, gauge=gauge))
    fig.update_layout(margin={"l": 25, "r": 25, "t": 30, "b": 10})
    return _figure_json(fig)


def _hierarchy(kind: str, table: Table, parents: dict[str, str]) -> dict[str, Any]:
    ids = [k[0] for k in table.row_keys if table.value(k, ()) is not None]
    present = set(ids)
    trace_args: dict[str, Any] = {
        "ids": ids,
        "labels": [table.names.get(i, i) for i in ids],
        "parents": [parents.get(i, "") if parents.get(i, "") in present else "" for i in ids],
        "values": [table.value((i,), ()) for i in ids],
        "branchvalues": "total",
        "hovertemplate": "%{label}: %{value:,.2~f}<extra></extra>",
    }
    fig = go.Figure(layout=BASE_LAYOUT)
    fig.add_trace(
        go.Treemap(**trace_args) if kind == ChartType.TREEMAP else go.Sunburst(**trace_args)
    )
    fig.update_layout(margin={"l": 5, "r": 5, "t": 5, "b": 5})
    return _figure_json(fig)


def _heatmap(table: Table, drillable_units: set[str]) -> dict[str, Any]:
    z = [[table.value(r, c) for c in table.col_keys] for r in table.row_keys]
    fig = go.Figure(layout=BASE_LAYOUT)
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[table.label(c) for c in table.col_keys],
            y=[table.label(r) for r in table.row_keys],
            customdata=[
                [[click_target("ou", r[0], drillable_units), ""] for _c in table.col_keys]
                for r in table.row_keys
            ],
            colorscale=[[0, "#f4f6f2"], [0.5, "#c9a227"], [1, "#3d5a2a"]],
            hovertemplate="%{y} · %{x}: %{z:,.2~f}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={"automargin": True, "autorange": "reversed"}, xaxis={"automargin": True}
    )
    return _figure_json(fig)


def pivot_rows(table: Table) -> list[tuple[str, list[str]]]:
    """(row label, formatted cells) for the HTML pivot and the PDF. No row totals: columns are
    often different data items or stock-type values, whose sum means nothing."""
    return [
        (table.label(r), [vn_number(table.value(r, c)) for c in table.col_keys])
        for r in table.row_keys
    ]
