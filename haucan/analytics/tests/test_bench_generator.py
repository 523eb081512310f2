"""`haucan bench analytics`: the seeded generator is deterministic, and the three answerers agree.

The naive SQL baseline, the DuckDB reference and the engine must give the same Q1 (a SUM element
by LEVEL-2 over 12 months) on the `--small` dataset; a benchmark comparing wrong answers would be
worthless. No timing is asserted (DESIGN.md §10).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from benchmarks.analytics_data import (
    DEFAULT,
    SMALL,
    Params,
    build,
    checksum,
    compare,
    export_for_duckdb,
    iter_values,
    make_plan,
    naive_answer,
    query_params,
    shapes,
)


def test_small_generator_is_deterministic() -> None:
    first, second = make_plan(SMALL), make_plan(SMALL)
    assert first.unit_uids == second.unit_uids
    assert [e.uid for e in first.elements] == [e.uid for e in second.elements]
    count, digest = checksum(first)
    assert (count, digest) == checksum(second)
    assert sum(first.level_sizes) == SMALL.units and len(first.level_sizes) == 6
    assert 30_000 <= count <= 100_000
    other = make_plan(Params(**{**SMALL.__dict__, "seed": SMALL.seed + 1}))
    assert checksum(other)[1] != digest


@pytest.mark.parametrize("params", [SMALL, DEFAULT], ids=["small", "default"])
def test_moves_fall_inside_the_query_year(params: Params) -> None:
    plan = make_plan(params)
    # Otherwise Q7 (each period by its own tree) would equal Q1 over the query year.
    assert plan.move_date.year == plan.year and plan.move_date.month == 7
    assert plan.months[0].year < plan.year or len(plan.months) == 12


def test_plan_has_the_shapes_the_queries_need() -> None:
    plan = make_plan(SMALL)
    aggregations = {e.aggregation for e in plan.elements}
    assert {"SUM", "LAST", "AVERAGE"} <= aggregations
    assert {e.options for e in plan.elements} == {1, 2, 3, 4}
    assert plan.move_units, "a few regiments must move so Q7 differs from Q1"
    before = plan.parents(after_moves=False)
    after = plan.parents(after_moves=True)
    # The moves cross level-2 subtrees.
    assert all(before[before[u]] != after[after[u]] for u in plan.move_units)  # type: ignore[index]
    # Every value belongs to a planned unit, element option and month.
    for unit, element, option, month, value in iter_values(plan):
        assert plan.unit_depth[unit] >= 4
        assert 0 <= option < plan.elements[element].options
        assert 0 <= month < len(plan.months) and value >= 0
    assert set(query_params(plan)) == set(shapes(plan)) == {f"Q{i}" for i in range(1, 8)}


@pytest.fixture
def small(db: None) -> tuple[object, object]:
    plan = make_plan(SMALL)
    built = build(plan)
    return plan, built


def test_small_dataset_loads_exactly_the_generated_values(small: tuple[object, object]) -> None:
    from haucan.reporting.models import DataValue

    plan, built = small
    assert (built.values, built.checksum) == checksum(plan)  # type: ignore[attr-defined,arg-type]
    assert DataValue.objects.count() == built.values  # type: ignore[attr-defined]


def test_naive_baseline_and_duckdb_agree_on_q1(
    small: tuple[object, object], tmp_path: Path
) -> None:
    pytest.importorskip("duckdb", reason="duckdb is a dev extra (pip install -e '.[dev]')")
    from benchmarks.analytics_data import duckdb_answer, duckdb_load, duckdb_sql, duckdb_unit_ids

    plan, built = small
    q = shapes(plan)  # type: ignore[arg-type]
    naive = naive_answer(plan, built, "Q1", q["Q1"])  # type: ignore[arg-type]
    assert naive and sum(naive.values()) > 0
    export_for_duckdb(plan, built, tmp_path)  # type: ignore[arg-type]
    con = duckdb_load(tmp_path)
    ids = duckdb_unit_ids(con)
    for name in ("Q1", "Q7"):
        sql = duckdb_sql(plan, name, q[name], ids)  # type: ignore[arg-type]
        duck = duckdb_answer(con, plan, name, q[name], sql, ids)  # type: ignore[arg-type]
        base = naive_answer(plan, built, name, q[name])  # type: ignore[arg-type]
        assert compare(duck, base)["mismatches"] == 0, compare(duck, base)
    # Q7 (the tree as it was in each period) is not Q1: the moved regiments count elsewhere.
    assert naive != naive_answer(plan, built, "Q7", q["Q7"])  # type: ignore[arg-type]


@pytest.mark.skipif(
    importlib.util.find_spec("haucan.analytics.engine") is None,
    reason="haucan.analytics.engine does not exist yet; nothing to compare with the baseline",
)
def test_engine_agrees_with_the_baseline_on_q1_and_q7(small: tuple[object, object]) -> None:
    from haucan.analytics import store
    from haucan.analytics.engine import run_query
    from haucan.analytics.query import parse_query
    from haucan.core.scope import Scope

    plan, built = small
    store.rebuild()
    q = shapes(plan)  # type: ignore[arg-type]
    params = query_params(plan)  # type: ignore[arg-type]
    for name in ("Q1", "Q7"):
        result = run_query(Scope.system("test"), parse_query(params[name]))
        engine = {"|".join(k): v for k, v in result.value_map().items()}
        base = naive_answer(plan, built, name, q[name])  # type: ignore[arg-type]
        assert compare(base, engine)["mismatches"] == 0, compare(base, engine)
