"""Answer analytics queries from the rollups (the interface: docs/integrators/analytics.md).

The engine reads two kinds of rows: a unit's rollup (its strict descendants, per stored period and
option combo) and a unit's own values. A target unit is a list of pieces (history.py): today, or
when nothing moved, it is one piece, "rollup + own values". Every element's cells are computed from
those rows in Python; the rows are few because they are already aggregated over units. LAST types
over several stored periods need each unit's latest value, so they read raw values instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.analytics import store
from haucan.analytics.history import Component, TreeHistory, components, members
from haucan.analytics.query import AnalyticsQuery, AnalyticsResult
from haucan.analytics.resolve import (
    Catalog,
    CategoryDimension,
    DxItem,
    resolve_category,
    resolve_dx,
    resolve_periods,
    resolve_units,
)
from haucan.catalog.models import (
    NUMERIC_VALUE_TYPES,
    AggregationType,
    CategoryOptionCombo,
    Constant,
)
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import Operand
from haucan.core.periods import Period
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.reporting.models import CompleteRegistration

VALUES = "reporting_datavalue"
RAW_TYPES = {AggregationType.LAST, AggregationType.LAST_AVERAGE_ORG_UNIT}
SKIP_TYPES = {AggregationType.NONE}


@dataclass(frozen=True)
class Row:
    """Aggregated values of one element, option combo and stored period, for one piece."""

    coc: int
    start: date
    end: date
    total: float
    count: int
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class RawValue:
    id: int
    unit: int
    coc: int
    start: date
    end: date
    value: float


@dataclass(frozen=True)
class UnitGroup:
    """One unit of the ou dimension, or every unit of an ou filter together."""

    key: str
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class PeriodGroup:
    key: str
    periods: tuple[Period, ...]

    @property
    def days(self) -> int:
        return sum(p.days for p in self.periods)


def _placeholders(values: Iterable[object]) -> str:
    return ", ".join("%s" for _ in values)


class Reader:
    """Fetches the rows of the pieces a query needs, in a few set-based queries."""

    def __init__(self, element_ids: list[int], start: date, end: date) -> None:
        self.element_ids = element_ids
        self.start, self.end = start, end
        self.rollups: dict[tuple[int, int], list[Row]] = defaultdict(list)
        self.own: dict[tuple[int, int], list[Row]] = defaultdict(list)

    def load(self, whole: set[int], own: set[int]) -> None:
        if not self.element_ids:
            return
        de = _placeholders(self.element_ids)
        with connection.cursor() as cursor:
            if whole:
                cursor.execute(
                    f"""SELECT data_element_id, unit_id, category_option_combo_id, period_start,
                               period_end, SUM(total), SUM(count), MIN(minimum), MAX(maximum)
                        FROM analytics_rollup
                        WHERE data_element_id IN ({de}) AND unit_id IN ({_placeholders(whole)})
                          AND period_start >= %s AND period_end <= %s
                        GROUP BY data_element_id, unit_id, category_option_combo_id,
                                 period_start, period_end""",
                    [*self.element_ids, *sorted(whole), self.start, self.end],
                )
                for de_id, unit, coc, start, end, total, count, low, high in cursor.fetchall():
                    self.rollups[(unit, de_id)].append(
                        Row(coc, _day(start), _day(end), total, int(count), low, high)
                    )
            if own:
                cursor.execute(
                    f"""SELECT data_element_id, unit_id, category_option_combo_id, period_start,
                               period_end, SUM(numeric_value), COUNT(*), MIN(numeric_value),
                               MAX(numeric_value)
                        FROM {VALUES}
                        WHERE data_element_id IN ({de}) AND unit_id IN ({_placeholders(own)})
                          AND period_start >= %s AND period_end <= %s
                          AND deleted = %s AND numeric_value IS NOT NULL
                        GROUP BY data_element_id, unit_id, category_option_combo_id,
                                 period_start, period_end""",
                    [*self.element_ids, *sorted(own), self.start, self.end, False],
                )
                for de_id, unit, coc, start, end, total, count, low, high in cursor.fetchall():
                    self.own[(unit, de_id)].append(
                        Row(coc, _day(start), _day(end), total, int(count), low, high)
                    )

    def rows(self, pieces: list[Component], element_id: int) -> Iterable[Row]:
        for piece in pieces:
            if piece.with_descendants:
                yield from self.rollups.get((piece.unit_id, element_id), ())
            yield from self.own.get((piece.unit_id, element_id), ())


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _units_condition(pieces: frozenset[Component], column: str) -> tuple[str, list[int]]:
    """`column IN (…)` for the units the pieces cover: whole pieces through the closure.

    One IN over a UNION, not "IN (…) OR IN (subquery)": PostgreSQL cannot use the value
    indexes through an OR with a subquery and would scan every value."""
    whole = sorted(p.unit_id for p in pieces if p.with_descendants)
    own = sorted(p.unit_id for p in pieces)
    sql = f"{column} IN (SELECT id FROM org_unit WHERE id IN ({_placeholders(own)})"
    params = [*own]
    if whole:
        sql += (
            " UNION ALL SELECT unit_id FROM analytics_unitancestor"
            f" WHERE ancestor_id IN ({_placeholders(whole)})"
        )
        params += whole
    return sql + ")", params


def _latest_by_coc(
    element_id: int, pieces: frozenset[Component], period: Period
) -> dict[int, tuple[float, int]]:
    """Per option combo: the sum of each covered unit's latest value inside `period`, and how
    many units that is (LAST and LAST_AVERAGE_ORG_UNIT), computed by the database.

    A unit's latest period is the one with the latest start, then the latest end: a quarter
    beats the month it starts with (see `_latest_values`)."""
    if not pieces:
        return {}
    units, params = _units_condition(pieces, "unit_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT coc, SUM(value), COUNT(*)
                FROM (SELECT category_option_combo_id AS coc, numeric_value AS value,
                             RANK() OVER (PARTITION BY unit_id, category_option_combo_id
                                          ORDER BY period_start DESC, period_end DESC) AS place
                      FROM {VALUES}
                      WHERE data_element_id = %s AND {units}
                        AND period_start >= %s AND period_end <= %s
                        AND deleted = %s AND numeric_value IS NOT NULL) ranked
                WHERE place = 1
                GROUP BY coc""",
            [element_id, *params, period.start, period.end, False],
        )
        return {coc: (float(total), int(count)) for coc, total, count in cursor.fetchall()}


