"""What every evaluator needs: the units looked at, the periods checked, values read in bulk.

A full evaluation loads every unit once and reads each period's values once for all rules (the
`Values` cache); an arrival evaluation loads only the changed unit and its ancestors and reads
only their subtrees' values, which is what keeps it within milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from haucan.catalog.models import CategoryOptionCombo, Constant, DataElement
from haucan.core.periods import Period, PeriodType, period_of
from haucan.org.models import Unit
from haucan.reporting.models import DataValue


@dataclass(frozen=True)
class UnitInfo:
    pk: int
    path: str
    depth: int
    name: str
    parent_id: int | None


def ancestor_paths(path: str) -> list[str]:
    """ "/a/b/c/" -> ["/a/", "/a/b/", "/a/b/c/"] (the unit itself last)."""
    uids = [p for p in path.split("/") if p]
    return ["/" + "/".join(uids[: i + 1]) + "/" for i in range(len(uids))]


def _infos(rows: Iterable[tuple[int, str, int, str, int | None]]) -> list[UnitInfo]:
    return [UnitInfo(*row) for row in rows]


_FIELDS = ("pk", "path", "depth", "name", "parent_id")


@dataclass
class Units:
    """The units an evaluation may report on, by pk and by path."""

    by_pk: dict[int, UnitInfo]
    complete: bool  # every unit of the army (a full evaluation)
    by_path: dict[str, UnitInfo] = field(init=False)

    def __post_init__(self) -> None:
        self.by_path = {u.path: u for u in self.by_pk.values()}

    @classmethod
    def everything(cls) -> Units:
        rows = Unit.objects.filter(closed_on__isnull=True).values_list(*_FIELDS)
        return cls({u.pk: u for u in _infos(rows)}, complete=True)

    @classmethod
    def around(cls, unit_ids: Iterable[int]) -> Units:
        """The given units and all their ancestors."""
        own = _infos(Unit.objects.filter(pk__in=set(unit_ids)).values_list(*_FIELDS))
        paths = {p for u in own for p in ancestor_paths(u.path)}
        rows = Unit.objects.filter(path__in=paths, closed_on__isnull=True).values_list(*_FIELDS)
        return cls({u.pk: u for u in _infos(rows)}, complete=False)

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
        for pk, code, uid, name in DataElement.objects.values_list("pk", "code", "uid", "name"):
            self.elements[code] = self.elements[uid] = pk
            self.element_names[pk] = name
        self.combos: dict[str, int] = {}
        self.combo_names: dict[int, str] = {}
        for pk, code, uid, name in CategoryOptionCombo.objects.values_list(
            "pk", "code", "uid", "name"
        ):
            if code:
                self.combos[code] = pk
            self.combos[uid] = pk
            self.combo_names[pk] = name
        self.constants: dict[str, float] = {}
        for code, uid, value in Constant.objects.values_list("code", "uid", "value"):
            self.constants[code] = self.constants[uid] = value


Cells = dict[tuple[int, int], float]  # (element id, option combo id) -> number


class Values:
    """Numeric values per (unit id, period id), read once per (period, subtree, element set)."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self._own: dict[tuple[int, str], Cells] = defaultdict(dict)
        self._paths: dict[int, str] = {}
        self._loaded: dict[tuple[str, str], set[int]] = defaultdict(set)

    def load(
        self, periods: Iterable[str], element_ids: Iterable[int], subtrees: Iterable[str] = ()
    ) -> None:
        """Read the values of `element_ids` in `periods`: everywhere in a full evaluation, else
        in the subtrees rooted at the paths `subtrees`."""
        wanted = set(element_ids)
        roots = ["/"] if self.units.complete else sorted(set(subtrees), key=len)
        for period in set(periods):
            for root in roots:
                covered = set().union(
                    *(
                        ids
                        for (p, path), ids in self._loaded.items()
                        if p == period and root.startswith(path)
                    )
                )
                missing = wanted - covered
                if not missing:
                    continue
                rows = DataValue.objects.filter(
                    period=period,
                    data_element_id__in=missing,
                    deleted=False,
                    numeric_value__isnull=False,
                )
                if root != "/":
                    rows = rows.filter(unit__path__startswith=root)
                for unit_id, path, de, coc, number in rows.values_list(
                    "unit_id",
                    "unit__path",
                    "data_element_id",
                    "category_option_combo_id",
                    "numeric_value",
                ).iterator(chunk_size=20_000):
                    cells = self._own[(unit_id, period)]
                    if number is None:
                        continue
                    cells[(de, coc)] = cells.get((de, coc), 0.0) + number
                    self._paths[unit_id] = path
                self._loaded[(period, root)] |= missing

    def own(self, unit_id: int, period: str) -> Cells:
        return self._own.get((unit_id, period), {})

    def units_with_values(self, period: str) -> set[int]:
        return {u for (u, p), cells in self._own.items() if p == period and cells}

    def rolled_up(
        self, targets: list[UnitInfo], period: str, elements: set[int]
    ) -> dict[int, Cells]:
        """Each target's own values of `elements` plus its descendants' (a sum over units)."""
        by_path = {t.path: t.pk for t in targets}
        depths = sorted({t.depth for t in targets})
        sums: dict[int, Cells] = defaultdict(dict)
        for (unit_id, p), cells in self._own.items():
            if p != period or not cells:
                continue
            uids = [x for x in self._paths[unit_id].split("/") if x]
            for depth in depths:
                if depth > len(uids):
                    break
                target = by_path.get("/" + "/".join(uids[:depth]) + "/")
                if target is None:
                    continue
                acc = sums[target]
                for cell, number in cells.items():
                    if cell[0] in elements:
                        acc[cell] = acc.get(cell, 0.0) + number
        return sums
