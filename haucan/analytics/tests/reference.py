"""A brute-force reference for the analytics semantics (docs/integrators/analytics.md, "Semantics").

It reads the raw rows (DataValue, UnitLink, Unit, CompleteRegistration, DataSet.units) straight
from the ORM and computes every cell with plain Python loops, so it is slow and obviously right.
The correctness tests compare the engine's `value_map()` with `evaluate(scope, query).values`.

Where the text does not decide a cell (see `Reference.undecided`), the reference says so instead of
guessing, and the tests skip that cell. The cases are listed in `UNDECIDED_CASES`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from haucan.analytics.query import AnalyticsQuery
from haucan.catalog.models import (
    NUMERIC_VALUE_TYPES,
    Category,
    CategoryOptionCombo,
    Constant,
    DataElement,
    DataSet,
    Indicator,
)
from haucan.core.errors import NotFound
from haucan.core.expressions import Operand, parse_expression
from haucan.core.periods import Period, PeriodType, parse_period_or_relative
from haucan.core.scope import Scope
from haucan.org.models import Unit, UnitGroup, UnitLink
from haucan.reporting.models import CompleteRegistration, DataValue

RATE_KINDS = ("REPORTING_RATE", "REPORTING_RATE_ON_TIME", "ACTUAL_REPORTS", "EXPECTED_REPORTS")

UNDECIDED_CASES = (
    "LAST / LAST_AVERAGE_ORG_UNIT when one (unit, option combo) has stored periods of different "
    "types and 'latest P' differs by start and by end (or two periods end on the same day)",
    "indicators and reporting rates under a category dimension or category filter",
)


@dataclass(frozen=True)
class Row:
    """One stored value as the semantics sees it."""

    element_id: int
    coc_id: int
    aoc_id: int
    unit_id: int
    period_id: str
    start: date
    end: date
    value: float

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Reference:
    values: dict[tuple[str, ...], float] = field(default_factory=dict)
    # Cells the documented semantics does not decide; the engine's answer there is not checked.
    undecided: set[tuple[str, ...]] = field(default_factory=set)


class _Undecided(Exception):
    pass


@dataclass(frozen=True)
class _DxItem:
    id: str
    kind: str  # "element", "operand", "indicator", "rate"
    element: DataElement | None = None
    coc: CategoryOptionCombo | None = None
    indicator: Indicator | None = None
    data_set: DataSet | None = None
    rate: str = ""


def _by_uid_or_code(model: Any, key: str | None) -> Any:
    return model.objects.filter(uid=key).first() or model.objects.filter(code=key).first()


class _World:
    """Every raw row the reference needs, loaded once."""

    def __init__(self) -> None:
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.links: dict[int, list[UnitLink]] = defaultdict(list)
        for link in UnitLink.objects.all():
            self.links[link.unit_id].append(link)
        self.elements = {e.pk: e for e in DataElement.objects.all()}
        self.coc_options: dict[int, set[int]] = defaultdict(set)
        for coc in CategoryOptionCombo.objects.prefetch_related("options"):
            self.coc_options[coc.pk] = {o.pk for o in coc.options.all()}
        self.rows: list[Row] = []
        for dv in DataValue.objects.all():
            element = self.elements[dv.data_element_id]
            if dv.deleted or dv.numeric_value is None:
                continue
            if element.value_type not in NUMERIC_VALUE_TYPES:
                continue
            self.rows.append(
                Row(
                    dv.data_element_id,
                    dv.category_option_combo_id,
                    dv.attribute_option_combo_id,
                    dv.unit_id,
                    dv.period,
                    dv.period_start,
                    dv.period_end,
                    dv.numeric_value,
                )
            )
        self._trees: dict[date, dict[int, int | None]] = {}

    # --- trees ----------------------------------------------------------------------------------

    def parents_on(self, day: date) -> dict[int, int | None]:
        """unit id -> parent id, for the units that had a link covering `day`."""
        if day not in self._trees:
            tree: dict[int, int | None] = {}
            for unit_id, links in self.links.items():
                for link in links:
                    if link.valid_from <= day and (link.valid_to is None or day < link.valid_to):
                        tree[unit_id] = link.parent_id
            self._trees[day] = tree
        return self._trees[day]

    def subtree(self, top: Unit, day: date | None) -> set[int]:
        """The units inside `top`'s subtree: by today's paths, or by the links valid on `day`."""
        if day is None:
            return {pk for pk, u in self.units.items() if u.path.startswith(top.path)}
        tree = self.parents_on(day)
        inside: set[int] = set()
        for unit_id in tree:
            current: int | None = unit_id
            seen: set[int] = set()
            while current is not None and current not in seen:
                if current == top.pk:
                    inside.add(unit_id)
                    break
                seen.add(current)
                current = tree.get(current)
        return inside


def _tree_day(hierarchy: str, period: Period) -> date | None:
    """None means today's tree (Unit.path)."""
    if hierarchy == "current":
        return None
    if hierarchy == "period":
        return period.end
    if hierarchy.startswith("as-of:"):
        return date.fromisoformat(hierarchy.removeprefix("as-of:"))
    raise ValueError(hierarchy)


