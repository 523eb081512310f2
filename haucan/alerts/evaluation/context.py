"""What every evaluator needs: the units looked at, the periods checked, values read in bulk.

A full evaluation loads every unit once and reads each period's values once for all rules (the
`Values` cache); an arrival evaluation loads only the changed unit and its ancestors and reads
only their subtrees' values, which is what keeps it within milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.db import connection
from django.db.models import Exists, OuterRef

from haucan.catalog.models import CategoryOptionCombo, Constant, DataElement
from haucan.core.expressions import Operand
from haucan.core.periods import Period, PeriodType, period_of
from haucan.org.models import Unit
from haucan.reporting.models import DataValue, MinMaxLimit


@dataclass(frozen=True)
class UnitInfo:
    pk: int
    path: str
    depth: int
    name: str
    parent_id: int | None
    uid: str


def ancestor_paths(path: str) -> list[str]:
    """ "/a/b/c/" -> ["/a/", "/a/b/", "/a/b/c/"] (the unit itself last)."""
    uids = [p for p in path.split("/") if p]
    return ["/" + "/".join(uids[: i + 1]) + "/" for i in range(len(uids))]


def _infos(rows: Iterable[tuple[int, str, int, str, int | None, str]]) -> list[UnitInfo]:
    return [UnitInfo(*row) for row in rows]


_FIELDS = ("pk", "path", "depth", "name", "parent_id", "uid")


@dataclass
class Units:
    """The units an evaluation may report on, by pk and by path."""

    by_pk: dict[int, UnitInfo]
    complete: bool  # every unit of the army (a full evaluation)
    parents: set[int] = field(default_factory=set)  # the pks of units with children
    by_path: dict[str, UnitInfo] = field(init=False)

    def __post_init__(self) -> None:
        self.by_path = {u.path: u for u in self.by_pk.values()}
        if self.complete:
            self.parents = {u.parent_id for u in self.by_pk.values() if u.parent_id is not None}

    def is_leaf(self, pk: int) -> bool:
        return pk not in self.parents

    @classmethod
    def everything(cls) -> Units:
        rows = Unit.objects.filter(closed_on__isnull=True).values_list(*_FIELDS)
        return cls({u.pk: u for u in _infos(rows)}, complete=True)

    @classmethod
    def around(cls, unit_ids: Iterable[int]) -> Units:
        """The given units and all their ancestors."""
        # The given units with whether they have children (a unit above is a parent anyway).
        given = Unit.objects.filter(pk__in=set(unit_ids)).annotate(
            has_children=Exists(Unit.objects.filter(parent_id=OuterRef("pk")))
        )
        own = [
            (pk, path, children)
            for pk, path, *_, children in given.values_list(*_FIELDS, "has_children")
        ]
        paths = {p for _pk, path, _c in own for p in ancestor_paths(path)}
        parents = {pk for pk, _path, children in own if children}
        rows = Unit.objects.filter(path__in=paths, closed_on__isnull=True).values_list(*_FIELDS)
        infos = {u.pk: u for u in _infos(rows)}
        parents |= {u.parent_id for u in infos.values() if u.parent_id is not None}
        return cls(infos, complete=False, parents=parents)

    def at_levels(self, levels: Iterable[int]) -> list[UnitInfo]:
        wanted = set(levels)
        return [u for u in self.by_pk.values() if not wanted or u.depth in wanted]

    def name(self, pk: int) -> str:
        info = self.by_pk.get(pk)
        return info.name if info else str(pk)


def periods_checked(period_type: str, today: date, lookback: int) -> list[Period]:
    """The period of `period_type` containing today and the `lookback - 1` before it."""
    current = period_of(today, PeriodType(period_type))
    return [current.shift(-i) for i in range(max(1, lookback))]


class Catalog:
    """Element and option-combo ids by code or uid, constants, loaded once per evaluation."""

    def __init__(self) -> None:
        self.elements: dict[str, int] = {}
        self.element_names: dict[int, str] = {}
        self.element_uids: dict[int, str] = {}
        for pk, code, uid, name in DataElement.objects.values_list("pk", "code", "uid", "name"):
            self.elements[code] = self.elements[uid] = pk
            self.element_names[pk] = name
            self.element_uids[pk] = uid
        self.combos: dict[str, int] = {}
        self.combo_names: dict[int, str] = {}
        self.combo_uids: dict[int, str] = {}
        for pk, code, uid, name in CategoryOptionCombo.objects.values_list(
            "pk", "code", "uid", "name"
        ):
            if code:
                self.combos[code] = pk
            self.combos[uid] = pk
            self.combo_names[pk] = name
            self.combo_uids[pk] = uid
        self.checks: dict[int, Any] = {}  # form id -> its validation checks (validation.py)
        self.compiled: dict[tuple[int, int, date], Any] = {}  # a threshold rule's (threshold.py)
        self.forms: dict[int, str] = {}  # element id -> the first form holding it (links.py)
        self.constants: dict[str, float] = {}
        for code, uid, value in Constant.objects.values_list("code", "uid", "value"):
            self.constants[code] = self.constants[uid] = value


VALUES = DataValue._meta.db_table
UNITS = Unit._meta.db_table


def _subtree_condition(root: str) -> tuple[str, list[str]]:
    """SQL on `path` for the units of the subtree rooted at the path `root`, that an index on
    `path` answers. Paths are "/" and alphanumeric uids, so neither needs escapes."""
    if connection.vendor == "postgresql":
        return "path LIKE %s", [root + "%"]  # Django's varchar_pattern_ops index on path
    # SQLite does not use an index for LIKE (case-insensitive); a range under its binary
    # collation is exact: "/" sorts just before "0", so every path starting with "/a/b/" lies
    # in ["/a/b/", "/a/b0").
    return "path >= %s AND path < %s", [root, root[:-1] + "0"]


@contextmanager
def _reading_cursor() -> Iterator[Any]:
    """A cursor for reading many rows. On PostgreSQL its results come in binary form: numbers
    arrive as machine integers and floats, not text to parse (a full evaluation reads about a
    million rows). Django's own cursors bind parameters on the client, which rules binary
    results out; this one is a server-binding cursor in Django's wrapper (query logging, the
    execute wrappers and error translation stay as for any query)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(cast(Any, raw)) as cursor:  # Django's wrapper takes any DB-API cursor
        yield cursor


