"""The shared data warehouse: raw values and monthly totals as CSV and Parquet, by year.

`export_warehouse` writes a folder that other systems read without knowing our database
(docs/integrators/warehouse.md documents every column):

    values/year=2025/part-0.parquet      values/year=2025.csv
    monthly_totals/year=2025/part-0.parquet   monthly_totals/year=2025.csv
    manifest.json

Rows are streamed from the database in chunks and written as they come, so memory stays flat
whatever the number of values. The monthly totals are computed by direct SQL grouping (not through
the analytics engine): one GROUP BY per level of today's tree over the monthly values, which reads
each value once per level and needs no per-query planning.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.catalog.models import NUMERIC_VALUE_TYPES, CategoryOptionCombo, DataElement
from haucan.core.cells import safe_text
from haucan.core.errors import ValidationFailed
from haucan.core.periods import PeriodError, parse_period
from haucan.core.scope import Scope
from haucan.core.snapshot import one_snapshot
from haucan.org.models import Unit
from haucan.reporting.models import DataValue

FORMATS = ("csv", "parquet")
ANCESTOR_LEVELS = 6
CHUNK_ROWS = 50_000
# Unit.path is "/<uid>/<uid>/…/" with 11-character uids, so the level-n ancestor's path is the
# first 12·n + 1 characters of a unit's path: the grouping below needs no join on the tree.
UID_LENGTH = 11
MONTHLY_ID = r"^[0-9]{6}$"

VALUE_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("data_element_uid", pa.string()),
    ("data_element_code", pa.string()),
    ("data_element_name", pa.string()),
    ("category_option_combo_uid", pa.string()),
    ("category_option_combo_name", pa.string()),
    ("attribute_option_combo_uid", pa.string()),
    ("unit_uid", pa.string()),
    ("unit_code", pa.string()),
    ("unit_name", pa.string()),
    ("unit_identifier", pa.string()),
    ("unit_level", pa.int16()),
    *((f"level{n}_uid", pa.string()) for n in range(1, ANCESTOR_LEVELS + 1)),
    ("period", pa.string()),
    ("period_type", pa.string()),
    ("period_start", pa.date32()),
    ("period_end", pa.date32()),
    ("value", pa.string()),
    ("numeric_value", pa.float64()),
    ("stored_by", pa.string()),
    ("origin", pa.string()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
]

TOTAL_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("period", pa.string()),
    ("period_start", pa.date32()),
    ("period_end", pa.date32()),
    ("data_element_uid", pa.string()),
    ("data_element_code", pa.string()),
    ("data_element_name", pa.string()),
    ("aggregation_type", pa.string()),
    ("category_option_combo_uid", pa.string()),
    ("category_option_combo_name", pa.string()),
    ("unit_uid", pa.string()),
    ("unit_code", pa.string()),
    ("unit_name", pa.string()),
    ("unit_level", pa.int16()),
    ("value", pa.float64()),
    ("value_sum", pa.float64()),
    ("value_count", pa.int64()),
    ("value_min", pa.float64()),
    ("value_max", pa.float64()),
]


@dataclass
class TableSummary:
    rows: int = 0
    years: set[int] = field(default_factory=set)


@dataclass
class ExportSummary:
    out_dir: Path
    formats: tuple[str, ...]
    tables: dict[str, TableSummary]
    files: list[Path]
    seconds: float

    def describe(self) -> str:
        parts = [
            f"{name}: {t.rows} rows in {len(t.years)} year(s)" for name, t in self.tables.items()
        ]
        return (
            f"Warehouse written to {self.out_dir} ({', '.join(self.formats)}) in "
            f"{self.seconds:.1f} s: " + "; ".join(parts) + f"; {len(self.files)} files."
        )


class _YearWriters:
    """One CSV file and one Parquet file per year of a table, each fed chunk by chunk."""

    def __init__(
        self, root: Path, table: str, columns: list[tuple[str, pa.DataType]], formats: Sequence[str]
    ) -> None:
        self.root = root / table
        self.columns = columns
        self.schema = pa.schema(columns)
        self.formats = formats
        self.summary = TableSummary()
        self.buffers: dict[int, list[tuple[Any, ...]]] = {}
        self.csv: dict[int, tuple[TextIO, Any]] = {}
        self.parquet: dict[int, pq.ParquetWriter] = {}
        self.files: list[Path] = []

    def add(self, year: int, row: tuple[Any, ...]) -> None:
        buffer = self.buffers.setdefault(year, [])
        buffer.append(row)
        self.summary.rows += 1
        self.summary.years.add(year)
        if len(buffer) >= CHUNK_ROWS:
            self._flush(year)

    def _flush(self, year: int) -> None:
        rows = self.buffers.pop(year, [])
        if not rows:
            return
        if "csv" in self.formats:
            self._csv_writer(year).writerows(_csv_row(row) for row in rows)
        if "parquet" in self.formats:
            columns = list(zip(*rows, strict=True))
            table = pa.Table.from_arrays(
                [
                    pa.array(values, type=kind)
                    for values, (_n, kind) in zip(columns, self.columns, strict=True)
                ],
                schema=self.schema,
            )
            self._parquet_writer(year).write_table(table)

    def _csv_writer(self, year: int) -> Any:
        if year not in self.csv:
            path = self.root / f"year={year}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            # utf-8-sig writes the byte-order mark, so Excel opens Vietnamese text correctly.
            handle = path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(handle)
            writer.writerow(name for name, _kind in self.columns)
            self.csv[year] = (handle, writer)
            self.files.append(path)
        return self.csv[year][1]

    def _parquet_writer(self, year: int) -> pq.ParquetWriter:
        if year not in self.parquet:
            path = self.root / f"year={year}" / "part-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.parquet[year] = pq.ParquetWriter(path, self.schema, compression="zstd")
            self.files.append(path)
        return self.parquet[year]

    def close(self) -> None:
        for year in list(self.buffers):
            self._flush(year)
        for handle, _writer in self.csv.values():
            handle.close()
        for writer in self.parquet.values():
            writer.close()


def _csv_row(row: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for cell in row:
        if cell is None:
            out.append("")
        elif isinstance(cell, float):
            out.append(str(int(cell)) if cell.is_integer() else repr(cell))
        elif isinstance(cell, datetime):
            out.append(cell.astimezone(UTC).isoformat())
        elif isinstance(cell, date):
            out.append(cell.isoformat())
        else:
            out.append(safe_text(str(cell)))  # a name or text value never runs as a formula
    return out


def _scope_filter(scope: Scope, field_name: str) -> Q:
    if scope.is_global:
        return Q()
    condition = Q(pk__in=[])
    for root in scope.root_paths:
        condition |= Q(**{f"{field_name}__startswith": root})
    return condition


@dataclass(frozen=True)
class _Lookups:
    elements: dict[int, DataElement]
    combos: dict[int, tuple[str, str]]  # id -> (uid, name)
    units: dict[int, Unit]
    units_by_path: dict[str, Unit]


def _lookups(scope: Scope) -> _Lookups:
    units = {u.pk: u for u in Unit.objects.filter(_scope_filter(scope, "path"))}
    return _Lookups(
        elements={e.pk: e for e in DataElement.objects.all()},
        combos={c.pk: (c.uid, c.name) for c in CategoryOptionCombo.objects.all()},
        units=units,
        units_by_path={u.path: u for u in units.values()},
    )


def _period_type(period: str, cache: dict[str, str]) -> str:
    if period not in cache:
        try:
            cache[period] = parse_period(period).type.value
        except PeriodError:
            cache[period] = ""
    return cache[period]


def _export_values(scope: Scope, lookups: _Lookups, writers: _YearWriters) -> None:
    """One row per live value (deleted values are left out)."""
    types: dict[str, str] = {}
    rows = (
        DataValue.objects.filter(deleted=False)
        .filter(_scope_filter(scope, "unit__path"))
        .order_by("pk")
        .values_list(
            "data_element_id",
            "category_option_combo_id",
            "attribute_option_combo_id",
            "unit_id",
            "period",
            "period_start",
            "period_end",
            "value",
            "numeric_value",
            "stored_by",
            "origin",
            "updated_at",
        )
    )
    for (
        de,
        coc,
        aoc,
        unit_id,
        period,
        start,
        end,
        value,
        number,
        by,
        origin,
        updated,
    ) in rows.iterator(chunk_size=CHUNK_ROWS):
        element = lookups.elements[de]
        unit = lookups.units[unit_id]
        ancestors: list[str | None] = [*unit.path_uids()[:ANCESTOR_LEVELS]]
        ancestors += [None] * (ANCESTOR_LEVELS - len(ancestors))
        writers.add(
            start.year,
            (
                element.uid,
                element.code,
                element.name,
                lookups.combos[coc][0],
                lookups.combos[coc][1],
                lookups.combos[aoc][0],
                unit.uid,
                unit.code,
                unit.name,
                unit.identifier,
                unit.depth,
                *ancestors,
                period,
                _period_type(period, types),
                start,
                end,
                value,
                number,
                by,
                origin,
                updated,
            ),
        )


def total_value(
    aggregation: str, total: float, count: int, low: float, high: float
) -> float | None:
    """The engine's value of one (element, option combo, unit, month) from its monthly values.

    Each unit stores at most one monthly value per option combo and attribute combo, and every
    value spans the whole month, so day weights cancel: AVERAGE is the mean, LAST and
    AVERAGE_SUM_ORG_UNIT are the sum, LAST_AVERAGE_ORG_UNIT the mean over units."""
    if aggregation in ("SUM", "AVERAGE_SUM_ORG_UNIT", "LAST"):
        return total
    if aggregation in ("AVERAGE", "LAST_AVERAGE_ORG_UNIT"):
        return total / count
    if aggregation == "COUNT":
        return float(count)
    if aggregation == "MIN":
        return low
    if aggregation == "MAX":
        return high
    return None  # NONE: not aggregated


def _export_totals(scope: Scope, lookups: _Lookups, writers: _YearWriters) -> None:
    """Per level of today's tree: the monthly values grouped by element, combo, ancestor, month."""
    numeric = [pk for pk, e in lookups.elements.items() if e.value_type in NUMERIC_VALUE_TYPES]
    monthly = DataValue.objects.filter(
        deleted=False,
        numeric_value__isnull=False,
        data_element_id__in=numeric,
        period__regex=MONTHLY_ID,
    ).filter(_scope_filter(scope, "unit__path"))
    deepest = max((u.depth for u in lookups.units.values()), default=0)
    for level in range(1, deepest + 1):
        grouped = (
            monthly.filter(unit__depth__gte=level)
            .annotate(ancestor_path=Substr("unit__path", 1, (UID_LENGTH + 1) * level + 1))
            .values(
                "data_element_id",
                "category_option_combo_id",
                "ancestor_path",
                "period",
                "period_start",
                "period_end",
            )
            .annotate(
                total=Sum("numeric_value"),
                count=Count("id"),
                low=Min("numeric_value"),
                high=Max("numeric_value"),
            )
            .order_by("period", "data_element_id", "ancestor_path", "category_option_combo_id")
        )
        for row in grouped.iterator(chunk_size=CHUNK_ROWS):
            unit = lookups.units_by_path.get(row["ancestor_path"])
            if unit is None:
                continue  # an ancestor above the exporter's scope: its total would be partial
            element = lookups.elements[row["data_element_id"]]
            coc_uid, coc_name = lookups.combos[row["category_option_combo_id"]]
            writers.add(
                row["period_start"].year,
                (
                    row["period"],
                    row["period_start"],
                    row["period_end"],
                    element.uid,
                    element.code,
                    element.name,
                    element.aggregation_type,
                    coc_uid,
                    coc_name,
                    unit.uid,
                    unit.code,
                    unit.name,
                    unit.depth,
                    total_value(
                        element.aggregation_type,
                        row["total"],
                        row["count"],
                        row["low"],
                        row["high"],
                    ),
                    row["total"],
                    row["count"],
                    row["low"],
                    row["high"],
                ),
            )


