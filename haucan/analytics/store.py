"""Keep the rollups equal to the raw values, on SQLite and PostgreSQL (ADR 0005).

Writers never call this module. `reporting` appends every numeric change to its `ValueChange`
outbox in the writing transaction, and `org` records every parent link in `UnitLink`.
`ensure_fresh()`, which the engine runs before answering, applies both: value changes as
set-based deltas on the unit's ancestors, tree changes by re-rolling only the ancestors that
gained or lost descendants. A full `rebuild()` recomputes everything from the raw values.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from haucan.analytics.models import Rollup, RollupState, StagedChange, StagedKey, UnitAncestor
from haucan.org.models import Unit, UnitLink
from haucan.reporting.models import ValueChange

ROLLUP = Rollup._meta.db_table
ANCESTOR = UnitAncestor._meta.db_table
STAGED = StagedChange._meta.db_table
KEYS = StagedKey._meta.db_table
OUTBOX = ValueChange._meta.db_table
VALUES = "reporting_datavalue"
LINKS = UnitLink._meta.db_table
STATE = RollupState._meta.db_table
KEY = "data_element_id, category_option_combo_id, attribute_option_combo_id, unit_id, period"


@dataclass(frozen=True)
class RebuildStats:
    seconds: float
    rows: int
    ancestors: int


def _least(a: str, b: str) -> str:
    # Both databases ignore a NULL side this way (SQLite's min() would return NULL).
    fn = "LEAST" if connection.vendor == "postgresql" else "MIN"
    return f"{fn}(COALESCE({a}, {b}), COALESCE({b}, {a}))"


def _greatest(a: str, b: str) -> str:
    fn = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return f"{fn}(COALESCE({a}, {b}), COALESCE({b}, {a}))"


def _rebuild_ancestors() -> int:
    """Rewrite the closure table from today's `Unit.path` (one pass over the units)."""
    ids = dict(Unit.objects.values_list("uid", "pk"))
    depth = dict(Unit.objects.values_list("pk", "depth"))
    rows: list[UnitAncestor] = []
    for unit_id, path in Unit.objects.values_list("pk", "path"):
        for uid in path.strip("/").split("/")[:-1]:
            ancestor = ids[uid]
            rows.append(
                UnitAncestor(unit_id=unit_id, ancestor_id=ancestor, ancestor_depth=depth[ancestor])
            )
    UnitAncestor.objects.all().delete()
    UnitAncestor.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _insert_from_values(where: str = "", params: Iterable[int] = ()) -> None:
    """Aggregate raw values onto their ancestors (optionally only some ancestors)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ROLLUP} (data_element_id, category_option_combo_id,
                attribute_option_combo_id, unit_id, period, period_start, period_end,
                total, count, minimum, maximum)
            SELECT v.data_element_id, v.category_option_combo_id, v.attribute_option_combo_id,
                a.ancestor_id, v.period, v.period_start, v.period_end,
                SUM(v.numeric_value), COUNT(*), MIN(v.numeric_value), MAX(v.numeric_value)
            FROM {VALUES} v JOIN {ANCESTOR} a ON a.unit_id = v.unit_id
            WHERE v.deleted = %s AND v.numeric_value IS NOT NULL {where}
            GROUP BY v.data_element_id, v.category_option_combo_id, v.attribute_option_combo_id,
                a.ancestor_id, v.period, v.period_start, v.period_end
            """,
            [False, *params],
        )


def _lock_state() -> RollupState:
    state, _ = RollupState.objects.select_for_update().get_or_create(singleton=1)
    return state


def rebuild() -> RebuildStats:
    """Recompute the closure and every rollup from the raw values."""
    started = time.perf_counter()
    with transaction.atomic():
        state = _lock_state()
        ancestors = _rebuild_ancestors()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ROLLUP}")
            cursor.execute(f"DELETE FROM {OUTBOX}")
            cursor.execute(f"DELETE FROM {STAGED}")
        _insert_from_values()
        state.link_watermark = (
            UnitLink.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        state.rebuilt_at = timezone.now()
        state.save()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ROLLUP}")
            cursor.execute(f"ANALYZE {ANCESTOR}")
    rows = Rollup.objects.count()
    return RebuildStats(round(time.perf_counter() - started, 3), rows, ancestors)


def pending() -> tuple[bool, bool]:
    """(value changes waiting, tree changes waiting), in one cheap query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT MAX(id) FROM {OUTBOX}),
                       (SELECT MAX(id) FROM {LINKS}),
                       (SELECT link_watermark FROM {STATE} WHERE singleton = 1)"""
        )
        last_change, last_link, watermark = cursor.fetchone()
    return last_change is not None, (last_link or 0) > (watermark if watermark is not None else -1)