# --- resolving the items ------------------------------------------------------------------------


def _dx_item(key: str) -> _DxItem:
    head, dot, tail = key.partition(".")
    if dot and tail in RATE_KINDS:
        data_set = _by_uid_or_code(DataSet, head)
        assert isinstance(data_set, DataSet), key
        return _DxItem(f"{data_set.uid}.{tail}", "rate", data_set=data_set, rate=tail)
    if dot:
        element = _by_uid_or_code(DataElement, head)
        coc = _by_uid_or_code(CategoryOptionCombo, tail)
        assert isinstance(element, DataElement) and isinstance(coc, CategoryOptionCombo), key
        return _DxItem(f"{element.uid}.{coc.uid}", "operand", element=element, coc=coc)
    element = _by_uid_or_code(DataElement, key)
    if isinstance(element, DataElement):
        return _DxItem(element.uid, "element", element=element)
    indicator = _by_uid_or_code(Indicator, key)
    assert isinstance(indicator, Indicator), key
    return _DxItem(indicator.uid, "indicator", indicator=indicator)


def _periods(items: Iterable[str], relative_to: date | None) -> list[Period]:
    today = relative_to or timezone.localdate()
    seen: dict[str, Period] = {}
    for item in items:
        for period in parse_period_or_relative(item, today):
            seen.setdefault(period.id, period)
    return list(seen.values())


def _scope_roots(scope: Scope, world: _World) -> list[Unit]:
    if (scope.is_global and "/" in scope.unit_paths) or not scope.unit_paths:
        return [u for u in world.units.values() if u.parent_id is None]
    by_path = {u.path: u for u in world.units.values()}
    return [by_path[p] for p in scope.root_paths if p in by_path]


def _units(scope: Scope, items: Iterable[str], world: _World) -> list[Unit]:
    """The ou items in today's tree, checked against the scope."""
    chosen: list[Unit] = []
    level: int | None = None
    groups: list[UnitGroup] = []
    for item in items:
        if item == "USER_ORGUNIT":
            chosen.extend(_scope_roots(scope, world))
        elif item in ("USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN"):
            step = 1 if item == "USER_ORGUNIT_CHILDREN" else 2
            for root in _scope_roots(scope, world):
                chosen.extend(
                    u
                    for u in world.units.values()
                    if u.path.startswith(root.path) and u.depth == root.depth + step
                )
        elif item.startswith("LEVEL-"):
            level = int(item.removeprefix("LEVEL-"))
        elif item.startswith("OU_GROUP-"):
            group = _by_uid_or_code(UnitGroup, item.removeprefix("OU_GROUP-"))
            assert isinstance(group, UnitGroup), item
            groups.append(group)
        else:
            unit = _by_uid_or_code(Unit, item)
            if not isinstance(unit, Unit) or not scope.covers_path(unit.path):
                raise NotFound(f"Unit {item} not found.")
            chosen.append(world.units[unit.pk])
    if level is not None or groups:
        # Like DHIS2: LEVEL-n and OU_GROUP-x pick units inside the other items (or the scope).
        boundaries = chosen or _scope_roots(scope, world)
        members = {u.pk for g in groups for u in g.units.all()}
        chosen = [
            u
            for u in sorted(world.units.values(), key=lambda u: u.path)
            if (level is None or u.depth == level)
            and (not groups or u.pk in members)
            and any(u.path.startswith(b.path) for b in boundaries)
        ]
    unique: dict[int, Unit] = {}
    for unit in chosen:
        unique.setdefault(unit.pk, unit)
    return list(unique.values())


# --- one cell -----------------------------------------------------------------------------------