def _check_uids() -> None:
    odd = Unit.objects.annotate(n=Length("uid")).exclude(n=UID_LENGTH).first()
    if odd is not None:
        raise ValidationFailed(
            _("Unit %(code)s has a uid that is not %(n)d characters long.")
            % {"code": odd.code, "n": UID_LENGTH}
        )


def _manifest(summary: dict[str, TableSummary], formats: Sequence[str]) -> dict[str, object]:
    def columns(spec: list[tuple[str, pa.DataType]]) -> list[dict[str, str]]:
        return [{"name": name, "type": str(kind)} for name, kind in spec]

    return {
        "generated_at": timezone.now().isoformat(),
        "formats": list(formats),
        "documentation": "docs/integrators/warehouse.md",
        "tables": {
            "values": {
                "rows": summary["values"].rows,
                "years": sorted(summary["values"].years),
                "columns": columns(VALUE_COLUMNS),
            },
            "monthly_totals": {
                "rows": summary["monthly_totals"].rows,
                "years": sorted(summary["monthly_totals"].years),
                "columns": columns(TOTAL_COLUMNS),
            },
        },
    }


def export_warehouse(
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    scope: Scope | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> ExportSummary:
    """Write the warehouse for `scope` (default: the whole army) into `out_dir`.

    The tables of a previous export in `out_dir` are replaced; other files are left alone.
    Both tables are read in one transaction (a repeatable-read snapshot on PostgreSQL), so the
    totals always match the raw values of the same export."""
    started = time.perf_counter()
    scope = scope or Scope.system("warehouse export")
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ValidationFailed(
            _("Unknown export format '%(f)s'; use csv, parquet or both.")
            % {"f": ",".join(unknown) or "(none)"}
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in ("values", "monthly_totals"):
        shutil.rmtree(out_dir / old, ignore_errors=True)
    writers = {
        "values": _YearWriters(out_dir, "values", VALUE_COLUMNS, chosen),
        "monthly_totals": _YearWriters(out_dir, "monthly_totals", TOTAL_COLUMNS, chosen),
    }
    with one_snapshot():
        _check_uids()
        lookups = _lookups(scope)
        try:
            if progress:
                progress("values")
            _export_values(scope, lookups, writers["values"])
            if progress:
                progress("monthly totals")
            _export_totals(scope, lookups, writers["monthly_totals"])
        finally:
            for writer in writers.values():
                writer.close()
    tables = {name: w.summary for name, w in writers.items()}
    manifest = out_dir / "manifest.json"
    manifest.write_text(
        json.dumps(_manifest(tables, chosen), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    files = [path for w in writers.values() for path in w.files] + [manifest]
    return ExportSummary(out_dir, chosen, tables, files, time.perf_counter() - started)