def ensure_fresh() -> bool:
    """Apply pending tree and value changes; return True when anything was applied."""
    values_waiting, tree_waiting = pending()
    if not (values_waiting or tree_waiting):
        return False
    state = RollupState.objects.filter(singleton=1).first()
    if state is None or state.rebuilt_at is None:
        rebuild()  # never built: build once from scratch
        return True
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # These are small statements that the planner, costing them on a guess for the
            # staging tables, would JIT-compile: most of a second per statement at 10,000 units.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        state = _lock_state()
        if tree_waiting:
            _add_new_units()
        # Value deltas go first, on the closure the rollups were built with; the tree step then
        # re-rolls from the raw values every ancestor whose set of descendants changed.
        _apply_value_changes()
        if tree_waiting:
            _apply_tree_changes(state)
    return True


def _add_new_units() -> None:
    """Closure rows for units opened since the last run (their ancestors did not change)."""
    known = UnitAncestor.objects.values("unit_id")
    new = list(Unit.objects.filter(depth__gt=1).exclude(pk__in=known).values_list("pk", "path"))
    if not new:
        return
    uids = {uid for _pk, path in new for uid in path.strip("/").split("/")}
    ids = dict(Unit.objects.filter(uid__in=uids).values_list("uid", "pk"))
    depth = dict(Unit.objects.filter(uid__in=uids).values_list("pk", "depth"))
    UnitAncestor.objects.bulk_create(
        UnitAncestor(unit_id=pk, ancestor_id=ids[uid], ancestor_depth=depth[ids[uid]])
        for pk, path in new
        for uid in path.strip("/").split("/")[:-1]
    )