def _raw_values(
    element_id: int, pieces: frozenset[Component], start: date, end: date
) -> list[RawValue]:
    """Every value of the units the pieces cover; whole pieces are read through the closure."""
    if not pieces:
        return []
    condition, params = _units_condition(pieces, "unit_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT id, unit_id, category_option_combo_id, period_start, period_end,
                       numeric_value
                FROM {VALUES}
                WHERE data_element_id = %s AND {condition}
                  AND period_start >= %s AND period_end <= %s
                  AND deleted = %s AND numeric_value IS NOT NULL""",
            [element_id, *params, start, end, False],
        )
        return [RawValue(i, u, c, _day(s), _day(e), v) for i, u, c, s, e, v in cursor.fetchall()]


def _finish(rows: list[Row], aggregation: str, days: int) -> float | None:
    """Aggregate rows (already restricted to the cell) by the aggregation type."""
    if not rows:
        return None
    if aggregation in (AggregationType.SUM, AggregationType.LAST):
        return sum(r.total for r in rows)
    if aggregation == AggregationType.COUNT:
        return float(sum(r.count for r in rows))
    if aggregation == AggregationType.MIN:
        return min(r.minimum for r in rows if r.minimum is not None)
    if aggregation == AggregationType.MAX:
        return max(r.maximum for r in rows if r.maximum is not None)
    weighted = sum(r.total * ((r.end - r.start).days + 1) for r in rows)
    if aggregation == AggregationType.AVERAGE:
        weights = sum(r.count * ((r.end - r.start).days + 1) for r in rows)
        return weighted / weights if weights else None
    if aggregation == AggregationType.AVERAGE_SUM_ORG_UNIT:
        return weighted / days if days else None
    if aggregation == AggregationType.LAST_AVERAGE_ORG_UNIT:
        by_coc: dict[int, list[Row]] = defaultdict(list)
        for r in rows:
            by_coc[r.coc].append(r)
        return sum(sum(r.total for r in rs) / sum(r.count for r in rs) for rs in by_coc.values())
    return None


def _latest_values(values: list[RawValue]) -> list[RawValue]:
    """Each (unit, option combo)'s values of its latest period: the latest start, then the
    latest end, so a quarter beats the month it starts with. Several values of that one period
    (attribute option combos) all stay, as in `_latest_by_coc`; a value reached through two
    overlapping periods of a filter counts once."""
    latest: dict[tuple[int, int], dict[int, RawValue]] = {}
    for v in values:
        key = (v.unit, v.coc)
        kept = latest.get(key)
        if kept:
            first = next(iter(kept.values()))
            if (v.start, v.end) < (first.start, first.end):
                continue
            if (v.start, v.end) > (first.start, first.end):
                kept.clear()
        latest.setdefault(key, {})[v.id] = v
    return [v for kept in latest.values() for v in kept.values()]


def _finish_raw(values: list[RawValue], aggregation: str) -> float | None:
    latest = _latest_values(values)
    if not latest:
        return None
    if aggregation == AggregationType.LAST:
        return sum(v.value for v in latest)
    by_coc: dict[int, list[float]] = defaultdict(list)
    for v in latest:
        by_coc[v.coc].append(v.value)
    return sum(sum(vs) / len(vs) for vs in by_coc.values())


def _format(value: float) -> str:
    rounded = round(value, 4)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return repr(rounded)


class Plan:
    """A resolved query: groups per dimension, the pieces of every (unit, date)."""

    def __init__(self, scope: Scope, query: AnalyticsQuery, today: date) -> None:
        self.scope = scope
        self.query = query
        self.catalog = Catalog()
        self.order = [name for name, _items in query.dimensions]
        self.dx_items = resolve_dx(query.items("dx"), self.catalog)
        dx_filtered = any(name == "dx" for name, _ in query.filters)
        if dx_filtered and len(self.dx_items) != 1:
            raise ValidationFailed(_("Only one data item can be used as a filter."))
        periods = resolve_periods(query.items("pe"), query.relative_period_date or today)
        if any(name == "pe" for name, _ in query.filters):
            self.period_groups = [PeriodGroup("", tuple(periods))]
        else:
            self.period_groups = [PeriodGroup(p.id, (p,)) for p in periods]
        units = resolve_units(scope, query.items("ou"))
        if any(name == "ou" for name, _ in query.filters):
            outer = [
                u
                for u in units
                if not any(u.pk != o.pk and u.path.startswith(o.path) for o in units)
            ]
            self.unit_groups = [UnitGroup("", tuple(outer))]
        else:
            self.unit_groups = [UnitGroup(u.uid, (u,)) for u in units]
        self.categories: list[tuple[str, CategoryDimension, bool]] = []
        for name, items in (*query.dimensions, *query.filters):
            if name not in ("dx", "pe", "ou"):
                is_filter = name not in self.order
                self.categories.append((name, resolve_category(name, items), is_filter))
        self.hierarchy = query.hierarchy
        self.as_of: date | None = None
        if self.hierarchy.startswith("as-of:"):
            try:
                self.as_of = date.fromisoformat(self.hierarchy.removeprefix("as-of:"))
            except ValueError:
                raise ValidationFailed(_("hierarchy=as-of needs a date as YYYY-MM-DD.")) from None
        elif self.hierarchy not in ("current", "period"):
            raise ValidationFailed(_("hierarchy must be current, as-of:YYYY-MM-DD or period."))
        all_periods = [p for g in self.period_groups for p in g.periods]
        self.start = min(p.start for p in all_periods)
        self.end = max(p.end for p in all_periods)
        self.pieces: dict[tuple[int, date | None], list[Component]] = {}
        self._members: dict[tuple[object, ...], set[int]] = {}
        self._option_cache: dict[tuple[tuple[int, ...], ...], set[int]] = {}
        self._plan_pieces()

    def day_of(self, period: Period) -> date | None:
        if self.as_of is not None:
            return self.as_of
        return period.end if self.hierarchy == "period" else None

    def _plan_pieces(self) -> None:
        targets = sorted({u.pk for g in self.unit_groups for u in g.units})
        days = {self.day_of(p) for g in self.period_groups for p in g.periods}
        history = None
        for day in days:
            if day is None:
                for t in targets:
                    self.pieces[(t, None)] = [Component(t, True)]
                continue
            history = history or TreeHistory(min(d for d in days if d is not None))
            for target, pieces in components(history, targets, day).items():
                self.pieces[(target, day)] = pieces
        self._keep_scope()

    def _keep_scope(self) -> None:
        """Drop past pieces outside today's scope: a unit that has left the actor's subtree
        takes its data with it, even when the tree of a past date put it under theirs."""
        if self.scope.is_global or all(day is None for _target, day in self.pieces):
            return  # today's targets were scope-checked when resolved
        ids = {p.unit_id for pieces in self.pieces.values() for p in pieces}
        paths = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "path"))
        outside = {pk for pk, path in paths.items() if not self.scope.covers_path(path)}
        if outside:
            for key, pieces in self.pieces.items():
                self.pieces[key] = [p for p in pieces if p.unit_id not in outside]

    def members_of(self, units: UnitGroup, day: date | None) -> set[int]:
        key = (units.key, tuple(u.pk for u in units.units), day)
        if key not in self._members:
            covered: set[int] = set()
            for unit in units.units:
                covered |= members(self.pieces[(unit.pk, day)])
            self._members[key] = covered
        return self._members[key]

    def option_filter(self, options: tuple[frozenset[int], ...]) -> set[int] | None:
        """The option combos holding, for each chosen category, one of its chosen options;
        None when no category restricts the cell."""
        if not options:
            return None
        key = tuple(sorted(tuple(sorted(s)) for s in options))
        if key in self._option_cache:
            return self._option_cache[key]
        wanted = set().union(*options)
        held: dict[int, set[int]] = defaultdict(set)
        through = CategoryOptionCombo.options.through
        for coc_id, option_id in through.objects.filter(categoryoption_id__in=wanted).values_list(
            "categoryoptioncombo_id", "categoryoption_id"
        ):
            held[coc_id].add(option_id)
        allowed = {c for c, found in held.items() if all(found & s for s in options)}
        self._option_cache[key] = allowed
        return allowed


def run_query(scope: Scope, query: AnalyticsQuery, *, today: date | None = None) -> AnalyticsResult:
    """Answer `query` inside `scope` (see docs/integrators/analytics.md for the semantics)."""
    store.ensure_fresh()
    plan = Plan(scope, query, today or timezone.localdate())
    reader = Reader(sorted(plan.catalog.elements), plan.start, plan.end)
    whole = {p.unit_id for ps in plan.pieces.values() for p in ps if p.with_descendants}
    own = {p.unit_id for ps in plan.pieces.values() for p in ps}
    reader.load(whole, own)
    constants = dict(Constant.objects.values_list("code", "value"))
    constants.update(Constant.objects.values_list("uid", "value"))
    option_groups = _option_groups(plan)
    raw_cache: dict[tuple[int, frozenset[Component]], list[RawValue]] = {}
    last_cache: dict[tuple[object, ...], dict[int, tuple[float, int]]] = {}

    def element_value(
        element_id: int,
        coc_ids: set[int] | None,
        units: UnitGroup,
        periods: PeriodGroup,
        options: tuple[frozenset[int], ...],
    ) -> float | None:
        element = plan.catalog.elements[element_id]
        aggregation = plan.query.aggregation_type or element.aggregation_type
        if aggregation in SKIP_TYPES or element.value_type not in NUMERIC_VALUE_TYPES:
            return None  # text, yes/no and NONE elements are not aggregated
        allowed = plan.option_filter(options)
        if coc_ids is not None:
            allowed = coc_ids if allowed is None else allowed & coc_ids
        rows: list[Row] = []
        # LAST types read the rows only when every row has one stored period; rows of a month
        # and of the quarter it starts (same start) need each unit's latest, read raw.
        stored: set[tuple[date, date]] = set()
        for period in periods.periods:
            day = plan.day_of(period)
            for unit in units.units:
                for row in reader.rows(plan.pieces[(unit.pk, day)], element_id):
                    if (
                        row.start >= period.start
                        and row.end <= period.end
                        and (allowed is None or row.coc in allowed)
                    ):
                        rows.append(row)
                        stored.add((row.start, row.end))
        if aggregation in RAW_TYPES and len(stored) > 1 and len(periods.periods) == 1:
            # The usual case (one quarter or year): each unit's latest value, summed in SQL.
            period = periods.periods[0]
            covered = frozenset(
                p for u in units.units for p in plan.pieces[(u.pk, plan.day_of(period))]
            )
            last_key = (element_id, covered, period.start, period.end)
            if last_key not in last_cache:
                last_cache[last_key] = _latest_by_coc(element_id, covered, period)
            by_coc = {
                c: sc for c, sc in last_cache[last_key].items() if allowed is None or c in allowed
            }
            if not by_coc:
                return None
            if aggregation == AggregationType.LAST:
                return sum(total for total, _count in by_coc.values())
            return sum(total / count for total, count in by_coc.values())
        if aggregation in RAW_TYPES and len(stored) > 1:
            values: list[RawValue] = []
            for period in periods.periods:
                day = plan.day_of(period)
                covered = frozenset(p for u in units.units for p in plan.pieces[(u.pk, day)])
                key = (element_id, covered)
                if key not in raw_cache:
                    raw_cache[key] = _raw_values(element_id, covered, plan.start, plan.end)
                values.extend(
                    v
                    for v in raw_cache[key]
                    if v.start >= period.start
                    and v.end <= period.end
                    and (allowed is None or v.coc in allowed)
                )
            return _finish_raw(values, aggregation)
        return _finish(rows, aggregation, periods.days)

    def dx_value(
        item: DxItem, units: UnitGroup, periods: PeriodGroup, options: tuple[frozenset[int], ...]
    ) -> float | None:
        if item.kind == "element":
            return element_value(item.element.pk, None, units, periods, options)  # type: ignore[union-attr]
        if item.kind == "operand":
            return element_value(item.element.pk, {item.coc.pk}, units, periods, options)  # type: ignore[union-attr]
        if item.kind == "rate":
            return _rate(plan, item, units, periods)
        operands: dict[Operand, float | None] = {}
        for expression in (item.numerator, item.denominator):
            for op in expression.operands():  # type: ignore[union-attr]
                element = plan.catalog.element_by_key[op.data_element]
                cocs = (
                    {plan.catalog.coc_by_key[op.category_option_combo].pk}
                    if op.category_option_combo
                    else None
                )
                operands[op] = element_value(element.pk, cocs, units, periods, options)
        if all(v is None for v in operands.values()) and operands:
            return None
        days = periods.days
        try:
            numerator = item.numerator.evaluate(operands, constants=constants, days=days)  # type: ignore[union-attr]
            denominator = item.denominator.evaluate(operands, constants=constants, days=days)  # type: ignore[union-attr]
        except ValueError:
            return None
        if numerator is None or denominator is None or float(denominator) == 0:
            return None
        return float(numerator) / float(denominator) * item.indicator.factor  # type: ignore[union-attr]

    dimension_values: dict[str, list[tuple[str, object]]] = {
        "dx": [(i.id, i) for i in plan.dx_items],
        "pe": [(g.key, g) for g in plan.period_groups],
        "ou": [(g.key, g) for g in plan.unit_groups],
    }
    for name, _dimension, _is_filter in plan.categories:
        dimension_values[name] = option_groups[name]
    rows: list[list[str]] = []
    for combination in _product(
        [dimension_values[name] for name in plan.order] if plan.order else [[]]
    ):
        chosen = dict(zip(plan.order, combination, strict=True))
        item = chosen.get("dx", (None, plan.dx_items[0]))[1]
        period_group = chosen.get("pe", (None, plan.period_groups[0]))[1]
        unit_group = chosen.get("ou", (None, plan.unit_groups[0]))[1]
        options: list[frozenset[int]] = []
        for name, _dim, _is_filter in plan.categories:
            group = chosen.get(
                name, (None, option_groups[name][0][1] if option_groups[name] else ())
            )[1]
            options.append(frozenset(group))  # type: ignore[call-overload]
        value = dx_value(item, unit_group, period_group, tuple(options))  # type: ignore[arg-type]
        if value is not None:
            rows.append([key for key, _obj in combination] + [_format(value)])
    return _result(plan, rows, option_groups)


def _product(lists: list[list[tuple[str, object]]]) -> Iterable[tuple[tuple[str, object], ...]]:
    if not lists:
        yield ()
        return
    head, *rest = lists
    for first in head:
        for tail in _product(rest):
            yield (first, *tail)


def _option_groups(plan: Plan) -> dict[str, list[tuple[str, object]]]:
    groups: dict[str, list[tuple[str, object]]] = {}
    for name, dimension, is_filter in plan.categories:
        if is_filter:
            # A filter on several options of one category means any of them.
            groups[name] = [("", tuple(o.pk for o in dimension.options))]
        else:
            groups[name] = [(o.uid, (o.pk,)) for o in dimension.options]
    return groups


def _rate(plan: Plan, item: DxItem, units: UnitGroup, periods: PeriodGroup) -> float | None:
    from haucan.core.periods import PeriodType, periods_between

    data_set = item.data_set
    assert data_set is not None
    assigned = set(data_set.units.values_list("pk", flat=True))
    form_type = PeriodType(data_set.period_type)
    expected = actual = on_time = 0
    unit_rows = {u.pk: u for u in Unit.objects.filter(pk__in=assigned)}
    for period in periods.periods:
        day = plan.day_of(period)
        covered = plan.members_of(units, day)
        candidates = [unit_rows[u] for u in covered & assigned]
        form_periods = [
            p
            for p in periods_between(period.start, period.end, form_type)
            if p.start >= period.start and p.end <= period.end
        ]
        for form_period in form_periods:
            open_units = [
                u.pk
                for u in candidates
                if u.opened_on <= form_period.end
                and (u.closed_on is None or u.closed_on > form_period.start)
            ]
            expected += len(open_units)
            done = CompleteRegistration.objects.filter(
                data_set=data_set, period=form_period.id, unit_id__in=open_units, is_complete=True
            ).values_list("on_time", flat=True)
            flags = list(done)
            actual += len(flags)
            on_time += sum(1 for f in flags if f)
    if expected == 0:
        return None
    return {
        "REPORTING_RATE": 100.0 * actual / expected,
        "REPORTING_RATE_ON_TIME": 100.0 * on_time / expected,
        "ACTUAL_REPORTS": float(actual),
        "EXPECTED_REPORTS": float(expected),
    }[item.metric]


_COLUMNS = {"dx": "Data", "pe": "Period", "ou": "Organisation unit"}


def _result(
    plan: Plan, rows: list[list[str]], option_groups: dict[str, list[tuple[str, object]]]
) -> AnalyticsResult:
    headers: list[dict[str, object]] = [
        {
            "name": name,
            "column": _COLUMNS.get(name, name),
            "valueType": "TEXT",
            "type": "java.lang.String",
            "meta": True,
        }
        for name in plan.order
    ]
    headers.append(
        {
            "name": "value",
            "column": "Value",
            "valueType": "NUMBER",
            "type": "java.lang.Double",
            "meta": False,
        }
    )
    items: dict[str, dict[str, str]] = {
        "dx": {"name": _("Data")},
        "pe": {"name": _("Period")},
        "ou": {"name": _("Organisation unit")},
    }
    for item in plan.dx_items:
        items[item.id] = {"name": item.name}
    for group in plan.period_groups:
        for period in group.periods:
            items[period.id] = {"name": period.display_name()}
    for unit_group in plan.unit_groups:
        for unit in unit_group.units:
            items[unit.uid] = {"name": unit.name}
    dimensions: dict[str, list[str]] = {
        "dx": [i.id for i in plan.dx_items],
        "pe": [p.id for g in plan.period_groups for p in g.periods],
        "ou": [u.uid for g in plan.unit_groups for u in g.units],
    }
    for name, dimension, _is_filter in plan.categories:
        items[name] = {"name": dimension.category.name}
        for option in dimension.options:
            items[option.uid] = {"name": option.name}
        dimensions[name] = [o.uid for o in dimension.options]
    return AnalyticsResult(headers, rows, items, dimensions)
