"""From a saved visualisation and the dashboard's filter to an analytics answer and a table.

The dashboard has ONE unit filter and ONE period filter. A visualisation's query names units with
tokens relative to "the selected unit" (`USER_ORGUNIT`, `USER_ORGUNIT_CHILDREN`,
`USER_ORGUNIT_GRANDCHILDREN`, `LEVEL-n`), so the same saved item shows the division to its
commander and the army to the ministry, and drilling down just changes the selected unit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.analytics.query import AnalyticsQuery, AnalyticsResult
from haucan.core.errors import ValidationFailed
from haucan.core.periods import Period, PeriodError, PeriodType, parse_period_or_relative
from haucan.core.scope import Scope
from haucan.dashboards.models import ChartType, Visualization
from haucan.org import queries as org_queries
from haucan.org.models import Unit

MAX_PERIOD_TOKENS = 60


@dataclass(frozen=True)
class FilterState:
    """The dashboard's filter as held in the URL: ou, pe and the period drill stack."""

    unit: Unit
    periods: tuple[str, ...] = ()  # empty: each item keeps its own periods
    drill: tuple[str, ...] = ()  # earlier `pe` values, oldest first ("2024", "2024Q1;2024Q2")

    def params(self, **changes: str | None) -> dict[str, str]:
        base = {"ou": self.unit.uid, "pe": ";".join(self.periods), "drill": "|".join(self.drill)}
        base.update({k: v or "" for k, v in changes.items()})
        return {k: v for k, v in base.items() if v}


def parse_periods(text: str, today: date | None = None) -> tuple[str, ...]:
    """`2024;2024Q1` or `LAST_12_MONTHS` checked and kept as tokens; ValidationFailed if bad."""
    tokens = tuple(t.strip() for t in text.split(";") if t.strip())
    if len(tokens) > MAX_PERIOD_TOKENS:
        raise ValidationFailed(_("Too many periods."), field="pe")
    for token in tokens:
        try:
            parse_period_or_relative(token, today or timezone.localdate())
        except PeriodError as exc:
            raise ValidationFailed(str(exc), field="pe") from None
    return tokens


def parse_filter(scope: Scope, params: Mapping[str, str]) -> FilterState:
    """Read ou/pe/drill. A unit outside the scope is NotFound (404); no unit means the actor's
    first assigned subtree."""
    key = (params.get("ou") or "").strip()
    if key:
        unit = org_queries.get_unit(scope, key)
    else:
        roots = org_queries.scope_roots(scope)
        if not roots:
            raise ValidationFailed(_("You have no unit assignment."), field="ou")
        unit = roots[0]
    periods = parse_periods(params.get("pe") or "")
    drill = tuple(p for p in (params.get("drill") or "").split("|") if p.strip())
    for earlier in drill:
        parse_periods(earlier)
    return FilterState(unit, periods, drill[-10:])


def resolve_periods(tokens: Sequence[str], today: date | None = None) -> list[Period]:
    today = today or timezone.localdate()
    found: list[Period] = []
    for token in tokens:
        for period in parse_period_or_relative(token, today):
            if period not in found:
                found.append(period)
    return found


def previous_periods(tokens: Sequence[str]) -> list[str]:
    """The same span just before: 2024Q2 -> 2024Q1, LAST_3_MONTHS -> the three months before."""
    periods = resolve_periods(tokens)
    count = len(periods)
    if count and len({p.type for p in periods}) == 1:
        return [p.shift(-count).id for p in periods]
    return [p.previous().id for p in periods]


DRILL_DOWN = {
    PeriodType.YEARLY: PeriodType.QUARTERLY,
    PeriodType.NINE_MONTHS: PeriodType.QUARTERLY,
    PeriodType.SIX_MONTHLY: PeriodType.QUARTERLY,
    PeriodType.QUARTERLY: PeriodType.MONTHLY,
}


def period_drill_target(period_id: str) -> str:
    """What clicking a period selects: a year's quarters, a quarter's months, else itself."""
    period = resolve_periods([period_id])[0]
    below = DRILL_DOWN.get(period.type)
    if below is None:
        return period.id
    return ";".join(p.id for p in period.periods_within(below))


def unit_tokens(tokens: Sequence[str], unit: Unit) -> list[str]:
    """Put the selected unit in place of the relative unit tokens."""
    out: list[str] = []

    def add(*items: str) -> None:
        out.extend(i for i in items if i not in out)

    for name in tokens:
        if name == "USER_ORGUNIT":
            add(unit.uid)
        elif name == "USER_ORGUNIT_CHILDREN":
            add(unit.uid, f"LEVEL-{unit.depth + 1}")
        elif name == "USER_ORGUNIT_GRANDCHILDREN":
            add(unit.uid, f"LEVEL-{unit.depth + 2}")
        elif name.startswith("LEVEL-"):
            try:
                level = int(name.removeprefix("LEVEL-"))
            except ValueError:
                raise ValidationFailed(_("'%(t)s' is not a level.") % {"t": name}) from None
            add(unit.uid, f"LEVEL-{level}") if level > unit.depth else add(unit.uid)
        else:
            add(name)  # a fixed unit: the engine refuses it if it lies outside the scope
    return out


