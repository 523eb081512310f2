"""`haucan bench inventory`: the stock ledger's posting rate, stock on hand at a date, and the
petroleum report recomputation after one posting.

For each database (SQLite, PostgreSQL), in its own process with a fresh database:
- raw: the same number of ledger lines inserted straight into inventory_line (executemany), the
  limit to compare against;
- posting: LINES lines through `post_document` (documents of 20 lines: receipts, then issues of
  part of the stock), each one transaction with its number, balance checks and audit event;
  target >= 2 000 lines/s;
- stock on hand at a date for 2 000 units x 20 items (`stock_on_hand(by=("unit", "item"))`),
  target <= 300 ms;
- one petroleum note and the recomputation of the unit's report values
  (`haucan.petroleum.reports.refresh`), target <= 100 ms.

    haucan bench inventory [--lines 100000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from decimal import Decimal

from benchmarks.common import fresh_worker_env, run_worker

PG_DB = "haucan_bench_inventory"
UNITS = 2000
ITEMS = 20
LINES_PER_DOCUMENT = 20
TARGET_RATE = 2000
TARGET_SOH_MS = 300
TARGET_REFRESH_MS = 100


def _world() -> tuple[list[object], list[object], list[object]]:
    from haucan.core.scope import Scope
    from haucan.inventory.models import Item, Location
    from haucan.org.models import Unit
    from haucan.org.services import UnitSpec, create_unit

    system = Scope.system("bench")
    root = create_unit(
        system, spec=UnitSpec(name="Bộ", code="B0"), parent=None, opened_on=date(2000, 1, 1)
    )
    # The 2 000 units straight into the table (the unit service is not what is measured).
    units = [
        Unit(
            code=f"BU{i:05d}",
            name=f"Đơn vị {i}",
            search_name=f"don vi {i}",
            parent=root,
            depth=1,
            opened_on=date(2000, 1, 1),
        )
        for i in range(UNITS)
    ]
    for unit in units:
        unit.path = f"{root.path}{unit.uid}/"
    Unit.objects.bulk_create(units, batch_size=500)
    units = list(Unit.objects.filter(parent=root).order_by("code"))
    Item.objects.bulk_create(
        Item(domain="bench", code=f"I{i:02d}", name=f"Mặt hàng {i}", uom="lít")
        for i in range(ITEMS)
    )
    Location.objects.bulk_create(
        Location(domain="bench", unit=u, code=f"L{u.code}", name=f"Kho {u.code}") for u in units
    )
    items = list(Item.objects.filter(domain="bench").order_by("code"))
    locations = list(
        Location.objects.filter(domain="bench").select_related("unit").order_by("code")
    )
    return units, items, locations  # type: ignore[return-value]


def _raw(lines: int, units: list, items: list, locations: list) -> float:  # type: ignore[type-arg]
    from django.db import connection, transaction

    from haucan.inventory.models import Document, Line

    document = Document.objects.create(
        domain="bench",
        unit=units[0],
        doc_type="receipt",
        number="RAW",
        year=2026,
        seq=1,
        date=date(2026, 1, 1),
        created_by="bench",
    )
    table = Line._meta.db_table
    rows = [
        (
            document.pk,
            "bench",
            "2026-01-01",
            "receipt",
            locations[i % UNITS].unit_id,
            locations[i % UNITS].pk,
            items[i % ITEMS].pk,
            "",
            "10",
            "{}",
        )
        for i in range(lines)
    ]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (document_id, domain, date, doc_type, unit_id, location_id,"  # noqa: S608
            " item_id, dimension, quantity, meta) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    seconds = time.perf_counter() - start
    Line.objects.filter(document=document).delete()
    document.delete()
    return seconds


def _post(lines: int, items: list, locations: list) -> tuple[float, int]:  # type: ignore[type-arg]
    from haucan.core.scope import Scope
    from haucan.inventory.models import DocType
    from haucan.inventory.services import DocumentSpec, LineSpec, post_document

    system = Scope.system("bench")
    documents = lines // LINES_PER_DOCUMENT
    receipts = documents // 2
    start = time.perf_counter()
    for n in range(documents):
        receipt = n < receipts
        # Each issue draws on a location that a receipt filled earlier.
        location = locations[(n if receipt else n - receipts) % UNITS]
        post_document(
            system,
            DocumentSpec(
                domain="bench",
                doc_type=DocType.RECEIPT if receipt else DocType.ISSUE,
                unit=location.unit,
                date=date(2026, 1, 1) + timedelta(days=n % 150 + (0 if receipt else 160)),
                location=location,
                lines=[
                    LineSpec(item=item, quantity=Decimal(1000 if receipt else 300))
                    for item in items[:LINES_PER_DOCUMENT]
                ],
            ),
        )
    return time.perf_counter() - start, documents


def _stock_on_hand() -> dict[str, object]:
    from benchmarks.common import measure
    from haucan.core.scope import Scope
    from haucan.inventory.queries import stock_on_hand

    system = Scope.system("bench")
    keys = len(stock_on_hand(system, domain="bench", at=date(2026, 6, 30), by=("unit", "item")))
    at_date = measure(
        "stock on hand at a date, 2 000 units x 20 items",
        lambda: stock_on_hand(system, domain="bench", at=date(2026, 6, 30), by=("unit", "item")),
        runs=10,
        warmup=2,
    )
    today = measure(
        "stock on hand today (balances), 2 000 units x 20 items",
        lambda: stock_on_hand(system, domain="bench", by=("unit", "item")),
        runs=10,
        warmup=2,
    )
    return {"keys": keys, "at_date": at_date, "today": today}


def _refresh() -> dict[str, object]:
    """One unit with the demo catalog's petroleum forms: the time of one note (posting,
    reports and warnings in one transaction) and of the report recomputation alone."""
    from django.db import transaction
    from django.utils import timezone

    from benchmarks.common import measure
    from haucan.catalog.models import DataSet
    from haucan.core.scope import Scope
    from haucan.demo.catalog import load_catalog, read_catalog
    from haucan.org.models import Unit
    from haucan.petroleum import reports
    from haucan.petroleum.models import LocationKind, Product
    from haucan.petroleum.seed import ensure_standard_catalog
    from haucan.petroleum.services import (
        NoteInput,
        NoteKind,
        NoteLine,
        create_location,
        record_note,
    )

    system = Scope.system("bench")
    with transaction.atomic():
        load_catalog(system, read_catalog())
    ensure_standard_catalog(system)
    unit = Unit.objects.get(code="BU00001")
    for data_set in DataSet.objects.filter(code__in=reports.FORMS):
        data_set.units.add(unit)
    tank = create_location(
        system, unit=unit, code="BT1", name="Bể 1", kind=LocationKind.TANK, capacity=Decimal(10**9)
    )
    diesel = Product.objects.get(item__code="DO_005S")
    today = timezone.localdate()

    def note(kind: str, quantity: int) -> None:
        record_note(
            system,
            NoteInput(
                kind=kind,
                unit=unit,
                location=tank,
                date=today,
                lines=[NoteLine(product=diesel, quantity=Decimal(quantity), temperature=28.5)],
            ),
        )

    note(NoteKind.RECEIPT, 10**7)
    one_note = measure(
        "one issue note (posting + reports + warnings)", lambda: note(NoteKind.ISSUE, 100), runs=20
    )
    refresh = measure(
        "report recomputation after one posting", lambda: reports.refresh(unit, today), runs=20
    )
    return {"one_note": one_note, "refresh": refresh}


def worker(database: str, lines: int) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    units, items, locations = _world()
    raw = _raw(lines, units, items, locations)
    seconds, documents = _post(lines, items, locations)
    soh = _stock_on_hand()
    refresh = _refresh()
    if connection.vendor == "sqlite":
        import sqlite3

        described = f"SQLite {sqlite3.sqlite_version}"
    else:
        described = f"PostgreSQL {connection.pg_version}"
    return {
        "database": described,
        "lines": lines,
        "documents": documents,
        "raw_seconds": round(raw, 2),
        "raw_rate": round(lines / raw),
        "post_seconds": round(seconds, 2),
        "post_rate": round(lines / seconds),
        "ratio_to_raw": round(raw / seconds, 3),
        "stock_on_hand": soh,
        "report": refresh,
    }


def _run_worker(database: str, lines: int) -> dict[str, object]:
    env = fresh_worker_env(database, pg_database=PG_DB, data_dir_prefix="haucan-bench-")
    return run_worker("benchmarks.inventory_bench", database, "--lines", str(lines), env=env)


def _ms(measure: object) -> str:
    return f"{measure['p50_ms']} ms (p95 {measure['p95_ms']} ms, {measure['queries']} queries)"  # type: ignore[index]


def _markdown(results: dict[str, dict[str, object]], lines: int) -> str:
    out = [
        "# `haucan bench inventory`",
        "",
        f"{lines:,} ledger lines through `post_document` as documents of {LINES_PER_DOCUMENT}"
        " lines (half receipts, half issues), one transaction each with numbering, the"
        " conditional balance debit and an audit event; raw = the same number of lines"
        " inserted straight into inventory_line with executemany, in the same run. Stock on hand"
        f" for {UNITS:,} units x {ITEMS} items; the petroleum report recomputation for one unit"
        " with the demo catalog's four petroleum forms. The machine is shared (2 cores, other"
        " jobs running), so the figures are pessimistic.",
        "",
        "| database | posting lines/s (target ≥ 2 000) | raw lines/s | ratio | stock on hand at a"
        " date (target ≤ 300 ms) | today (balances) | report recomputation (target ≤ 100 ms) |"
        " one note incl. reports |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results.values():
        soh, report = result["stock_on_hand"], result["report"]
        out.append(
            f"| {result['database']} | {result['post_rate']:,} | {result['raw_rate']:,} |"
            f" {result['ratio_to_raw']} | {_ms(soh['at_date'])} | {_ms(soh['today'])} |"  # type: ignore[index]
            f" {_ms(report['refresh'])} | {_ms(report['one_note'])} |"  # type: ignore[index]
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench inventory")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--worker", default="")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.lines), default=lambda o: o.__dict__))
        return 0
    from benchmarks.common import write_results

    results = {}
    for database in args.databases.split(","):
        print(f"{database}: {args.lines:,} lines…", flush=True)
        results[database] = _run_worker(database, args.lines)
        print(json.dumps(results[database], ensure_ascii=False, default=str), flush=True)
    write_results(
        "inventory", {"lines": args.lines, "results": results}, _markdown(results, args.lines)
    )
    print(_markdown(results, args.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