def _latest(rows: list[Row]) -> Row:
    """The row of the latest stored period; _Undecided when 'latest' depends on how it is read."""
    periods = {(r.start, r.end) for r in rows}
    if len(periods) != len(rows):
        raise _Undecided  # two values in one period (attribute option combos)
    by_end = max(periods, key=lambda p: (p[1], p[0]))
    if any(p != by_end and (p[1] == by_end[1] or p[0] > by_end[0]) for p in periods):
        raise _Undecided
    return next(r for r in rows if (r.start, r.end) == by_end)


def aggregate(rows: list[Row], aggregation: str, query_days: int) -> float | None:
    """The documented table, applied to the set V of rows; None for an empty V or no aggregation."""
    if not rows or aggregation == "NONE":
        return None
    if aggregation == "SUM":
        return sum(r.value for r in rows)
    if aggregation == "COUNT":
        return float(len(rows))
    if aggregation == "MIN":
        return min(r.value for r in rows)
    if aggregation == "MAX":
        return max(r.value for r in rows)
    if aggregation == "AVERAGE":
        return sum(r.value * r.days for r in rows) / sum(r.days for r in rows)
    if aggregation == "AVERAGE_SUM_ORG_UNIT":
        return sum(r.value * r.days for r in rows) / query_days
    groups: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for r in rows:
        groups[(r.unit_id, r.coc_id)].append(r)
    latest = {key: _latest(group).value for key, group in groups.items()}
    if aggregation == "LAST":
        return sum(latest.values())
    if aggregation == "LAST_AVERAGE_ORG_UNIT":
        per_coc: dict[int, list[float]] = defaultdict(list)
        for (_unit, coc), value in latest.items():
            per_coc[coc].append(value)
        return sum(sum(vs) / len(vs) for vs in per_coc.values())
    raise ValueError(aggregation)


class _Evaluator:
    def __init__(self, scope: Scope, query: AnalyticsQuery, world: _World) -> None:
        self.scope = scope
        self.query = query
        self.world = world
        self.hierarchy: str = query.hierarchy
        self.override: str | None = query.aggregation_type
        self.constants: dict[str, float] = {}
        for constant in Constant.objects.all():
            self.constants[constant.uid] = constant.value
            self.constants[constant.code] = constant.value

    def visible(self, units: set[int]) -> set[int]:
        """The scope cuts every subtree to the units it covers today (issue 4: "clerk_b's data
        never appears in clerk_a's results", whichever tree the query aggregates by)."""
        return {u for u in units if self.scope.covers_path(self.world.units[u].path)}

    def rows_for(
        self,
        element: DataElement,
        coc_id: int | None,
        aoc_id: int | None,
        period: Period,
        top: Unit,
        option_ids: set[int] | None,
    ) -> list[Row]:
        inside = self.visible(self.world.subtree(top, _tree_day(self.hierarchy, period)))
        chosen = []
        for r in self.world.rows:
            if r.element_id != element.pk or r.unit_id not in inside:
                continue
            if coc_id is not None and r.coc_id != coc_id:
                continue
            if aoc_id is not None and r.aoc_id != aoc_id:
                continue
            if not (r.start >= period.start and r.end <= period.end):
                continue
            if option_ids is not None and not (self.world.coc_options[r.coc_id] & option_ids):
                continue
            chosen.append(r)
        return chosen

    def element_value(
        self,
        element: DataElement,
        coc_id: int | None,
        period: Period,
        top: Unit,
        option_ids: set[int] | None,
        aoc_id: int | None = None,
        use_override: bool = True,
    ) -> float | None:
        if element.value_type not in NUMERIC_VALUE_TYPES:
            return None
        aggregation = (self.override if use_override else None) or element.aggregation_type
        rows = self.rows_for(element, coc_id, aoc_id, period, top, option_ids)
        return aggregate(rows, aggregation, period.days)

    def indicator_value(self, indicator: Indicator, period: Period, top: Unit) -> float | None:
        numerator = parse_expression(indicator.numerator)
        denominator = parse_expression(indicator.denominator)
        operands: dict[Operand, float | None] = {}
        for operand in numerator.operands() | denominator.operands():
            element = _by_uid_or_code(DataElement, operand.data_element)
            assert isinstance(element, DataElement), operand
            coc_id = aoc_id = None
            if operand.category_option_combo not in (None, "*"):
                coc = _by_uid_or_code(CategoryOptionCombo, operand.category_option_combo)
                coc_id = coc.pk
            if operand.attribute_option_combo not in (None, "*"):
                aoc = _by_uid_or_code(CategoryOptionCombo, operand.attribute_option_combo)
                aoc_id = aoc.pk
            operands[operand] = self.element_value(
                element, coc_id, period, top, None, aoc_id, use_override=False
            )
        if operands and all(v is None for v in operands.values()):
            return None
        num = numerator.evaluate(operands, constants=self.constants, days=period.days)
        den = denominator.evaluate(operands, constants=self.constants, days=period.days)
        if num is None or den is None or float(den) == 0:
            return None
        return float(num) / float(den) * indicator.factor

    def rate_value(self, data_set: DataSet, kind: str, period: Period, top: Unit) -> float | None:
        inside = self.visible(self.world.subtree(top, _tree_day(self.hierarchy, period)))
        assigned = set(data_set.units.values_list("pk", flat=True))
        complete = {
            (r.period, r.unit_id): r.on_time
            for r in CompleteRegistration.objects.filter(data_set=data_set, is_complete=True)
        }
        expected = actual = on_time = 0
        for form_period in period.periods_within(PeriodType(data_set.period_type)):
            for unit_id in inside & assigned:
                unit = self.world.units[unit_id]
                opened = unit.opened_on <= form_period.end and (
                    unit.closed_on is None or unit.closed_on > form_period.start
                )
                if not opened:
                    continue
                expected += 1
                if (form_period.id, unit_id) in complete:
                    actual += 1
                    on_time += int(complete[(form_period.id, unit_id)])
        if expected == 0:
            return None
        return {
            "EXPECTED_REPORTS": float(expected),
            "ACTUAL_REPORTS": float(actual),
            "REPORTING_RATE": 100.0 * actual / expected,
            "REPORTING_RATE_ON_TIME": 100.0 * on_time / expected,
        }[kind]


