"""`haucan bench medical`: the treatment reports from episodes, and the hospital board.

For each database (SQLite, PostgreSQL), in its own process with a fresh database, a 1,000-bed
hospital (20 departments of 50 planned / 55 set-up beds) with about 40,000 episodes over the last
year (≈ 110 admissions a day, ≈ 9-day stays):

- recompute: the daily treatment form for every day of the year from the episodes and written
  through the reporting service (365 reports, all values audited), target ≤ 5 s; its compute part
  alone (one sweep over the stays) against the naive baseline, per-day COUNT queries;
- incremental: one admission with its report update (today's daily form), target ≤ 100 ms p50,
  against the same admission without the report update (the admission's own cost);
- board: the hospital board fragment through the whole Django stack, target ≤ 200 ms p50, against
  GET /health/ (the floor of one request).

    haucan bench medical [--episodes 40000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from benchmarks.common import fresh_worker_env, run_worker

PG_DB = "haucan_bench_medical"
TARGETS = {"recompute_s": 5.0, "incremental_ms": 100.0, "board_ms": 200.0}
DEPARTMENTS, PLANNED, SET_UP = 20, 50, 55


def _setup(episodes: int) -> tuple[Any, Any]:
    from datetime import date, datetime, timedelta
    from datetime import time as dtime

    from django.utils import timezone

    from haucan.accounts.services import assign, create_user
    from haucan.core.scope import Domain, Scope
    from haucan.core.text import fold
    from haucan.demo.catalog import load_catalog, read_catalog
    from haucan.medical.models import (
        BedCount,
        Department,
        EntrySource,
        Episode,
        Patient,
        Tier,
    )
    from haucan.medical.services.facilities import register_facility
    from haucan.org.models import UnitKind
    from haucan.org.services import UnitSpec, create_unit

    system = Scope.system("bench")
    doc = read_catalog()
    forms = [d for d in doc["dataSets"] if d["code"] == "QY_THU_DUNG_NGAY"]
    codes = {c for d in forms for s in d["sections"] for c in s["dataElements"]}
    load_catalog(
        system,
        {
            **doc,
            "dataSets": forms,
            "dataElements": [e for e in doc["dataElements"] if e["code"] in codes],
            "indicators": [],
            "validationRules": [],
            "normSets": [],
        },
    )
    from haucan.catalog.models import DataSet

    opened = date(2020, 1, 1)
    root = create_unit(system, spec=UnitSpec(name="Bộ", code="BQP"), parent=None, opened_on=opened)
    unit = create_unit(
        system,
        spec=UnitSpec(name="Bệnh viện 1000 giường", code="BV1000", kind=UnitKind.HOSPITAL),
        parent=root,
        opened_on=opened,
    )
    DataSet.objects.get(code="QY_THU_DUNG_NGAY").units.add(unit)
    facility = register_facility(system, unit, tier=Tier.CENTRAL_HOSPITAL)
    depts = Department.objects.bulk_create(
        Department(facility=facility, code=f"K{i:02d}", name=f"Khoa {i}")
        for i in range(DEPARTMENTS)
    )
    BedCount.objects.bulk_create(
        BedCount(department=d, valid_from=opened, planned=PLANNED, set_up=SET_UP) for d in depts
    )
    user = create_user(
        system,
        username="clerk_bench",
        password="x-Bench-2024-x",  # noqa: S106 - a throw-away benchmark user, check_password=False
    )
    assign(system, user, unit, "clerk", Domain.MEDICAL)

    rng = random.Random(1)
    today = timezone.localdate()
    start = today - timedelta(days=364)
    now = timezone.now()
    categories = ["officer", "professional", "nco_soldier", "defence_worker", "insured", "civilian"]
    icd = [("J18.9", "X"), ("I10", "IX"), ("K35.8", "XI"), ("S82.2", "XIX"), ("A09", "I")]
    patients, rows = [], []
    for n in range(episodes):
        admitted = timezone.make_aware(
            datetime.combine(start, dtime()) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        )
        if admitted >= now:
            admitted = now - timedelta(hours=1)
        out = admitted + timedelta(days=rng.gammavariate(2.0, 4.5))
        closed = out < now
        patients.append(
            Patient(
                facility=facility,
                code=f"P{n:06d}",
                full_name=f"Người bệnh {n}",
                search_name=fold(f"Nguoi benh {n}"),
                category=rng.choice(categories),
            )
        )
        rows.append((admitted, out if closed else None))
    Patient.objects.bulk_create(patients, batch_size=5000)
    kinds = ["home"] * 96 + ["transfer"] * 3 + ["died"]
    Episode.objects.bulk_create(
        (
            Episode(
                facility=facility,
                key=f"LK{n:06d}",
                patient=p,
                category=p.category,
                admitted_at=a,
                admit_day=timezone.localtime(a).date(),
                admission_department=depts[n % DEPARTMENTS],
                department=depts[n % DEPARTMENTS],
                icd10=icd[n % 5][0],
                icd_chapter=icd[n % 5][1],
                emergency=n % 9 == 0,
                discharged_at=o,
                discharge_day=timezone.localtime(o).date() if o else None,
                discharge_kind=rng.choice(kinds) if o else "",
                outcome="improved" if o else "",
                source=EntrySource.DEMO,
            )
            for n, (p, (a, o)) in enumerate(zip(patients, rows, strict=True))
        ),
        batch_size=5000,
    )
    return facility, user


def _naive_compute(facility: Any, start: Any, end: Any) -> int:
    """The obvious way: for each day, COUNT queries for the census, admissions and discharges."""
    from datetime import timedelta

    from django.db.models import Count, Q

    from haucan.medical.models import Episode

    day, n = start, 0
    while day <= end:  # type: ignore[operator]
        qs = Episode.objects.filter(facility=facility)
        qs.filter(admit_day__lte=day).filter(
            Q(discharge_day__isnull=True) | Q(discharge_day__gt=day)
        ).values("category").annotate(n=Count("id")).count()
        qs.filter(admit_day=day).values("category").annotate(n=Count("id")).count()
        qs.filter(discharge_day=day).values("category", "discharge_kind").annotate(
            n=Count("id")
        ).count()
        day += timedelta(days=1)  # type: ignore[operator]
        n += 1
    return n


def _describe(connection: object) -> str:
    if connection.vendor == "sqlite":  # type: ignore[attr-defined]
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return f"PostgreSQL {connection.pg_version}"  # type: ignore[attr-defined]


def worker(database: str, episodes: int) -> dict[str, object]:
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from benchmarks.common import measure
    from haucan.core.scope import Scope
    from haucan.medical.models import Episode
    from haucan.medical.services.episodes import PatientInput, admit
    from haucan.medical.services.publish import assigned_forms, compute, recompute
    from haucan.reporting.models import DataValue

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    facility, user = _setup(episodes)
    setup_s = round(time.perf_counter() - started, 1)
    system = Scope.system("bench")
    today = timezone.localdate()
    start = today - timedelta(days=364)
    forms = assigned_forms(facility)  # type: ignore[arg-type]

    t = time.perf_counter()
    recompute(system, facility, start, today, override_reason="bench")  # type: ignore[arg-type]
    first_s = time.perf_counter() - t
    values_written = DataValue.objects.filter(source="medical", deleted=False).count()
    # From empty again (the stored values cleared first), so each run computes and writes all
    # 365 reports; then once more with nothing changed (computed, compared, nothing written).
    runs = []
    for _ in range(2):
        DataValue.objects.filter(source="medical").delete()
        t = time.perf_counter()
        recompute(system, facility, start, today, override_reason="bench")  # type: ignore[arg-type]
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    recompute(system, facility, start, today, override_reason="bench")  # type: ignore[arg-type]
    unchanged_s = time.perf_counter() - t
    t = time.perf_counter()
    compute(facility, start, today, forms, today)  # type: ignore[arg-type]
    compute_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    _naive_compute(facility, start, today)
    naive_ms = (time.perf_counter() - t) * 1000

    from haucan.accounts.queries import resolve_scope

    scope = resolve_scope(user)  # type: ignore[arg-type]
    counter = {"n": 0}

    def one_admission(publish: bool) -> None:
        counter["n"] += 1
        n = counter["n"]
        admit(
            scope,
            facility,  # type: ignore[arg-type]
            patient=PatientInput(f"NEW{n:05d}", "Người bệnh mới", "nco_soldier"),
            department=f"K{n % DEPARTMENTS:02d}",
            admitted_at=timezone.now() - timedelta(minutes=5),
            icd10_code="J18.9",
            publish=publish,
        )

    incremental = measure("incremental", lambda: one_admission(True), runs=30)
    admission_only = measure("admission_only", lambda: one_admission(False), runs=30)

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    url = f"/medical/f/{facility.uid}/live/"  # type: ignore[attr-defined]

    def board() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def health() -> None:
        client.get("/health/")

    board_m = measure("board", board, runs=30)
    health_m = measure("health", health, runs=30)
    return {
        "database": _describe(connection),
        "episodes": Episode.objects.count(),
        "setup_s": setup_s,
        "recompute_first_s": round(first_s, 2),
        "recompute_s": round(min(runs), 2),
        "recompute_unchanged_s": round(unchanged_s, 2),
        "reports": 365,
        "values_written": values_written,
        "compute_sweep_ms": round(compute_ms, 1),
        "compute_naive_ms": round(naive_ms, 1),
        "measures": [incremental, admission_only, board_m, health_m],
    }


def _run_worker(database: str, episodes: int) -> dict[str, Any]:
    env = fresh_worker_env(database, pg_database=PG_DB, data_dir_prefix="haucan-bench-medical-")
    return run_worker("benchmarks.medical_bench", database, "--episodes", str(episodes), env=env)


def _markdown(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# `haucan bench medical`",
        "",
        "A 1,000-bed hospital (20 departments) with a year of episodes. *Recompute* rebuilds the",
        "daily treatment form for all 365 days from the episodes and writes it through the",
        "reporting service; its compute part is one sweep over the stays, compared with the naive",
        "per-day COUNT queries. *Incremental* is one admission with today's report update, against",
        "the same admission without it. *Board* is the hospital board fragment through the whole",
        "Django stack, against `GET /health/`.",
        "",
        "| database | episodes | recompute 365 days from empty (s, target ≤ 5) | "
        "recompute, nothing changed (s) | compute: sweep ms | compute: naive ms | "
        "values written |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in runs.items():
        lines.append(
            f"| {name} | {run['episodes']} | {run['recompute_s']} | "
            f"{run['recompute_unchanged_s']} | {run['compute_sweep_ms']} | "
            f"{run['compute_naive_ms']} | {run['values_written']} |"
        )
    lines += [
        "",
        "| database | measure | p50 ms | p95 ms | target p50 | queries | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    targets = {"incremental": TARGETS["incremental_ms"], "board": TARGETS["board_ms"]}
    for name, run in runs.items():
        for m in run["measures"]:  # type: ignore[union-attr]
            target = targets.get(m["name"])
            lines.append(
                f"| {name} | {m['name']} | {m['p50_ms']} | {m['p95_ms']} | "
                f"{'≤ ' + format(target, 'g') if target else 'baseline'} | {m['queries']} | "
                f"{m['runs']} |"
            )
    lines += ["", "Databases: " + "; ".join(f"{k}: {v['database']}" for k, v in runs.items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haucan bench medical")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"])
    parser.add_argument("--episodes", type=int, default=40_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.episodes), default=lambda o: o.__dict__))
        return 0
    from benchmarks.common import write_results

    runs = {db: _run_worker(db, args.episodes) for db in args.databases.split(",")}
    payload: dict[str, object] = {
        "program": "medical",
        "targets": TARGETS,
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    markdown = _markdown(runs)
    write_results("medical", payload, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
