# ruff: noqa: S608 - benchmark SQL is built from integers and uids the generator made
"""The dataset of `haucan bench analytics`: a seeded army, catalog and values, and the references.

- `make_plan(params)` decides everything from the seed without touching a database: the tree (6
  levels), the data elements (some disaggregated into 2-4 options, LAST and AVERAGE ones), the
  forms each unit reports, the months, and five level-4 units that move between divisions of two
  different level-2 units in the middle month. `iter_values(plan)` yields the values as index
  tuples, so `checksum(plan)` proves determinism without a database.
- `build(plan)` writes it into the configured database: units, links and the catalog through the
  ORM in bulk, the values with raw SQL (PostgreSQL `COPY`, SQLite `executemany`), then the moves
  through `haucan.org.services.move_unit` so the tree's history is real.
- `naive_answer` is the straightforward SQL baseline (a path-prefix join of the raw values with
  GROUP BY); `export_for_duckdb` / `duckdb_load` / `duckdb_answer` are the columnar reference.

Every answer is a map "dx|pe|ou" -> value, the same keys as the engine's rows (dx, pe, ou order).
"""

from __future__ import annotations

import csv
import hashlib
import random
import string
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SUM, LAST, AVERAGE = "SUM", "LAST", "AVERAGE"
PREFIX = "BA"  # codes of everything the benchmark creates
LEVEL_SHARES = (0.001, 0.005, 0.025, 0.15)  # levels 2-5 as shares of all units; level 6 is the rest
LEVEL_MINIMUMS = (2, 4, 10, 30)
REPORTING_DEPTH = 4  # units at this level and below report values
MOVES = 5
FORM_SIZE = 10
STAMP_SQL = "2020-01-01 00:00:00"


@dataclass(frozen=True)
class Params:
    units: int = 10_000
    elements: int = 300
    months: int = 24
    values: int = 10_000_000
    seed: int = 20240

    def label(self) -> str:
        return (
            f"{self.units:,} units, {self.elements} elements, {self.months} months, "
            f"~{self.values:,} values, seed {self.seed}"
        )


SMALL = Params(units=300, elements=30, months=12, values=50_000)
DEFAULT = Params()


@dataclass(frozen=True)
class ElementPlan:
    index: int
    code: str
    uid: str
    aggregation: str
    options: int  # 1 = the default combo, else the size of its disaggregation


@dataclass
class Plan:
    params: Params
    level_sizes: list[int]
    unit_uids: list[str]
    unit_depth: list[int]
    unit_parent: list[int | None]  # index of the parent in the tree before the moves
    elements: list[ElementPlan]
    months: list[date]  # first day of each month, oldest first
    year: int  # the last calendar year fully inside the months
    move_units: list[int]
    move_to: int
    move_month: int  # index into months: the moves take effect on its first day
    form_probability: list[float]
    indicator_uid: str
    combo_uids: dict[int, list[str]] = field(default_factory=dict)  # options -> coc uids

    @property
    def move_date(self) -> date:
        return self.months[self.move_month]

    def by_depth(self, depth: int) -> list[int]:
        return [i for i, d in enumerate(self.unit_depth) if d == depth]

    def children_at_depth(
        self, ancestor: int, depth: int, *, after_moves: bool = True
    ) -> list[int]:
        parents = self.parents(after_moves=after_moves)
        out = []
        for i in self.by_depth(depth):
            j: int | None = i
            while j is not None and j != ancestor:
                j = parents[j]
            if j == ancestor:
                out.append(i)
        return out

    def parents(self, *, after_moves: bool) -> list[int | None]:
        parents = list(self.unit_parent)
        if after_moves:
            for u in self.move_units:
                parents[u] = self.move_to
        return parents


def _uid(rng: random.Random) -> str:
    return rng.choice(string.ascii_letters) + "".join(
        rng.choice(string.ascii_letters + string.digits) for _ in range(10)
    )


def _add_months(first: date, n: int) -> date:
    y, m = divmod(first.year * 12 + first.month - 1 + n, 12)
    return date(y, m + 1, 1)


def _month_end(first: date) -> date:
    return _add_months(first, 1) - timedelta(days=1)


def level_sizes(units: int) -> list[int]:
    sizes = [1] + [
        max(lo, round(units * s)) for s, lo in zip(LEVEL_SHARES, LEVEL_MINIMUMS, strict=True)
    ]
    sizes.append(max(units - sum(sizes), 30))
    return sizes


