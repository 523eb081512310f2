"""`haucan bench import`: bulk import of data values against the raw insert rate of the table.

For each database (SQLite, PostgreSQL), in its own process with a fresh database:
- raw: the same rows inserted straight into reporting_datavalue (executemany on SQLite, COPY on
  PostgreSQL), the limit to compare against;
- the full path of the API (`FORMATS[...].read` + `import_values`) from a JSON and a CSV file:
  parsing, all checks, values, their audit rows and the analytics outbox, in one transaction;
- a dry run (all checks, no writes) and an update run (every value present, every one changed).
Reports rows/s, the ratio to raw (target >= 50 %), the cost of each part, and peak memory
(ru_maxrss of the worker process, target <= 300 MB).

    haucan bench import [--values 1000000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import fresh_worker_env, run_worker

PG_DB = "haucan_bench_import"
ELEMENTS = 100
PERIODS = 20  # months
TARGET_RATIO = 0.5
TARGET_MB = 300


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _catalog(values: int) -> tuple[list[str], list[str], list[str]]:
    """A monthly form of ELEMENTS numbers assigned to enough units for `values` values."""
    from datetime import date

    from haucan.catalog.models import DataElement, DataSet, DataSetElement
    from haucan.catalog.services import ensure_default_combo
    from haucan.core.scope import Scope
    from haucan.org.services import UnitSpec, create_unit

    system = Scope.system("bench")
    default = ensure_default_combo()
    units_needed = max(1, -(-values // (ELEMENTS * PERIODS)))
    root = create_unit(
        system, spec=UnitSpec(name="Bộ", code="B0"), parent=None, opened_on=date(2000, 1, 1)
    )
    units = [
        create_unit(
            system,
            spec=UnitSpec(name=f"Đơn vị {i}", code=f"BU{i:05d}"),
            parent=root,
            opened_on=date(2000, 1, 1),
        )
        for i in range(units_needed)
    ]
    data_set = DataSet.objects.create(
        code="BENCH_IMPORT", name="Bench import", period_type="Monthly", category_combo=default
    )
    DataElement.objects.bulk_create(
        DataElement(code=f"BI{i:03d}", name=f"BI{i:03d}", category_combo=default)
        for i in range(ELEMENTS)
    )
    elements = list(DataElement.objects.filter(code__startswith="BI").order_by("code"))
    DataSetElement.objects.bulk_create(
        DataSetElement(data_set=data_set, data_element=e) for e in elements
    )
    data_set.units.add(*units)
    periods = [f"{2020 + m // 12}{m % 12 + 1:02d}" for m in range(PERIODS)]
    return [e.code for e in elements], [u.code for u in units], periods


def _keys(values: int, elements: list[str], units: list[str], periods: list[str]):  # type: ignore[no-untyped-def]
    n = 0
    for unit in units:
        for period in periods:
            for element in elements:
                if n >= values:
                    return
                yield n, element, period, unit
                n += 1


def _write_files(
    folder: Path, values: int, catalog: tuple[list[str], list[str], list[str]]
) -> dict[str, Path]:
    files = {
        "json": folder / "values.json",
        "csv": folder / "values.csv",
        "csv_update": folder / "update.csv",
    }
    with open(files["json"], "w", encoding="utf-8") as out:
        out.write('{"dataValues": [')
        for n, de, pe, ou in _keys(values, *catalog):
            out.write(
                ("," if n else "")
                + json.dumps(
                    {"dataElement": de, "period": pe, "orgUnit": ou, "value": str(n % 997 + 1)}
                )
            )
        out.write("]}")
    for name, shift in (("csv", 1), ("csv_update", 2)):
        with open(files[name], "w", encoding="utf-8") as out:
            out.write("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n")
            for n, de, pe, ou in _keys(values, *catalog):
                out.write(f"{de},{pe},{ou},,,{n % 997 + shift}\n")
    return files


def _clear() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("reporting_valuechange", "reporting_datavalueaudit", "reporting_datavalue"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def _raw_insert(values: int, catalog: tuple[list[str], list[str], list[str]]) -> float:
    """Seconds to insert the same rows straight into the table, in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from haucan.catalog.models import DataElement
    from haucan.catalog.services import default_option_combo
    from haucan.core.periods import parse_period
    from haucan.org.models import Unit
    from haucan.reporting.models import DataValue
    from haucan.reporting.services.imports import _DV_FIELDS, _columns

    de_ids = dict(DataElement.objects.values_list("code", "id"))
    unit_ids = dict(Unit.objects.values_list("code", "id"))
    coc = default_option_combo().pk
    periods = {p: parse_period(p) for p in catalog[2]}
    pg = connection.vendor == "postgresql"
    now = timezone.now()
    stamp = now if pg else connection.ops.adapt_datetimefield_value(now)
    columns = _columns(DataValue, _DV_FIELDS)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)

    def rows():  # type: ignore[no-untyped-def]
        for n, de, pe, ou in _keys(values, *catalog):
            p = periods[pe]
            start, end = (p.start, p.end) if pg else (p.start.isoformat(), p.end.isoformat())
            value = str(n % 997 + 1)
            yield (
                n + 1,
                de_ids[de],
                pe,
                start,
                end,
                unit_ids[ou],
                coc,
                coc,
                value,
                float(value),
                "",
                False,
                "bench",
                "import",
                "",
                stamp,
                stamp,
                False,
                1,
            )

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            with cursor.cursor.copy(f"COPY reporting_datavalue ({quoted}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO reporting_datavalue ({quoted}) VALUES ({marks})"  # noqa: S608
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    return time.perf_counter() - started


def _import(path: Path, fmt: str, **options: object) -> dict[str, object]:
    from haucan.core.scope import Scope
    from haucan.exchange.formats import FORMATS
    from haucan.reporting.services.imports import ImportTimings, import_values

    timings = ImportTimings()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        summary = import_values(
            Scope.system("bench"),
            FORMATS[fmt].read(handle),
            id_scheme="code",
            timings=timings,
            **options,  # type: ignore[arg-type]
        )
    seconds = time.perf_counter() - started
    assert summary["status"] == "SUCCESS", summary["conflicts"][:3]
    return {
        "seconds": round(seconds, 2),
        "counts": summary["importCount"],
        "parts": timings.as_dict(),
        "peak_mb_so_far": _peak_mb(),
    }


def worker(database: str, values: int) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    catalog = _catalog(values)
    folder = Path(tempfile.mkdtemp(prefix="haucan-bench-import-"))
    files = _write_files(folder, values, catalog)
    base_mb = _peak_mb()
    raw = _raw_insert(values, catalog)
    _clear()
    runs: dict[str, dict[str, object]] = {}
    runs["json"] = _import(files["json"], "json")
    _clear()
    runs["csv"] = _import(files["csv"], "csv")
    runs["dry_run_csv"] = _import(files["csv_update"], "csv", dry_run=True)
    runs["update_csv"] = _import(files["csv_update"], "csv")
    for run in runs.values():
        run["rate"] = round(values / run["seconds"])  # type: ignore[operator]
        run["ratio_to_raw"] = round(values / run["seconds"] / (values / raw), 3)  # type: ignore[operator]
    for path in files.values():
        path.unlink()
    if connection.vendor == "sqlite":
        import sqlite3

        described = f"SQLite {sqlite3.sqlite_version}"
    else:
        described = f"PostgreSQL {connection.pg_version}"
    return {
        "database": described,
        "values": values,
        "raw_seconds": round(raw, 2),
        "raw_rate": round(values / raw),
        "runs": runs,
        "peak_mb": _peak_mb(),
        "peak_mb_before_imports": base_mb,
    }


def _run_worker(database: str, values: int) -> dict[str, object]:
    env = fresh_worker_env(database, pg_database=PG_DB, data_dir_prefix="haucan-bench-")
    return run_worker("benchmarks.import_bench", database, "--values", str(values), env=env)


def _markdown(results: dict[str, dict[str, object]], values: int) -> str:
    lines = [
        "# `haucan bench import`",
        "",
        f"{values:,} values (one monthly form of {ELEMENTS} numeric elements, {PERIODS} months,"
        " units as needed), imported through the API's code path (`FORMATS[fmt].read` +"
        " `import_values`) in one transaction with all checks, the values, one audit row and"
        " one analytics outbox row per value. Raw = the same rows inserted straight into the"
        " table (executemany on SQLite, COPY on PostgreSQL). Targets: >= 50 % of raw, <= 300 MB.",
        "",
        "| database | run | seconds | values/s | ratio to raw | parsing s | validation s |"
        " values s | audit s | outbox s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db, result in results.items():
        lines.append(
            f"| {db} | raw insert | {result['raw_seconds']} | {result['raw_rate']:,} |"
            " 1.0 | | | | | |"
        )
        for name, run in result["runs"].items():  # type: ignore[union-attr]
            p = run["parts"]
            lines.append(
                f"| {db} | {name} | {run['seconds']} | {run['rate']:,} | {run['ratio_to_raw']} |"
                f" {p['parsing']} | {p['validation']} | {p['values']} | {p['audit']} |"
                f" {p['outbox']} |"
            )
    lines += [""]
    for db, result in results.items():
        lines.append(
            f"- {db}: {result['database']}; peak memory of the worker "
            f"{result['peak_mb']} MB (before the imports: "
            f"{result['peak_mb_before_imports']} MB)."
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench import")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.values)))
        return 0
    from benchmarks.common import write_results

    results = {db: _run_worker(db, args.values) for db in args.databases.split(",")}
    payload = {
        "program": "import",
        "values": args.values,
        "targets": {"ratio_to_raw": TARGET_RATIO, "peak_mb": TARGET_MB},
        "results": results,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    markdown = _markdown(results, args.values)
    write_results("import", payload, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
