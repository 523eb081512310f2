"""`haucan bench barracks`: the barracks registry's summaries and its Excel import.

On an army of 2,000 units, 10,000 land sites and 100,000 buildings (generated in bulk, seeded):
- full: computing the four barracks forms for every unit for the current periods, army-wide,
  with the grouped SQL of `haucan.barracks.summaries` (target ≤ 5 s); baseline: the same values
  computed unit by unit (one set of queries per unit, the naive loop a report writer would write);
- publishing: writing the computed values through `publish_source_values`, measured on a sample of
  units and given per unit (the full publication is that times the units that hold sites);
- incremental: registering one building through the service, which raises its warnings and
  republishes the unit's two building forms (target ≤ 100 ms); and the republication alone;
- import: a 10,000-row building spreadsheet through `import_buildings` (target ≤ 20 s); baseline:
  the same rows registered one by one through `register_building`, timed on 200 rows and scaled.
Each database runs in its own process with a fresh data directory.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from typing import Any

from benchmarks.common import fresh_worker_env, run_worker

PG_DB = "haucan_bench_barracks"
UNITS, SITES, BUILDINGS, IMPORT_ROWS = 2_000, 10_000, 100_000, 10_000
# 5 % dangerous, as in the army's books; the rest good, fair or degraded.
CONDITIONS = ["Tốt"] * 9 + ["Trung bình"] * 7 + ["Xuống cấp"] * 3 + ["Nguy hiểm"]
TARGETS = {"full_s": 5.0, "incremental_ms": 100.0, "import_s": 20.0}


def _army(rng: random.Random) -> list[Any]:
    """2,000 units: the ministry, 40 commands, 1,959 regiments (bulk, level by level)."""
    from datetime import date

    from haucan.core.ids import generate_uid
    from haucan.org.models import Unit

    def batch(specs: list[tuple[str, str, Unit | None]], depth: int) -> list[Unit]:
        rows = []
        for code, name, parent in specs:
            uid = generate_uid()
            rows.append(
                Unit(
                    uid=uid,
                    code=code,
                    name=name,
                    search_name=name.lower(),
                    parent=parent,
                    path=f"{parent.path if parent else '/'}{uid}/",
                    depth=depth,
                    opened_on=date(2000, 1, 1),
                )
            )
        Unit.objects.bulk_create(rows)
        return list(Unit.objects.filter(depth=depth).order_by("code"))

    root = batch([("B", "Bộ (đo)", None)], 1)[0]
    commands = batch([(f"B-{i:02d}", f"Bộ tư lệnh {i}", root) for i in range(40)], 2)
    leaves = batch(
        [
            (f"B-{i % 40:02d}-{i:04d}", f"Trung đoàn {i}", commands[i % 40])
            for i in range(UNITS - 41)
        ],
        3,
    )
    return commands + leaves


def _registry(rng: random.Random, units: list[Any], today: Any) -> None:
    from datetime import date
    from decimal import Decimal

    from haucan.barracks.models import (
        AreaEvent,
        AreaEventKind,
        Building,
        BuildingType,
        CaseKind,
        ConditionLevel,
        DurabilityClass,
        LandCase,
        LandCertificate,
        LandPurpose,
        LandSite,
        PartyKind,
    )

    purposes = list(LandPurpose.objects.all())
    types = list(BuildingType.objects.all())
    classes = list(DurabilityClass.objects.all())
    conditions = list(ConditionLevel.objects.all())
    LandSite.objects.bulk_create(
        [
            LandSite(
                code=f"S{i:05d}",
                name=f"Khu đất {i}",
                search_name=f"s{i:05d} khu dat {i}",
                unit=units[i % len(units)],
                opened_on=date(2000 + i % 20, 1, 1),
            )
            for i in range(SITES)
        ],
        batch_size=2000,
    )
    sites = list(LandSite.objects.order_by("code"))
    events, certs, cases = [], [], []
    for i, site in enumerate(sites):
        total = Decimal(rng.randrange(10_000, 500_000, 100))
        main = purposes[i % len(purposes)]
        events.append(
            AreaEvent(
                site=site,
                purpose=main,
                effective_on=site.opened_on,
                kind=AreaEventKind.OPENING,
                delta=total * Decimal("0.8"),
            )
        )
        events.append(
            AreaEvent(
                site=site,
                purpose=None,
                effective_on=site.opened_on,
                kind=AreaEventKind.OPENING,
                delta=total * Decimal("0.2"),
            )
        )
        if i % 3:
            certs.append(
                LandCertificate(
                    site=site,
                    number=f"CS{i}",
                    issued_on=date(2020, 1, 1),
                    area=total * Decimal("0.5"),
                    purpose=main,
                    authority="UBND",
                )
            )
        if i % 5 == 0:
            cases.append(
                LandCase(
                    site=site,
                    kind=CaseKind.DISPUTE if i % 2 else CaseKind.ENCROACHMENT,
                    party_kind=PartyKind.HOUSEHOLD,
                    party="Hộ dân",
                    area=Decimal(500),
                    opened_on=date(today.year, 1, 1),
                )
            )
    AreaEvent.objects.bulk_create(events, batch_size=5000)
    LandCertificate.objects.bulk_create(certs, batch_size=5000)
    LandCase.objects.bulk_create(cases, batch_size=5000)
    rows = []
    for i in range(BUILDINGS):
        site = sites[i % len(sites)]
        klass = classes[i % len(classes)]
        start = 1970 + i % 50
        rows.append(
            Building(
                site=site,
                unit_id=site.unit_id,
                code=f"B{i:06d}",
                name=f"Nhà {i}",
                search_name=f"b{i:06d} nha {i}",
                type=types[i % len(types)],
                durability=klass,
                built_area=Decimal(200),
                floor_area=Decimal(400),
                capacity=50,
                year_built=start,
                year_in_service=start,
                service_life_years=klass.default_years,
                end_of_life_year=start + klass.default_years,
                condition=conditions[i % len(conditions)],
            )
        )
    Building.objects.bulk_create(rows, batch_size=5000)


def _spreadsheet(sites: list[Any], rows: int, prefix: str) -> bytes:
    from openpyxl import Workbook

    from haucan.barracks.templates_xlsx import BUILDING_HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(BUILDING_HEADERS)
    for i in range(rows):
        site = sites[i % len(sites)]
        sheet.append(
            [
                site.unit.code,
                site.code,
                f"{prefix}{i:06d}",
                f"Nhà nhập {i}",
                "Nhà ở",
                "III",
                "III",
                2,
                200,
                400,
                60,
                "Ở",
                1995 + i % 25,
                1996 + i % 25,
                30,
                CONDITIONS[i % 20],
                1_000_000_000,
                None,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def worker(database: str) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from benchmarks.common import measure
    from haucan.barracks import summaries
    from haucan.barracks.models import BuildingType, ConditionLevel, DurabilityClass, LandSite
    from haucan.barracks.services import importer, publish
    from haucan.barracks.services.buildings import BuildingInput, register_building
    from haucan.catalog.models import DataSet
    from haucan.core.periods import PeriodType, period_of
    from haucan.core.scope import Scope
    from haucan.demo.catalog import load_catalog, read_catalog

    call_command("migrate", verbosity=0)
    rng = random.Random(20240)
    today = timezone.localdate()
    system = Scope.system("bench")
    started = time.perf_counter()
    load_catalog(system, read_catalog())
    units = _army(rng)
    _registry(rng, units, today)
    setup_s = round(time.perf_counter() - started, 1)
    periods = {
        form: period_of(today, PeriodType(DataSet.objects.get(code=form).period_type))
        for form in summaries.FORMS
    }

    def full() -> dict[int, Any]:
        maps = summaries.Maps.load()
        out: dict[int, Any] = {}
        for form, period in periods.items():
            for uid, values in summaries.compute(form, period, None, today, maps).items():
                out.setdefault(uid, {}).update({(form, *k): v for k, v in values.items()})
        return out

    def naive() -> dict[int, Any]:
        maps = summaries.Maps.load()
        out: dict[int, Any] = {}
        for unit in units:
            for form, period in periods.items():
                values = summaries.compute(form, period, [unit.pk], today, maps)[unit.pk]
                out.setdefault(unit.pk, {}).update({(form, *k): v for k, v in values.items()})
        return out

    t0 = time.perf_counter()
    everything = full()
    full_s = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    unit_by_unit = naive()
    naive_s = round(time.perf_counter() - t0, 2)
    assert everything == unit_by_unit, "the grouped and the unit-by-unit values differ"

    sample = units[:50]
    t0 = time.perf_counter()
    written = publish.publish(system, [u.pk for u in sample], summaries.FORMS, since=today)
    publish_per_unit_ms = round((time.perf_counter() - t0) * 1000 / len(sample), 1)

    types = {t.code: t for t in BuildingType.objects.all()}
    klass = DurabilityClass.objects.get(code="IV")
    condition = ConditionLevel.objects.get(code="TOT")
    site = LandSite.objects.select_related("unit").order_by("code").first()
    assert site is not None
    counter = iter(range(10**6))

    def one_building() -> None:
        register_building(
            system,
            BuildingInput(
                site=site,
                code=f"INC{next(counter):06d}",
                name="Nhà mới",
                type=types["NHA_O"],
                durability=klass,
                condition=condition,
                year_built=1990,
                year_in_service=1990,
                built_area="100",
            ),
        )

    def republish() -> None:
        publish.buildings_changed(system, [site.unit_id], since=today)

    incremental = measure(
        "incremental: register one building (warnings + republication)", one_building, runs=20
    )
    republication = measure("incremental: republish one unit's building forms", republish, runs=20)

    # A command's spreadsheet: the sites of the 49 regiments under one command (and its own).
    command = units[0]
    sites = list(
        LandSite.objects.select_related("unit")
        .filter(unit__path__startswith=command.path)
        .order_by("code")
    )
    content = _spreadsheet(sites, IMPORT_ROWS, "IMP")
    t0 = time.perf_counter()
    result = importer.import_buildings(system, content)
    import_s = round(time.perf_counter() - t0, 2)
    assert result.created == IMPORT_ROWS
    # Baseline: the same rows one by one through the single-building service, on 200 rows.
    rows_naive = 200
    t0 = time.perf_counter()
    for i in range(rows_naive):
        s = sites[i % len(sites)]
        register_building(
            system,
            BuildingInput(
                site=s,
                code=f"ONE{i:06d}",
                name=f"Nhà {i}",
                type=types["NHA_O"],
                durability=DurabilityClass.objects.get(code="III"),
                condition=condition,
                year_built=1995 + i % 25,
                year_in_service=1996 + i % 25,
                service_life_years=30,
                built_area="200",
                floor_area="400",
            ),
        )
    naive_import_s = round((time.perf_counter() - t0) * IMPORT_ROWS / rows_naive, 1)

    vendor = connection.vendor
    version = getattr(connection, "pg_version", "") if vendor == "postgresql" else ""
    return {
        "database": f"{vendor} {version}".strip(),
        "setup_seconds": setup_s,
        "units": len(units) + 1,
        "sites": SITES,
        "buildings": BUILDINGS,
        "full_seconds": full_s,
        "naive_full_seconds": naive_s,
        "publish_per_unit_ms": publish_per_unit_ms,
        "publish_sample_units": len(sample),
        "publish_values_written": written,
        "units_with_sites": len(summaries.site_units()),
        "incremental": incremental,
        "republication": republication,
        "import_rows": IMPORT_ROWS,
        "import_units": result.units,
        "import_seconds": import_s,
        "naive_import_seconds_scaled": naive_import_s,
        "naive_import_rows_timed": rows_naive,
    }


def _run_worker(database: str) -> dict[str, object]:
    env = fresh_worker_env(database, pg_database=PG_DB, data_dir_prefix="haucan-bench-barracks-")
    return run_worker("benchmarks.barracks_bench", database, env=env)


def _markdown(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# `haucan bench barracks`",
        "",
        f"{UNITS:,} units, {SITES:,} land sites, {BUILDINGS:,} buildings; the four barracks forms",
        "for the current periods. Baselines measured in the same run.",
        "",
        "| database | measure | result | baseline | target |",
        "|---|---|---:|---:|---:|",
    ]
    for name, r in runs.items():
        inc, rep = r["incremental"], r["republication"]
        units_with_sites = r["units_with_sites"]
        lines += [
            f"| {name} | full recompute, army-wide (grouped SQL) | {r['full_seconds']} s | "
            f"{r['naive_full_seconds']} s unit by unit | ≤ 5 s |",
            f"| {name} | publishing the values, per unit (sample of {r['publish_sample_units']}) | "
            f"{r['publish_per_unit_ms']} ms | — | — |",
            f"| {name} | publishing all {units_with_sites:,} units (per-unit time × units) | "
            f"{round(r['publish_per_unit_ms'] * units_with_sites / 1000, 1)} s | — | — |",
            f"| {name} | incremental: one building registered (p50 / p95) | "
            f"{inc['p50_ms']} / {inc['p95_ms']} ms | — | ≤ 100 ms |",
            f"| {name} | incremental: republication of one unit (p50 / p95) | "
            f"{rep['p50_ms']} / {rep['p95_ms']} ms | — | ≤ 100 ms |",
            f"| {name} | import of {r['import_rows']:,} building rows "
            f"({r['import_units']} units) | "
            f"{r['import_seconds']} s | "
            f"{r['naive_import_seconds_scaled']} s row by row (scaled from "
            f"{r['naive_import_rows_timed']}) | ≤ 20 s |",
        ]
    lines += ["", "Databases: " + "; ".join(f"{k}: {v['database']}" for k, v in runs.items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench barracks")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"])
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker), default=lambda o: o.__dict__))
        return 0
    from benchmarks.common import write_results

    runs = {db: _run_worker(db) for db in args.databases.split(",")}
    payload: dict[str, object] = {
        "program": "barracks",
        "targets": TARGETS,
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    markdown = _markdown(runs)
    write_results("barracks", payload, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
