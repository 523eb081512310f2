"""`haucan bench entry`: the data-entry screen's server time on the demo database.

Measures, on SQLite and on PostgreSQL, with the Django test client in-process (server time only):
- rendering the entry screen of a 300-cell form (75 elements x 4 fuel groups, 5 sections);
- saving one cell through the autosave endpoint, and a batch of 100 queued cells (no target:
  it shows what one request of the screen's queue costs);
- submitting the report with 20 validation rules;
- the baseline: GET /health/, the floor of one authenticated request through the same stack.
Targets at p50: 150 ms, 25 ms and 200 ms. Each database runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.common import fresh_worker_env, run_worker

TARGETS_MS = {"render": 150.0, "save": 25.0, "submit": 200.0}
PG_DB = "haucan_bench"
ELEMENTS, SECTIONS, RULES = 75, 5, 20


def _bench_form(unit_id: int) -> tuple[str, list[tuple[str, str]]]:
    """Create (once) the 300-cell benchmark form and its 20 rules; return its code and cells."""
    from haucan.catalog.models import (
        DataElement,
        DataSet,
        DataSetElement,
        Section,
        SectionElement,
        ValidationRule,
        ValueType,
    )
    from haucan.catalog.services import create_category_combo, ensure_default_combo
    from haucan.core.scope import Scope

    code = "BENCH_300"
    existing = DataSet.objects.filter(code=code).first()
    system = Scope.system("bench")
    if existing is None:
        combo = create_category_combo(
            system,
            code="BENCH_FUEL",
            name="Nhóm nhiên liệu (bench)",
            categories=[
                (
                    "BENCH_FUEL_GROUP",
                    "Nhóm nhiên liệu (bench)",
                    [
                        ("BX92", "Xăng A92"),
                        ("BX95", "Xăng A95"),
                        ("BDO", "Diesel"),
                        ("BJET", "TC-1"),
                    ],
                ),
            ],
        )
        data_set = DataSet.objects.create(
            code=code,
            name="Biểu mẫu 300 ô (đo hiệu năng)",
            domain="petroleum",
            period_type="Monthly",
            category_combo=ensure_default_combo(),
            timely_days=3650,
        )
        elements = DataElement.objects.bulk_create(
            DataElement(
                code=f"BENCH_E{i:02d}",
                name=f"Chỉ tiêu đo {i:02d}",
                domain="petroleum",
                value_type=ValueType.NUMBER,
                category_combo=combo,
            )
            for i in range(ELEMENTS)
        )
        elements = list(DataElement.objects.filter(code__startswith="BENCH_E").order_by("code"))
        DataSetElement.objects.bulk_create(
            DataSetElement(data_set=data_set, data_element=e) for e in elements
        )
        per = ELEMENTS // SECTIONS
        for s in range(SECTIONS):
            section = Section.objects.create(data_set=data_set, name=f"Phần {s + 1}", sort_order=s)
            SectionElement.objects.bulk_create(
                SectionElement(section=section, data_element=e, sort_order=i)
                for i, e in enumerate(elements[s * per : (s + 1) * per])
            )
        for r in range(RULES):
            ValidationRule.objects.create(
                code=f"BENCH_R{r:02d}",
                name=f"Quy tắc đo {r:02d}",
                domain="petroleum",
                period_type="Monthly",
                left=f"#{{BENCH_E{r:02d}}}",
                operator="greater_than_or_equal_to",
                right=f"#{{BENCH_E{r:02d}.BENCH_FUEL_1}}",
                importance="MEDIUM",
            )
        data_set.units.add(unit_id)
    cocs = ["BENCH_FUEL_1", "BENCH_FUEL_2", "BENCH_FUEL_3", "BENCH_FUEL_4"]
    cells = [(f"BENCH_E{i:02d}", coc) for i in range(ELEMENTS) for coc in cocs]
    return code, cells


def _describe(connection: object) -> str:
    if connection.vendor == "sqlite":  # type: ignore[attr-defined]
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return f"PostgreSQL {connection.pg_version}"  # type: ignore[attr-defined]


def worker(database: str) -> dict[str, object]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from benchmarks.common import measure
    from haucan.accounts.models import Assignment
    from haucan.catalog.models import DataSet
    from haucan.core.periods import PeriodType, period_of
    from haucan.core.scope import Scope
    from haucan.demo.loader import load_demo
    from haucan.org.models import Unit
    from haucan.reporting.models import CompleteRegistration
    from haucan.reporting.services.values import CellInput, resolve_target, save_values

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not Unit.objects.exists():
        load_demo(months=24, seed=20231)
    load_seconds = round(time.perf_counter() - started, 1)
    clerk = Assignment.objects.select_related("user", "unit").get(user__username="clerk_a")
    code, cells = _bench_form(clerk.unit_id)
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id
    data_set = DataSet.objects.get(code=code)
    CompleteRegistration.objects.filter(data_set=data_set).delete()
    system = Scope.system("bench")
    target = resolve_target(system, data_set, clerk.unit, period)
    save_values(
        system, target, [CellInput(de, str(10 + n % 7), coc) for n, (de, coc) in enumerate(cells)]
    )

    client = Client()
    client.force_login(clerk.user)
    query = {"ds": code, "ou": clerk.unit.uid, "pe": period}
    state = {"n": 0, "version": None}

    def render() -> None:
        response = client.get("/reporting/entry/", query)
        assert response.status_code == 200, response.status_code
        assert response.content.count(b"data-de=") >= 300

    def save_one() -> None:
        state["n"] += 1
        body = {
            **query,
            "de": "BENCH_E00",
            "coc": "BENCH_FUEL_2",
            "value": str(100 + state["n"] % 50),
        }
        if state["version"] is not None:
            body["version"] = str(state["version"])
        response = client.post("/reporting/entry/save/", body)
        assert response.status_code == 200, response.content
        state["version"] = response.json()["version"]

    batch_cells = cells[:100]
    batches = [0]

    def save_batch() -> None:
        # What the screen sends when a hundred cells were queued (a fast typist, a slow line).
        batches[0] += 1
        body = {
            **query,
            "cells": [
                {"de": de, "coc": coc, "value": str(200 + (batches[0] + k) % 50)}
                for k, (de, coc) in enumerate(batch_cells)
            ],
        }
        response = client.post(
            "/reporting/entry/save/", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert all(r["ok"] for r in response.json()["results"]), response.content

    def submit() -> None:
        response = client.post("/reporting/entry/submit/", query)
        assert response.status_code == 200, response.content
        # Reopen directly (one UPDATE) so every run submits; this is outside the measured request.
        CompleteRegistration.objects.filter(data_set=data_set).update(is_complete=False)

    def baseline() -> None:
        assert client.get("/health/").status_code == 200

    results = {
        "database": _describe(connection),
        "demo_load_seconds": load_seconds,
        "cells": len(cells),
        "rules": RULES,
        "measures": [
            measure("baseline", baseline, runs=50),
            measure("render", render, runs=30),
            measure("save", save_one, runs=60),
            measure("save_batch_100", save_batch, runs=30),
            measure("submit", submit, runs=30),
        ],
    }
    return results


def _run_worker(database: str) -> dict[str, object]:
    env = fresh_worker_env(database, pg_database=PG_DB, data_dir_prefix="haucan-bench-")
    return run_worker("benchmarks.entry", database, env=env)


def _markdown(runs: dict[str, dict[str, object]]) -> str:
    lines = [
        "# `haucan bench entry`",
        "",
        "Server time of the data-entry endpoints, in-process through the whole Django stack",
        "(middleware, session, scope, templates), on the demo army with a 300-cell form and",
        "20 validation rules. The baseline is `GET /health/`, the floor of one request.",
        "",
        "| database | measure | p50 ms | p95 ms | target p50 | queries | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, run in runs.items():
        for m in run["measures"]:  # type: ignore[union-attr]
            target = TARGETS_MS.get(m["name"])
            lines.append(
                f"| {name} | {m['name']} | {m['p50_ms']} | {m['p95_ms']} | "
                f"{'≤ ' + format(target, 'g') if target else '—'} | {m['queries']} | {m['runs']} |"
            )
    lines += ["", "Databases: " + "; ".join(f"{k}: {v['database']}" for k, v in runs.items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench entry")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"])
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker), default=lambda o: o.__dict__))
        return 0
    from benchmarks.common import write_results

    runs = {db: _run_worker(db) for db in args.databases.split(",")}
    payload = {
        "program": "entry",
        "targets_ms": TARGETS_MS,
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    markdown = _markdown(runs)
    write_results("entry", payload, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