def element_options(index: int) -> int:
    if index in (0, 2) or index % 25 == 4:  # Q1's element, the denominator, AVERAGE elements
        return 1
    return (1, 2, 1, 3, 4)[index % 5]


def element_aggregation(index: int) -> str:
    if index % 25 == 3:
        return LAST
    if index % 25 == 4:
        return AVERAGE
    return SUM


def make_plan(params: Params, today: date | None = None) -> Plan:
    """Everything about the dataset, from the seed; the months end with the last full year."""
    if params.months < 12:
        raise ValueError("the benchmark needs at least 12 months")
    if params.elements < 10:
        raise ValueError("the benchmark needs at least 10 data elements")
    uid_rng = random.Random(params.seed * 7919 + 1)
    today = today or date.today()
    last = date(today.year - 1, 12, 1)
    months = [_add_months(last, -i) for i in reversed(range(params.months))]
    # The last calendar year wholly inside the months: the year Q1-Q4, Q6 and Q7 ask for.
    year = max(m.year for m in months if date(m.year, 1, 1) in months and m.month == 12)
    sizes = level_sizes(params.units)
    uids: list[str] = []
    depths: list[int] = []
    parents: list[int | None] = []
    level_start: list[int] = []
    for depth, size in enumerate(sizes, start=1):
        level_start.append(len(uids))
        for i in range(size):
            uids.append(_uid(uid_rng))
            depths.append(depth)
            if depth == 1:
                parents.append(None)
            else:
                # Round-robin keeps the tree balanced: the k-th unit of a level sits under the
                # (k mod n)-th unit of the level above.
                parents.append(level_start[depth - 2] + i % sizes[depth - 2])
    level2 = list(range(level_start[1], level_start[1] + sizes[1]))
    level3 = list(range(level_start[2], level_start[2] + sizes[2]))
    level4 = list(range(level_start[3], level_start[3] + sizes[3]))
    # Five regiments of divisions under the first level-2 unit move to a division of the second.
    candidates = [u for u in level4 if parents[parents[u]] == level2[0]]  # type: ignore[index]
    moving = candidates[: max(1, min(MOVES, len(candidates) // 2))]
    target = next(d for d in level3 if parents[d] == level2[1])
    elements = [
        ElementPlan(
            i, f"{PREFIX}_E{i:03d}", _uid(uid_rng), element_aggregation(i), element_options(i)
        )
        for i in range(params.elements)
    ]
    reporting = sum(1 for d in depths if d >= REPORTING_DEPTH)
    forms = [elements[i : i + FORM_SIZE] for i in range(0, len(elements), FORM_SIZE)]
    cells = [params.months * sum(e.options for e in form) for form in forms]
    # Form 0 (Q1, Q2, Q5's elements) is reported widely; the others share the rest of the volume.
    p0 = min(1.0, params.values / (reporting * sum(cells)) * 5)
    rest = params.values - reporting * cells[0] * p0
    p_rest = min(1.0, max(0.0, rest / (reporting * max(1, sum(cells[1:])))))
    probabilities = [p0] + [p_rest] * (len(forms) - 1)
    combo_uids = {n: [_uid(uid_rng) for _ in range(n)] for n in (1, 2, 3, 4)}
    return Plan(
        params=params,
        level_sizes=sizes,
        unit_uids=uids,
        unit_depth=depths,
        unit_parent=parents,
        elements=elements,
        months=months,
        year=year,
        move_units=moving,
        move_to=target,
        # Mid-way through the query year, so Q7 (tree of each period) differs from Q1.
        move_month=months.index(date(year, 7, 1)),
        form_probability=probabilities,
        indicator_uid=_uid(uid_rng),
        combo_uids=combo_uids,
    )


def iter_values(plan: Plan) -> Iterator[tuple[int, int, int, int, int]]:
    """(unit index, element index, option index, month index, value) in a deterministic order."""
    rng = random.Random(plan.params.seed + 1)
    forms = [plan.elements[i : i + FORM_SIZE] for i in range(0, len(plan.elements), FORM_SIZE)]
    random_ = rng.random
    months = range(len(plan.months))
    for unit, depth in enumerate(plan.unit_depth):
        if depth < REPORTING_DEPTH:
            continue
        for f, form in enumerate(forms):
            if random_() >= plan.form_probability[f]:
                continue
            for element in form:
                aggregation = element.aggregation
                base = 200 + int(random_() * 800)
                for option in range(element.options):
                    for month in months:
                        if aggregation == AVERAGE:
                            value = int(random_() * 100)
                        elif aggregation == LAST:
                            value = base + int(random_() * 300)
                        else:
                            value = int(random_() * base)
                        yield unit, element.index, option, month, value


def _row_bytes(row: tuple[int, int, int, int, int]) -> bytes:
    return ",".join(map(str, row)).encode() + b";"


def checksum(plan: Plan) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in iter_values(plan):
        digest.update(_row_bytes(row))
        count += 1
    return count, digest.hexdigest()[:16]


# --- writing into the database ------------------------------------------------------------------


@dataclass
class Built:
    """What the workers need after the load: database ids keyed by the plan's indexes."""

    unit_ids: list[int]
    element_ids: list[int]
    coc_ids: dict[int, list[int]]  # options -> option combo ids
    default_coc: int
    values: int
    checksum: str
    seconds: dict[str, float]


def build(plan: Plan, *, batch: int = 50_000) -> Built:
    import time

    from django.db import connection, transaction

    from haucan.catalog.models import (
        CategoryOptionCombo,
        DataElement,
        DataSet,
        DataSetElement,
        Indicator,
    )
    from haucan.catalog.services import create_category_combo, ensure_default_combo
    from haucan.core.scope import Scope
    from haucan.core.text import fold
    from haucan.org.models import Level, LinkReason, Unit, UnitLink
    from haucan.org.services import move_unit
    from haucan.reporting.models import DataValue

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    system = Scope.system("bench")
    opened = date(2015, 1, 1)
    with transaction.atomic():
        Level.objects.bulk_create(
            Level(depth=d, code=f"{PREFIX}_L{d}", name=f"Cấp {d}") for d in range(1, 7)
        )
        objs: list[Unit] = []
        for i, uid in enumerate(plan.unit_uids):
            parent = plan.unit_parent[i]
            path = f"{objs[parent].path if parent is not None else '/'}{uid}/"
            name = f"Đơn vị {i:05d}"
            objs.append(
                Unit(
                    uid=uid,
                    code=f"{PREFIX}_U{i:05d}",
                    name=name,
                    search_name=fold(f"{name} {PREFIX}_U{i:05d}"),
                    parent=objs[parent] if parent is not None else None,
                    path=path,
                    depth=plan.unit_depth[i],
                    opened_on=opened,
                )
            )
        for depth in range(1, 7):
            Unit.objects.bulk_create([u for u in objs if u.depth == depth], batch_size=2000)
        if any(u.pk is None for u in objs):  # pragma: no cover - backends without RETURNING
            ids = dict(Unit.objects.values_list("uid", "pk"))
            for u in objs:
                u.pk = ids[u.uid]
        UnitLink.objects.bulk_create(
            (
                UnitLink(unit=u, parent=u.parent, valid_from=opened, reason=LinkReason.OPENED)
                for u in objs
            ),
            batch_size=2000,
        )
        default = ensure_default_combo()
        default_coc = default.option_combos.get()
        coc_ids: dict[int, list[int]] = {1: [default_coc.pk]}
        combos = {1: default}
        for n in (2, 3, 4):
            combo = create_category_combo(
                system,
                code=f"{PREFIX}_C{n}",
                name=f"Phân tổ {n} (đo hiệu năng)",
                categories=[
                    (
                        f"{PREFIX}_CAT{n}",
                        f"Nhóm {n} (đo hiệu năng)",
                        [(f"{PREFIX}_C{n}_O{k}", f"Loại {k + 1}/{n}") for k in range(n)],
                    )
                ],
            )
            combos[n] = combo
            cocs = list(CategoryOptionCombo.objects.filter(combo=combo).order_by("sort_order"))
            for coc, uid in zip(cocs, plan.combo_uids[n], strict=True):
                coc.uid = uid
                coc.save(update_fields=["uid"])
            coc_ids[n] = [c.pk for c in cocs]
        DataElement.objects.bulk_create(
            DataElement(
                uid=e.uid,
                code=e.code,
                name=f"Chỉ tiêu {e.index:03d} ({e.aggregation})",
                aggregation_type=e.aggregation,
                category_combo=combos[e.options],
            )
            for e in plan.elements
        )
        element_ids = [
            pk
            for _code, pk in sorted(
                DataElement.objects.filter(code__startswith=f"{PREFIX}_E").values_list("code", "pk")
            )
        ]
        Indicator.objects.create(
            uid=plan.indicator_uid,
            code=f"{PREFIX}_IND",
            name="Tỷ lệ E001/E002 (đo hiệu năng)",
            numerator=f"#{{{plan.elements[1].code}}}",
            denominator=f"#{{{plan.elements[2].code}}}",
            factor=100,
            decimals=2,
        )
        # A form holding Q1's element, assigned to Q5's leaf: the freshness probe writes into it.
        form = DataSet.objects.create(
            code=f"{PREFIX}_FRESH",
            name="Biểu đo độ tươi (đo hiệu năng)",
            period_type="Monthly",
            category_combo=default,
            timely_days=3650,
        )
        DataSetElement.objects.create(data_set=form, data_element_id=element_ids[0])
        form.units.add(objs[probe_leaf(plan)].pk)
    seconds["metadata"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    unit_ids = [u.pk for u in objs]
    months = [(m.strftime("%Y%m"), m.isoformat(), _month_end(m).isoformat()) for m in plan.months]
    digest = hashlib.sha256()
    table = DataValue._meta.db_table
    columns = (
        "data_element_id, period, period_start, period_end, unit_id, category_option_combo_id, "
        "attribute_option_combo_id, value, numeric_value, comment, follow_up, stored_by, origin, "
        "source, created_at, updated_at, deleted, version"
    )
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stamp = STAMP_SQL + "+00"
            # A trusted bulk load of rows known to be valid: skip the per-row foreign-key
            # triggers for this transaction only (what pg_restore does).
            cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                lines: list[str] = []
                for row in iter_values(plan):
                    unit, element, option, month, value = row
                    digest.update(_row_bytes(row))
                    period, start, end = months[month]
                    lines.append(
                        f"{element_ids[element]}\t{period}\t{start}\t{end}\t{unit_ids[unit]}\t"
                        f"{coc_ids[plan.elements[element].options][option]}\t{default_coc.pk}\t"
                        f"{value}\t{value}\t\tf\tbench\timport\t\t{stamp}\t{stamp}\tf\t1\n"
                    )
                    if len(lines) >= batch:
                        copy.write("".join(lines))
                        count += len(lines)
                        lines = []
                copy.write("".join(lines))
                count += len(lines)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 18)})"
            rows: list[tuple[Any, ...]] = []
            for row in iter_values(plan):
                unit, element, option, month, value = row
                digest.update(_row_bytes(row))
                period, start, end = months[month]
                rows.append(
                    (
                        element_ids[element],
                        period,
                        start,
                        end,
                        unit_ids[unit],
                        coc_ids[plan.elements[element].options][option],
                        default_coc.pk,
                        str(value),
                        float(value),
                        "",
                        0,
                        "bench",
                        "import",
                        "",
                        STAMP_SQL,
                        STAMP_SQL,
                        0,
                        1,
                    )
                )
                if len(rows) >= batch:
                    cursor.executemany(sql, rows)
                    count += len(rows)
                    rows = []
            if rows:
                cursor.executemany(sql, rows)
                count += len(rows)
    seconds["values"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    target = Unit.objects.get(pk=unit_ids[plan.move_to])
    for moving in plan.move_units:
        move_unit(
            system,
            Unit.objects.get(pk=unit_ids[moving]),
            target,
            effective_on=plan.move_date,
            note="Điều chuyển (đo hiệu năng)",
        )
    seconds["moves"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds["analyze"] = round(time.perf_counter() - started, 2)
    return Built(
        unit_ids, element_ids, coc_ids, default_coc.pk, count, digest.hexdigest()[:16], seconds
    )


def probe_leaf(plan: Plan) -> int:
    """Q5's leaf: the first level-6 unit under a moved regiment's first battalion, else any."""
    leaves = plan.by_depth(6)
    return leaves[len(leaves) // 3]


def ancestors(plan: Plan, unit: int, *, after_moves: bool = True) -> list[int]:
    """The unit's chain from the root down to itself."""
    parents = plan.parents(after_moves=after_moves)
    chain: list[int] = []
    j: int | None = unit
    while j is not None:
        chain.append(j)
        j = parents[j]
    return list(reversed(chain))


# --- the fixed query set ------------------------------------------------------------------------


def month_id(first: date) -> str:
    return first.strftime("%Y%m")


def query_params(plan: Plan) -> dict[str, dict[str, list[str]]]:
    """Q1-Q7 as DHIS2 query parameters (dimension order dx, pe, ou)."""
    year = plan.year
    months12 = ";".join(f"{year}{m:02d}" for m in range(1, 13))
    quarters = ";".join(f"{year}Q{q}" for q in range(1, 5))
    e = plan.elements
    l2 = plan.by_depth(2)
    uid = plan.unit_uids
    chain = ";".join(uid[u] for u in ancestors(plan, probe_leaf(plan)))
    all_months = ";".join(month_id(m) for m in plan.months)
    q1 = {"dimension": [f"dx:{e[0].uid}", f"pe:{months12}", "ou:LEVEL-2"]}
    n6 = min(50, len(e))
    return {
        "Q1": q1,
        "Q2": {
            "dimension": [
                "dx:" + ";".join(x.uid for x in e[:10]),
                f"pe:{quarters}",
                f"ou:{uid[l2[0]]};LEVEL-3",
            ]
        },
        "Q3": {"dimension": [f"dx:{plan.indicator_uid}", f"pe:{year}", f"ou:{uid[l2[0]]};LEVEL-4"]},
        "Q4": {"dimension": [f"dx:{e[3].uid}", f"pe:{months12}", "ou:LEVEL-2"]},
        "Q5": {"dimension": [f"dx:{e[0].uid}", f"pe:{all_months}", f"ou:{chain}"]},
        "Q6": {
            "dimension": ["dx:" + ";".join(x.uid for x in e[:n6]), f"pe:{year}", f"ou:{uid[0]}"]
        },
        "Q7": {**q1, "hierarchy": ["period"]},
    }


QUERY_TEXT = {
    "Q1": "one SUM element, LEVEL-2, the 12 months of one year",
    "Q2": "10 elements, the level-3 children of one level-2 unit, the 4 quarters of one year",
    "Q3": "an indicator (E001/E002 x 100), LEVEL-4 inside one level-2 unit, one year",
    "Q4": "one LAST (stock on hand) element, LEVEL-2, 12 months",
    "Q5": "one element, the ancestor chain of one leaf unit, 24 months",
    "Q6": "50 elements, the whole army total, one year",
    "Q7": "Q1 with hierarchy=period",
}


@dataclass(frozen=True)
class QueryShape:
    """What each query asks, in database terms, for the baseline and the reference."""

    elements: list[int]  # element indexes
    ancestors: list[int]  # unit indexes whose subtrees are aggregated
    months: list[int]  # month indexes read
    rollup: str  # "month", "quarter" or "year": the output periods
    indicator: bool = False
    history: bool = False


def shapes(plan: Plan) -> dict[str, QueryShape]:
    year_months = [i for i, m in enumerate(plan.months) if m.year == plan.year]
    l2 = plan.by_depth(2)
    level3 = plan.children_at_depth(l2[0], 3)
    level4 = plan.children_at_depth(l2[0], 4)
    chain = ancestors(plan, probe_leaf(plan))
    n6 = min(50, len(plan.elements))
    return {
        "Q1": QueryShape([0], l2, year_months, "month"),
        "Q2": QueryShape(list(range(10)), level3, year_months, "quarter"),
        "Q3": QueryShape([1, 2], level4, year_months, "year", indicator=True),
        "Q4": QueryShape([3], l2, year_months, "month"),
        "Q5": QueryShape([0], chain, list(range(len(plan.months))), "month"),
        "Q6": QueryShape(list(range(n6)), [0], year_months, "year"),
        "Q7": QueryShape([0], l2, year_months, "month", history=True),
    }


def rollup_id(first: date, rollup: str) -> str:
    if rollup == "month":
        return month_id(first)
    if rollup == "quarter":
        return f"{first.year}Q{(first.month - 1) // 3 + 1}"
    return str(first.year)


def _finish(
    plan: Plan, shape: QueryShape, sums: dict[tuple[str, str, str], float]
) -> dict[str, float]:
    """Indicator arithmetic and the "dx|pe|ou" keys."""
    if not shape.indicator:
        return {"|".join(k): v for k, v in sums.items()}
    a, b = plan.elements[1].uid, plan.elements[2].uid
    out: dict[str, float] = {}
    for (dx, pe, ou), num in sums.items():
        if dx != a:
            continue
        den = sums.get((b, pe, ou))
        if den:
            out[f"{plan.indicator_uid}|{pe}|{ou}"] = num / den * 100
    return out


# --- the naive SQL baseline ---------------------------------------------------------------------


def naive_answer(plan: Plan, built: Built, name: str, shape: QueryShape) -> dict[str, float]:
    """A path-prefix join of the raw values with GROUP BY; every aggregation type is summed."""
    from django.db import connection

    from haucan.org.models import Unit, UnitLink
    from haucan.reporting.models import DataValue

    dv, unit_t, link_t = DataValue._meta.db_table, Unit._meta.db_table, UnitLink._meta.db_table
    anc_ids = [built.unit_ids[u] for u in shape.ancestors]
    de_ids = [built.element_ids[e] for e in shape.elements]
    periods = [month_id(plan.months[m]) for m in shape.months]
    ph = lambda xs: ", ".join(["%s"] * len(xs))  # noqa: E731
    if not shape.history:
        sql = (
            f"SELECT anc.uid, dv.data_element_id, dv.period, SUM(dv.numeric_value) "
            f"FROM {dv} dv JOIN {unit_t} u ON u.id = dv.unit_id "
            f"JOIN {unit_t} anc ON u.path LIKE anc.path || '%%' "
            f"WHERE anc.id IN ({ph(anc_ids)}) AND dv.data_element_id IN ({ph(de_ids)}) "
            f"AND dv.period IN ({ph(periods)}) AND dv.deleted = %s "
            f"GROUP BY anc.uid, dv.data_element_id, dv.period"
        )
        params: list[Any] = [*anc_ids, *de_ids, *periods, False]
    else:
        # The tree as it was at each period's end: walk the effective-dated links upwards.
        pg = connection.vendor == "postgresql"
        ends = [_month_end(plan.months[m]).isoformat() for m in shape.months]
        values = ", ".join("(%s, CAST(%s AS date))" if pg else "(%s, %s)" for _ in shape.months)
        sql = (
            f"WITH RECURSIVE months(period, pend) AS (VALUES {values}), "
            f"chain(unit_id, anc_id, period, pend) AS ("
            f" SELECT u.id, u.id, m.period, m.pend FROM {unit_t} u CROSS JOIN months m"
            f" UNION ALL"
            f" SELECT c.unit_id, l.parent_id, c.period, c.pend FROM chain c"
            f" JOIN {link_t} l ON l.unit_id = c.anc_id AND l.valid_from <= c.pend"
            f" AND (l.valid_to IS NULL OR l.valid_to > c.pend) WHERE l.parent_id IS NOT NULL) "
            f"SELECT anc.uid, dv.data_element_id, dv.period, SUM(dv.numeric_value) "
            f"FROM {dv} dv JOIN chain c ON c.unit_id = dv.unit_id AND c.period = dv.period "
            f"JOIN {unit_t} anc ON anc.id = c.anc_id "
            f"WHERE anc.id IN ({ph(anc_ids)}) AND dv.data_element_id IN ({ph(de_ids)}) "
            f"AND dv.period IN ({ph(periods)}) AND dv.deleted = %s "
            f"GROUP BY anc.uid, dv.data_element_id, dv.period"
        )
        params = [x for p, e in zip(periods, ends, strict=True) for x in (p, e)]
        params += [*anc_ids, *de_ids, *periods, False]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    de_uid = {built.element_ids[e]: plan.elements[e].uid for e in shape.elements}
    month_by_id = {month_id(m): m for m in plan.months}
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    for anc, de, period, total in rows:
        sums[(de_uid[de], rollup_id(month_by_id[period], shape.rollup), anc)] += total
    return _finish(plan, shape, sums)


# --- the DuckDB reference -----------------------------------------------------------------------


def export_for_duckdb(plan: Plan, built: Built, directory: Path) -> dict[str, float]:
    """Raw values from the database, plus each unit's ancestors now and at each period's end."""
    import time

    from django.db import connection

    from haucan.org.models import Unit, UnitLink
    from haucan.reporting.models import DataValue

    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    uid_of = dict(Unit.objects.values_list("id", "uid"))
    parent_now = dict(Unit.objects.values_list("id", "parent_id"))
    depth = dict(Unit.objects.values_list("id", "depth"))
    links = defaultdict(list)
    for unit_id, parent_id, start, end in UnitLink.objects.values_list(
        "unit_id", "parent_id", "valid_from", "valid_to"
    ):
        links[unit_id].append((start, end, parent_id))

    def chain(unit_id: int, parent_of: Any) -> list[Any]:
        out: list[Any] = []
        j = unit_id
        while j is not None:
            out.append(j)
            j = parent_of(j)
        out.reverse()
        return out + [""] * (6 - len(out))

    with (directory / "units.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit_id", "uid", "depth", "a1", "a2", "a3", "a4", "a5", "a6"])
        for unit_id in uid_of:
            writer.writerow(
                [unit_id, uid_of[unit_id], depth[unit_id], *chain(unit_id, parent_now.get)]
            )
    with (directory / "history.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit_id", "period", "h1", "h2", "h3", "h4", "h5", "h6"])
        for first in plan.months:
            end = _month_end(first)

            def parent_then(j: int, end: date = end) -> int | None:  # type: ignore[assignment]
                for start, stop, parent in links[j]:
                    if start <= end and (stop is None or end < stop):
                        return parent
                return None

            for unit_id in uid_of:
                writer.writerow([unit_id, month_id(first), *chain(unit_id, parent_then)])
    with (directory / "values.csv").open("w", newline="") as handle, connection.cursor() as cursor:
        handle.write("unit_id,de_id,coc_id,period,pstart,pend,value\n")
        if connection.vendor == "postgresql":
            sql = (
                f"COPY (SELECT unit_id, data_element_id, category_option_combo_id, period, "
                f"period_start, period_end, numeric_value FROM {DataValue._meta.db_table} "
                f"WHERE NOT deleted) TO STDOUT WITH (FORMAT csv)"
            )
            with cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
                for block in copy:
                    handle.write(bytes(block).decode())
        else:
            cursor.execute(
                f"SELECT unit_id, data_element_id, category_option_combo_id, period, period_start, "
                f"period_end, numeric_value FROM {DataValue._meta.db_table} WHERE deleted = 0"
            )
            writer = csv.writer(handle, lineterminator="\n")
            while True:
                rows = cursor.fetchmany(100_000)
                if not rows:
                    break
                writer.writerows(rows)
    with (directory / "elements.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["de_id", "de_ix", "uid", "aggregation"])
        for e, pk in zip(plan.elements, built.element_ids, strict=True):
            writer.writerow([pk, e.index, e.uid, e.aggregation])
    return {"export_seconds": round(time.perf_counter() - started, 2)}


def duckdb_load(directory: Path) -> Any:
    """One flat in-memory table of the raw values with integer ancestor columns.

    Integers everywhere (element index, yyyymm, unit ids of the ancestors) keep the reference a
    strong anchor: the filters and GROUP BYs are plain integer column scans. `level1..6` are the
    ancestors' unit ids in today's tree, `level2_then` the level-2 ancestor on the period's last
    day; uids are attached to the few output rows only.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    d = str(directory)
    con.execute(
        f"""
        CREATE TABLE v AS
        SELECT CAST(e.de_ix AS SMALLINT) AS de_ix, CAST(x.coc_id AS INTEGER) AS coc_id,
               CAST(x.unit_id AS INTEGER) AS unit_id, CAST(x.period AS INTEGER) AS pm,
               CAST(datediff('day', x.pstart, x.pend) + 1 AS SMALLINT) AS days, x.value,
               u.a1 AS level1, u.a2 AS level2, u.a3 AS level3,
               u.a4 AS level4, u.a5 AS level5, u.a6 AS level6,
               h.h2 AS level2_then
        FROM read_csv('{d}/values.csv', header=true, columns={{
                 'unit_id': 'BIGINT', 'de_id': 'BIGINT', 'coc_id': 'BIGINT', 'period': 'VARCHAR',
                 'pstart': 'DATE', 'pend': 'DATE', 'value': 'DOUBLE'}}) x
        JOIN read_csv('{d}/elements.csv', header=true, columns={{
                 'de_id': 'BIGINT', 'de_ix': 'INTEGER', 'uid': 'VARCHAR',
                 'aggregation': 'VARCHAR'}}) e
             ON e.de_id = x.de_id
        JOIN read_csv('{d}/units.csv', header=true, columns={{
                 'unit_id': 'BIGINT', 'uid': 'VARCHAR', 'depth': 'INTEGER', 'a1': 'INTEGER',
                 'a2': 'INTEGER', 'a3': 'INTEGER', 'a4': 'INTEGER', 'a5': 'INTEGER',
                 'a6': 'INTEGER'}}) u ON u.unit_id = x.unit_id
        JOIN read_csv('{d}/history.csv', header=true, columns={{
                 'unit_id': 'BIGINT', 'period': 'VARCHAR', 'h1': 'INTEGER', 'h2': 'INTEGER',
                 'h3': 'INTEGER', 'h4': 'INTEGER', 'h5': 'INTEGER', 'h6': 'INTEGER'}}) h
             ON h.unit_id = x.unit_id AND h.period = x.period
        """
    )
    con.execute(
        f"CREATE TABLE units AS SELECT unit_id, uid FROM read_csv('{d}/units.csv', header=true, "
        "columns={'unit_id': 'BIGINT', 'uid': 'VARCHAR', 'depth': 'INTEGER', 'a1': 'INTEGER', "
        "'a2': 'INTEGER', 'a3': 'INTEGER', 'a4': 'INTEGER', 'a5': 'INTEGER', 'a6': 'INTEGER'})"
    )
    return con


def duckdb_sql(plan: Plan, name: str, shape: QueryShape, unit_ids: dict[str, int]) -> str:
    """Plain GROUP BY over the flat table; LAST and AVERAGE with their real semantics.

    Rows: (element index, period key, ancestor unit id, value); the period key is yyyymm, or
    year * 10 + quarter, or the year."""
    ancestors = ", ".join(str(unit_ids[plan.unit_uids[u]]) for u in shape.ancestors)
    level = {plan.unit_depth[u] for u in shape.ancestors}
    lo, hi = (int(month_id(plan.months[m])) for m in (min(shape.months), max(shape.months)))
    if shape.rollup == "month":
        pe = "pm"
    elif shape.rollup == "quarter":
        pe = "(pm // 100) * 10 + (pm % 100 + 2) // 3"
    else:
        pe = "pm // 100"
    by_type: dict[str, list[int]] = defaultdict(list)
    for e in shape.elements:
        by_type[plan.elements[e].aggregation].append(e)
    if shape.history:
        (d,) = level
        columns = [f"level{d}_then"]
    else:
        columns = [f"level{d}" for d in sorted(level)]
    parts = []
    for col in columns:
        for aggregation, elements in by_type.items():
            where = (
                f"de_ix IN ({', '.join(map(str, elements))}) AND pm BETWEEN {lo} AND {hi} "
                f"AND {col} IN ({ancestors})"
            )
            if aggregation == LAST:
                parts.append(
                    f"SELECT de_ix, pe, ou, SUM(last) FROM ("
                    f" SELECT de_ix, {pe} AS pe, {col} AS ou, arg_max(value, pm) AS last"
                    f" FROM v WHERE {where} GROUP BY de_ix, pe, ou, unit_id, coc_id"
                    f") GROUP BY de_ix, pe, ou"
                )
            elif aggregation == AVERAGE:
                parts.append(
                    f"SELECT de_ix, {pe} AS pe, {col} AS ou, SUM(value * days) / SUM(days) "
                    f"FROM v WHERE {where} GROUP BY de_ix, pe, ou"
                )
            else:
                parts.append(
                    f"SELECT de_ix, {pe} AS pe, {col} AS ou, SUM(value) "
                    f"FROM v WHERE {where} GROUP BY de_ix, pe, ou"
                )
    return " UNION ALL ".join(parts)


def duckdb_unit_ids(con: Any) -> dict[str, int]:
    return {
        uid: unit_id for unit_id, uid in con.execute("SELECT unit_id, uid FROM units").fetchall()
    }


def duckdb_answer(
    con: Any, plan: Plan, name: str, shape: QueryShape, sql: str, unit_ids: dict[str, int]
) -> dict[str, float]:
    uid_of = {v: k for k, v in unit_ids.items()}
    rows = con.execute(sql).fetchall()

    def pe_id(key: int) -> str:
        if shape.rollup == "quarter":
            return f"{key // 10}Q{key % 10}"
        return str(key)

    sums = {(plan.elements[de].uid, pe_id(pe), uid_of[ou]): float(v) for de, pe, ou, v in rows}
    return _finish(plan, shape, sums)


def compare(
    reference: dict[str, float], other: dict[str, float], *, rel: float = 1e-6, abs_: float = 0.006
) -> dict[str, Any]:
    """How `other` agrees with `reference`: counts and the first few differences."""
    keys = set(reference) | set(other)
    bad = []
    for k in sorted(keys):
        a, b = reference.get(k), other.get(k)
        if a is None or b is None or abs(a - b) > max(abs_, rel * max(abs(a), abs(b))):
            bad.append({"key": k, "reference": a, "other": b})
    return {
        "reference_cells": len(reference),
        "other_cells": len(other),
        "mismatches": len(bad),
        "examples": bad[:5],
    }