def build_query(
    vis: Visualization, state: FilterState, *, periods: Sequence[str] | None = None
) -> AnalyticsQuery:
    """The engine query of `vis` under the dashboard filter (rows then columns as dimensions)."""
    spec = vis.query
    items: dict[str, tuple[str, ...]] = {
        "dx": tuple(spec.get("dx") or ()),
        "pe": tuple(periods if periods is not None else (state.periods or spec.get("pe") or ())),
        "ou": tuple(unit_tokens(spec.get("ou") or ["USER_ORGUNIT"], state.unit)),
    }
    for category, options in (spec.get("categories") or {}).items():
        items[category] = tuple(options)
    axes = [*spec.get("rows", []), *spec.get("columns", [])]
    if vis.type in (ChartType.KPI, ChartType.GAUGE):
        axes = ["dx"]  # one figure: everything else is aggregated away
    elif vis.type == ChartType.HEATMAP:
        axes = ["ou", "pe"]
    elif vis.type in (ChartType.TREEMAP, ChartType.SUNBURST):
        axes = ["ou"]
    if not axes:
        axes = ["dx"]
    dimensions = tuple((name, items[name]) for name in axes)
    filters = tuple((name, values) for name, values in items.items() if name not in axes)
    return AnalyticsQuery(dimensions=dimensions, filters=filters, hierarchy="current")


def run(scope: Scope, query: AnalyticsQuery) -> AnalyticsResult:
    from haucan.analytics.engine import run_query  # the engine sits behind this one call

    return run_query(scope, query)


# --- the table every renderer and export starts from -------------------------------------------


@dataclass
class Table:
    """A pivot of an analytics answer: row and column keys are tuples of item ids."""

    row_dims: list[str]
    col_dims: list[str]
    row_keys: list[tuple[str, ...]]
    col_keys: list[tuple[str, ...]]
    values: dict[tuple[tuple[str, ...], tuple[str, ...]], float]
    names: dict[str, str] = field(default_factory=dict)

    def label(self, key: tuple[str, ...]) -> str:
        return " / ".join(self.names.get(item, item) for item in key) or _("Value")

    def value(self, row: tuple[str, ...], col: tuple[str, ...]) -> float | None:
        return self.values.get((row, col))

    def dim_label(self, dims: Sequence[str]) -> str:
        return " / ".join(DIMENSION_LABELS().get(d, self.names.get(d, d)) for d in dims)


def DIMENSION_LABELS() -> dict[str, str]:
    return {"dx": _("Data"), "pe": _("Period"), "ou": _("Unit")}


def to_table(result: AnalyticsResult, row_dims: Sequence[str], col_dims: Sequence[str]) -> Table:
    headers = [str(h.get("name")) for h in result.headers]
    dims = headers[:-1]
    order: dict[str, list[str]] = {d: list(result.dimension_items.get(d) or []) for d in dims}
    values: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = {}
    row_keys: list[tuple[str, ...]] = []
    col_keys: list[tuple[str, ...]] = []
    position = {d: i for i, d in enumerate(dims)}
    row_dims = [d for d in row_dims if d in position]
    col_dims = [d for d in col_dims if d in position]
    for row in result.rows:
        for d in dims:
            if row[position[d]] not in order[d]:
                order[d].append(row[position[d]])
        rkey = tuple(row[position[d]] for d in row_dims)
        ckey = tuple(row[position[d]] for d in col_dims)
        try:
            values[(rkey, ckey)] = float(row[-1])
        except ValueError:
            continue
    if "ou" in order:  # the engine lists units by tree path; people read them by name
        order["ou"].sort(key=lambda uid: _natural(str(result.items.get(uid, {}).get("name", uid))))
    row_keys = _product([order[d] for d in row_dims])
    col_keys = _product([order[d] for d in col_dims])
    names = {k: str(v.get("name", k)) for k, v in result.items.items()}
    return Table(list(row_dims), list(col_dims), row_keys, col_keys, values, names)


def _natural(text: str) -> list[object]:
    """ "Sư đoàn 5" before "Sư đoàn 324": digits compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _product(lists: list[list[str]]) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [()]
    for items in lists:
        keys = [(*k, item) for k in keys for item in items]
    return keys


def table_axes(vis: Visualization) -> tuple[list[str], list[str]]:
    """Rows and columns used to draw `vis`, after the chart type's own rules."""
    rows = list(vis.query.get("rows") or [])
    cols = list(vis.query.get("columns") or [])
    if vis.type in (ChartType.KPI, ChartType.GAUGE):
        return [], ["dx"]
    if vis.type == ChartType.HEATMAP:
        return ["ou"], ["pe"]
    if vis.type in (ChartType.TREEMAP, ChartType.SUNBURST):
        return ["ou"], []
    if not rows and not cols:
        return ["dx"], []
    return rows, cols


def vn_number(value: float | None, decimals: int = 2) -> str:
    """12345.5 -> "12.345,5": Vietnamese grouping '.' and decimal ','."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def period_label(tokens: Sequence[str]) -> str:
    """People's words for the period filter: "Quý 1/2024 – Quý 4/2024"."""
    try:
        periods = resolve_periods(tokens)
    except PeriodError:
        return ", ".join(tokens)
    if not periods:
        return ""
    if len(periods) == 1:
        return periods[0].display_name()
    return f"{periods[0].display_name()} – {periods[-1].display_name()}"