def _stage() -> bool:
    """Move the outbox into the staging table atomically; return True if a reset was asked."""
    columns = (
        "data_element_id, category_option_combo_id, attribute_option_combo_id, unit_id, period, "
        "period_start, period_end, old_number, new_number, reset"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement, one snapshot: a change committed meanwhile stays in the outbox.
            cursor.execute(
                f"WITH taken AS (DELETE FROM {OUTBOX} RETURNING {columns}) "
                f"INSERT INTO {STAGED} ({columns}) SELECT {columns} FROM taken"
            )
        else:
            # SQLite has one writer at a time, and we hold the write lock.
            cursor.execute(f"INSERT INTO {STAGED} ({columns}) SELECT {columns} FROM {OUTBOX}")
            cursor.execute(f"DELETE FROM {OUTBOX}")
        cursor.execute(f"SELECT 1 FROM {STAGED} WHERE reset = %s LIMIT 1", [True])
        return cursor.fetchone() is not None


def _apply_value_changes() -> None:
    reset = _stage()
    with connection.cursor() as cursor:
        if reset:
            cursor.execute(f"DELETE FROM {STAGED}")
            cursor.execute(f"DELETE FROM {KEYS}")
            cursor.execute(f"DELETE FROM {ROLLUP}")
            _insert_from_values()
            return
        # The cells touched: every strict ancestor of each changed unit, with the extremes of
        # the values that left them.
        cursor.execute(
            f"""
            INSERT INTO {KEYS} ({KEY}, old_minimum, old_maximum, stale_minimum, stale_maximum)
            SELECT c.data_element_id, c.category_option_combo_id, c.attribute_option_combo_id,
                a.ancestor_id, c.period, MIN(c.old_number), MAX(c.old_number), %s, %s
            FROM {STAGED} c JOIN {ANCESTOR} a ON a.unit_id = c.unit_id
            GROUP BY c.data_element_id, c.category_option_combo_id, c.attribute_option_combo_id,
                a.ancestor_id, c.period
            """,
            [False, False],
        )
        # Deltas onto every strict ancestor of the changed unit.
        cursor.execute(
            f"""
            INSERT INTO {ROLLUP} AS r (data_element_id, category_option_combo_id,
                attribute_option_combo_id, unit_id, period, period_start, period_end,
                total, count, minimum, maximum)
            SELECT c.data_element_id, c.category_option_combo_id, c.attribute_option_combo_id,
                a.ancestor_id, c.period, MIN(c.period_start), MIN(c.period_end),
                SUM(COALESCE(c.new_number, 0) - COALESCE(c.old_number, 0)),
                SUM(CASE WHEN c.new_number IS NULL THEN 0 ELSE 1 END)
                  - SUM(CASE WHEN c.old_number IS NULL THEN 0 ELSE 1 END),
                MIN(c.new_number), MAX(c.new_number)
            FROM {STAGED} c JOIN {ANCESTOR} a ON a.unit_id = c.unit_id
            WHERE 1 = 1
            GROUP BY c.data_element_id, c.category_option_combo_id, c.attribute_option_combo_id,
                a.ancestor_id, c.period
            ON CONFLICT ({KEY}) DO UPDATE SET
                total = r.total + excluded.total,
                count = r.count + excluded.count,
                minimum = {_least("r.minimum", "excluded.minimum")},
                maximum = {_greatest("r.maximum", "excluded.maximum")}
            """
        )
        _recompute_stale_extremes(cursor)
        cursor.execute(
            f"DELETE FROM {ROLLUP} WHERE count <= 0 AND ({KEY}) IN (SELECT {KEY} FROM {KEYS})"
        )
        cursor.execute(f"DELETE FROM {KEYS}")
        cursor.execute(f"DELETE FROM {STAGED}")


def _recompute_stale_extremes(cursor: Any) -> None:
    """Recompute from the raw values the minimum (maximum) of the cells that lost a value
    reaching it: only those can be wrong after the deltas.

    After the upsert a cell's minimum is min(m0, the lowest new value). When every value that
    left the cell is above that, the minimum is held by a value still there (an old one above
    m0's holder, or the new one that set it), so it is exact; otherwise it is recomputed. The
    same holds for the maximum. Recomputing reads the cell's whole subtree (9,000 values for
    the army's cell of one element), so a 100-value save at a leaf recomputes a few dozen cells,
    mostly of its parent, instead of all 500 it touched (ADR 0005). The subtree's units come
    from the closure first, and each value is then found by its key: joining the closure instead
    let SQLite read every unit's value of the element for each cell, however small its subtree.
    """
    for column, old, stale, compare in (
        ("minimum", "old_minimum", "stale_minimum", "<="),
        ("maximum", "old_maximum", "stale_maximum", ">="),
    ):
        # A scalar subquery per key, not EXISTS: PostgreSQL turned EXISTS into a hash join
        # that read the whole rollup table (half a second at 10,000 units) for 500 keys.
        cursor.execute(
            f"""
            UPDATE {KEYS} SET {stale} = COALESCE((
                SELECT {KEYS}.{old} {compare} r.{column} FROM {ROLLUP} r
                WHERE r.data_element_id = {KEYS}.data_element_id
                  AND r.category_option_combo_id = {KEYS}.category_option_combo_id
                  AND r.attribute_option_combo_id = {KEYS}.attribute_option_combo_id
                  AND r.unit_id = {KEYS}.unit_id AND r.period = {KEYS}.period), %s)
            WHERE {old} IS NOT NULL
            """,
            [False],
        )
        fn = "MIN" if column == "minimum" else "MAX"
        subtree = f"SELECT a.unit_id FROM {ANCESTOR} a WHERE a.ancestor_id = {ROLLUP}.unit_id"
        cursor.execute(
            f"""
            UPDATE {ROLLUP} SET
                {column} = (SELECT {fn}(v.numeric_value) FROM {VALUES} v
                           WHERE v.unit_id IN ({subtree})
                             AND v.data_element_id = {ROLLUP}.data_element_id
                             AND v.category_option_combo_id = {ROLLUP}.category_option_combo_id
                             AND v.attribute_option_combo_id = {ROLLUP}.attribute_option_combo_id
                             AND v.period = {ROLLUP}.period AND v.deleted = %s)
            WHERE ({KEY}) IN (SELECT {KEY} FROM {KEYS} WHERE {stale} = %s)
            """,
            [False, True],
        )


def _apply_tree_changes(state: RollupState) -> None:
    """Re-roll the ancestors that gained or lost descendants since the last applied link."""
    links = list(
        UnitLink.objects.filter(pk__gt=state.link_watermark).values_list("pk", "unit_id", "reason")
    )
    moved = {unit_id for _pk, unit_id, reason in links if reason != "opened"}
    before: dict[int, set[int]] = {}
    if moved:
        # The subtrees of moved units: their members' old ancestors come from the old closure.
        members = set(moved)
        members.update(
            UnitAncestor.objects.filter(ancestor_id__in=moved).values_list("unit_id", flat=True)
        )
        for unit_id, ancestor_id in UnitAncestor.objects.filter(unit_id__in=members).values_list(
            "unit_id", "ancestor_id"
        ):
            before.setdefault(unit_id, set()).add(ancestor_id)
    _rebuild_ancestors()
    if moved:
        after: dict[int, set[int]] = {}
        for unit_id, ancestor_id in UnitAncestor.objects.filter(
            unit_id__in=before.keys() | moved
        ).values_list("unit_id", "ancestor_id"):
            after.setdefault(unit_id, set()).add(ancestor_id)
        affected: set[int] = set()
        for unit_id in before.keys() | after.keys():
            affected |= before.get(unit_id, set()) ^ after.get(unit_id, set())
        if affected:
            Rollup.objects.filter(unit_id__in=affected).delete()
            marks = ", ".join(["%s"] * len(affected))
            _insert_from_values(f"AND a.ancestor_id IN ({marks})", sorted(affected))
    state.link_watermark = max(pk for pk, _u, _r in links) if links else state.link_watermark
    state.save(update_fields=["link_watermark"])
