"""Helpers shared by the benchmark programs: worker processes, timing, percentiles and result
files."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class Measure:
    name: str
    p50_ms: float
    p95_ms: float
    runs: int
    queries: int


def measure(name: str, run: Callable[[], object], *, runs: int, warmup: int = 3) -> Measure:
    """Run `run` warmup + runs times; report wall-clock percentiles and the queries of one run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        run()
    with CaptureQueriesContext(connection) as captured:
        run()
    queries = len(captured.captured_queries)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Measure(name, round(statistics.median(samples), 2), round(p95, 2), runs, queries)


def write_results(name: str, payload: dict[str, object], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=lambda o: asdict(o)) + "\n",
        encoding="utf-8",
    )
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")


def fresh_worker_env(
    database: str, *, pg_database: str, data_dir_prefix: str, log_level: str | None = None
) -> dict[str, str]:
    """The environment of a worker process that starts from nothing.

    Each run gets an empty data directory and, on PostgreSQL, its own database dropped and
    created again, so no run measures rows or files left by an earlier one. DATABASE_URL is
    dropped from the caller's environment: on SQLite the settings' default file in the data
    directory must be used, not whatever database the shell points at. HAUCAN_LOG_LEVEL is set
    only when given: a program that does not ask keeps the caller's logging.
    """
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "haucan.config.settings"}
    env.pop("DATABASE_URL", None)
    if database == "postgresql":
        _recreate_pg_database(pg_database)
        env["DATABASE_URL"] = f"{PG_SERVER}/{pg_database}"
    env["HAUCAN_DATA_DIR"] = tempfile.mkdtemp(prefix=data_dir_prefix)
    if log_level is not None:
        env["HAUCAN_LOG_LEVEL"] = log_level
    return env


def _recreate_pg_database(name: str) -> None:
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def run_worker(module: str, database: str, *args: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Run `python -m <module> --worker <database> *args` and return the JSON it prints last.

    The measuring runs in a child process so that each database gets a fresh Django set-up and
    its own peak memory. Only the last stdout line is read, as whatever a library prints
    before the result is not JSON; a failed worker stops the program with its stderr's tail.
    """
    done = subprocess.run(
        [sys.executable, "-m", module, "--worker", database, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {database} run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
