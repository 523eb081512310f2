"""Helpers shared by the benchmark programs: timing, percentiles and result files."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


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