def evaluate(scope: Scope, query: AnalyticsQuery) -> Reference:
    """The answer the documented semantics gives to `query` (an AnalyticsQuery) for `scope`."""
    world = _World()
    evaluator = _Evaluator(scope, query, world)
    dimensions: list[tuple[str, tuple[str, ...]]] = list(query.dimensions)
    filters: list[tuple[str, tuple[str, ...]]] = list(query.filters)
    relative_to: date | None = query.relative_period_date

    # Resolve every dimension (and filter) to (id, object) choices.
    axes: dict[str, list[tuple[str, Any]]] = {}
    category_axis: str | None = None
    category_filter: set[int] | None = None
    for name, items in (*dimensions, *filters):
        is_filter = (name, items) in filters
        if name == "dx":
            axes[name] = [(d.id, d) for d in map(_dx_item, items)]
        elif name == "pe":
            axes[name] = [(p.id, p) for p in _periods(items, relative_to)]
        elif name == "ou":
            axes[name] = [(u.uid, u) for u in _units(scope, items, world)]
        else:
            category = _by_uid_or_code(Category, name)
            assert isinstance(category, Category), name
            options = category.ordered_options()
            if items:
                options = [o for o in options if o.uid in items or o.code in items]
            if is_filter:
                category_filter = {o.pk for o in options}
            else:
                category_axis = name
                axes[name] = [(o.uid, o.pk) for o in options]
        if is_filter and name in ("dx", "pe", "ou") and len(axes[name]) != 1:
            raise NotImplementedError("the reference handles single-item dx, pe and ou filters")

    result = Reference()
    order = [name for name, _items in dimensions]

    def cells(
        index: int, chosen: dict[str, tuple[str, Any]]
    ) -> Iterable[dict[str, tuple[str, Any]]]:
        names = list(axes)
        if index == len(names):
            yield dict(chosen)
            return
        for choice in axes[names[index]]:
            chosen[names[index]] = choice
            yield from cells(index + 1, chosen)

    for cell in cells(0, {}):
        key = tuple(cell[name][0] for name in order)
        dx = cell["dx"][1]  # a _DxItem
        period: Period = cell["pe"][1]
        top: Unit = cell["ou"][1]
        option_ids = category_filter
        if category_axis is not None:
            option_ids = {cell[category_axis][1]}
        try:
            if dx.kind in ("indicator", "rate") and option_ids is not None:
                raise _Undecided
            if dx.kind == "element":
                value = evaluator.element_value(dx.element, None, period, top, option_ids)
            elif dx.kind == "operand":
                value = evaluator.element_value(
                    dx.element,
                    dx.coc.pk,
                    period,
                    top,
                    option_ids,
                )
            elif dx.kind == "indicator":
                value = evaluator.indicator_value(dx.indicator, period, top)
            else:
                value = evaluator.rate_value(dx.data_set, dx.rate, period, top)
        except _Undecided:
            result.undecided.add(key)
            continue
        if value is not None:
            result.values[key] = value
    return result