class Values:
    """Own numeric values, indexed by (period id, element id) -> unit id -> combo id -> number,
    read once per (period, subtree, element set) and shared by every rule of an evaluation."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self._by_element: dict[tuple[str, int], dict[int, dict[int, float]]] = defaultdict(dict)
        self._loaded: dict[tuple[str, str], set[int]] = defaultdict(set)
        # (unit pk, period id) -> operand -> value, for units with descendants (analytics)
        self.aggregates: dict[tuple[int, str], dict[Any, float | None]] = {}
        self.aggregated_keys: set[tuple[int, str, Any]] = set()
        self._totals: dict[tuple[str, int], dict[int, float]] = {}
        self._limits: dict[tuple[int, int, int], tuple[float, float]] = {}
        self._limits_loaded: set[int] = set()

    def load(
        self, periods: Iterable[str], element_ids: Iterable[int], subtrees: Iterable[str] = ()
    ) -> None:
        """Read the values of `element_ids` in `periods`: everywhere in a full evaluation, else
        in the subtrees rooted at the paths `subtrees`."""
        wanted = set(element_ids)
        roots = ["/"] if self.units.complete else sorted(set(subtrees), key=len)
        for root in roots:
            missing_by_period: dict[str, set[int]] = {}
            for period in set(periods):
                covered: set[int] = set()
                for (p, path), ids in self._loaded.items():
                    if p == period and root.startswith(path):
                        covered |= ids
                if wanted - covered:
                    missing_by_period[period] = wanted - covered
            # One read per distinct set of missing elements: reading the union for every
            # period would read again, and add twice, a value loaded before in one of them.
            groups: dict[frozenset[int], list[str]] = defaultdict(list)
            for period, absent in missing_by_period.items():
                groups[frozenset(absent)].append(period)
            for read_ids, periods_missing in groups.items():
                self._read(root, sorted(periods_missing), read_ids)
                for period in periods_missing:
                    self._loaded[(period, root)] |= read_ids

    def _read(self, root: str, periods: list[str], missing: Iterable[int]) -> None:
        # Raw SQL: a full evaluation reads up to a million rows, and the ORM's per-row
        # conversions would triple the time. Only integers and bound parameters reach the query.
        id_list = ",".join(str(int(i)) for i in sorted(missing))
        marks = ",".join(["%s"] * len(periods))
        sql = (
            "SELECT v.unit_id, v.data_element_id, v.category_option_combo_id, "  # noqa: S608
            f"v.numeric_value, v.period FROM {VALUES} v"
            f" WHERE v.period IN ({marks}) AND v.data_element_id IN ({id_list})"
            " AND v.deleted = %s AND v.numeric_value IS NOT NULL"
        )
        params: list[str | bool] = [*periods, False]
        if root != "/":
            # The subtree's unit ids first, through the path index: the values are then found by
            # their key (element, period, unit). Filtering a join on the path instead made the
            # database read every unit's values of the elements (a second at 10,000 units).
            subtree, bounds = _subtree_condition(root)
            sql += f" AND v.unit_id IN (SELECT id FROM {UNITS} WHERE {subtree})"  # noqa: S608
            params += bounds
        by_element = self._by_element
        self._totals.clear()  # some series gain values
        with _reading_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(20_000):
                for unit_id, de, coc, number, period in rows:
                    series = by_element[(period, de)]
                    if unit_id in series:  # another combo: summed over attribute combos
                        combos = series[unit_id]
                        combos[coc] = combos.get(coc, 0.0) + number
                    else:
                        series[unit_id] = {coc: number}

    def limits(self, element_ids: Iterable[int]) -> dict[tuple[int, int, int], tuple[float, float]]:
        """(unit, element, combo) -> (minimum, maximum): the min-max limits of the evaluation's
        units, read once per element for all min-max rules (one query, not one per rule)."""
        missing = set(element_ids) - self._limits_loaded
        if missing:
            rows = MinMaxLimit.objects.filter(data_element_id__in=missing)
            if not self.units.complete:
                rows = rows.filter(unit_id__in=list(self.units.by_pk))
            for unit_id, de, coc, low, high in rows.values_list(
                "unit_id", "data_element_id", "category_option_combo_id", "minimum", "maximum"
            ):
                self._limits[(unit_id, de, coc)] = (low, high)
            self._limits_loaded |= missing
        return self._limits

    def units_with(self, period: str, elements: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for de in elements:
            found.update(self._by_element.get((period, de), {}))
        return found

    def series(self, period: str, de: int) -> dict[int, dict[int, float]]:
        return self._by_element.get((period, de), {})

    def totals(self, period: str, de: int) -> dict[int, float]:
        """unit id -> the element's value summed over its option combos, worked out once per
        series: thousands of reads of an evaluation ask for the same ones."""
        key = (period, de)
        found = self._totals.get(key)
        if found is None:
            series = self._by_element.get(key, {})
            found = self._totals[key] = {u: sum(c.values()) for u, c in series.items()}
        return found


Known = dict[Operand, float | None]
_UNKNOWN_COMBO = -1  # an operand naming an option combo that does not exist: never a value


class OperandReader:
    """The values of some operands for one unit and period, straight from `Values`' series.

    An operand without an option combo is the element's total over its combos; with one, that
    combo's value. An evaluation resolves the operands once and reads thousands of units: going
    through a per-unit dict of cells first was a third of a full evaluation's threshold time."""

    def __init__(self, operands: Iterable[Operand], catalog: Catalog) -> None:
        self.plan: list[tuple[Operand, int, int | None]] = []
        for operand in operands:
            de = catalog.elements[operand.data_element]
            coc: int | None = None
            if operand.category_option_combo:
                coc = catalog.combos.get(operand.category_option_combo, _UNKNOWN_COMBO)
            self.plan.append((operand, de, coc))
        self.element_ids = frozenset(de for _o, de, _c in self.plan)

    def at(self, values: Values, period: str) -> Callable[[int], Known | None]:
        """unit id -> its operand values in `period`, or None when none of them has a value."""
        totals = [(o, values.totals(period, de)) for o, de, coc in self.plan if coc is None]
        combos = [(o, values.series(period, de), c) for o, de, c in self.plan if c is not None]
        if not combos:  # the usual case: element totals only

            def read_totals(unit_id: int) -> Known | None:
                known = {operand: series.get(unit_id) for operand, series in totals}
                return None if all(v is None for v in known.values()) else known

            return read_totals

        def read(unit_id: int) -> Known | None:
            known: Known = {operand: series.get(unit_id) for operand, series in totals}
            for operand, series, coc in combos:
                cell = series.get(unit_id)
                known[operand] = None if cell is None else cell.get(coc)
            return None if all(v is None for v in known.values()) else known

        return read
