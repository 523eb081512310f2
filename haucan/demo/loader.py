"""The demo army: a synthetic unit tree, the report-form catalog and two years of reported values.

Everything here is invented (names follow the public pattern of the army's organisation, numbers
are random but plausible) and is loaded only into an empty database. The catalog is a metadata
package, `data/catalog.json`, in a DHIS2-like shape; this module reads it, builds the tree, creates
the personas of DESIGN.md §10 and generates values that pass the catalog's own validation rules
(the tree in `tree.py`, the catalog in `catalog.py`, the values in `generators.py`).

It is a trusted loader: units, links and values are written with bulk inserts (one audit event for
the whole load) so that about 2,000 units and several hundred thousand values load in well under a
minute. Small things (users, roles, catalog objects) go through the ordinary services.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.audit import services as audit
from haucan.catalog.models import (
    DataSet,
)
from haucan.core.errors import ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Domain, Scope
from haucan.demo.catalog import LoadedCatalog, check_catalog, load_catalog, read_catalog
from haucan.demo.generators import ValueRun
from haucan.demo.tree import (
    DIVISION_CODE,
    LEVELS,
    REGIMENT_A_CODE,
    REGIMENT_B_CODE,
    ROOT_CODE,
    Tree,
    UnitPlan,
    create_groups,
    insert_units,
    plan_tree,
)
from haucan.org.models import (
    Level,
    Unit,
)
from haucan.reporting.models import ApprovalLevel, ApprovalWorkflow, Origin
from haucan.reporting.services.bulk import (
    bulk_insert_completions,
    bulk_insert_values,
)

DEMO_PASSWORD = "HauCanSo@2024"  # noqa: S105 - printed on screen for the demo logins
ALREADY_LOADED = (
    "The database already holds units; the demo army loads only into an empty database."
)


# --- personas -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    username: str
    description: str
    full_name: str = ""
    role: str = ""
    unit_code: str = ""
    domain: str = Domain.GENERAL.value
    superuser: bool = False


PERSONAS: list[Persona] = [
    Persona(
        "clerk_a",
        "nhân viên hậu cần Trung đoàn 1 (Sư đoàn 324, Quân khu 4): nhập và nộp báo cáo",
        "Nguyễn Văn An",
        "clerk",
        REGIMENT_A_CODE,
    ),
    Persona(
        "clerk_b",
        "nhân viên hậu cần Trung đoàn 2 (Sư đoàn 324): đơn vị bạn, không thấy số liệu Trung đoàn 1",
        "Trần Văn Bình",
        "clerk",
        REGIMENT_B_CODE,
    ),
    Persona(
        "commander",
        "chỉ huy Sư đoàn 324 (Quân khu 4): xem và duyệt số liệu của cả sư đoàn",
        "Lê Văn Cường",
        "commander",
        DIVISION_CODE,
    ),
    Persona(
        "specialist",
        "trợ lý Cục Xăng dầu (Bộ Quốc phòng): thiết kế biểu mẫu xăng dầu toàn quân",
        "Phạm Thị Dung",
        "specialist",
        ROOT_CODE,
        Domain.PETROLEUM.value,
    ),
    Persona(
        "admin",
        "quản trị hệ thống toàn quân (Bộ Quốc phòng)",
        "Hoàng Văn Em",
        "admin",
        ROOT_CODE,
        superuser=True,
    ),
]


@dataclass(frozen=True)
class DemoSummary:
    units: int
    levels: int
    groups: int
    users: int
    forms: int
    elements: int
    indicators: int
    rules: int
    values: int
    completions: int
    seconds: float

    def describe(self) -> str:
        return (
            f"Demo army loaded in {self.seconds:.1f} s: {self.units:,} units on {self.levels} "
            f"levels, {self.groups} unit groups, {self.users} users, {self.forms} report forms, "
            f"{self.elements} data elements, {self.indicators} indicators, {self.rules} validation "
            f"rules, {self.values:,} values, {self.completions:,} submitted reports."
        )


# --- personas and the tree ---------------------------------------------------------------------


def _create_personas(scope: Scope, tree: Tree) -> int:
    for persona in PERSONAS:
        unit = tree.by_code(persona.unit_code).unit
        assert unit is not None
        user = User.objects.filter(username=persona.username).first()
        if user is None:  # an administrator made by `haucan init` keeps its own password
            user = create_user(
                scope,
                username=persona.username,
                password=DEMO_PASSWORD,
                full_name=persona.full_name,
                is_superuser=persona.superuser,
                check_password=False,
            )
        assign(scope, user, unit, persona.role, persona.domain)
    return len(PERSONAS)


def _matches(plan: UnitPlan, rule: dict[str, Any]) -> bool:
    return (
        ("kinds" not in rule or plan.kind in rule["kinds"])
        and ("depths" not in rule or plan.depth in rule["depths"])
        and ("echelons" not in rule or plan.echelon in rule["echelons"])
    )


def assigned_plans(tree: Tree, spec: dict[str, Any]) -> list[UnitPlan]:
    rules = spec.get("assignTo", [])
    rules = rules if isinstance(rules, list) else [rules]
    return [p for p in tree.plans if any(_matches(p, rule) for rule in rules)]


def _assign_forms(tree: Tree, loaded: LoadedCatalog) -> dict[str, list[UnitPlan]]:
    through = DataSet.units.through
    rows: list[Any] = []
    assigned: dict[str, list[UnitPlan]] = {}
    for data_set, spec in loaded.data_sets:
        plans = assigned_plans(tree, spec)
        assigned[data_set.code] = plans
        rows.extend(through(dataset_id=data_set.pk, unit_id=p.unit.pk) for p in plans)  # type: ignore[union-attr]
    through.objects.bulk_create(rows)
    return assigned


# --- the entry point ----------------------------------------------------------------------------


def load_demo(*, months: int = 24, seed: int = 20231, verbose: bool = False) -> DemoSummary:
    """Load the demo army into an empty database, in one transaction; deterministic for a seed
    (apart from the random uids)."""
    started = time.perf_counter()

    def say(message: str) -> None:
        if verbose:
            print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)

    if Unit.objects.exists():
        raise ValidationFailed(ALREADY_LOADED)
    doc = read_catalog()
    problems = check_catalog(doc)
    if problems:
        raise ValidationFailed("The demo catalog is inconsistent: " + "; ".join(problems[:5]))
    rng = random.Random(seed)
    scope = Scope.system("demo")
    today = timezone.localdate()
    this_month = date(today.year, today.month, 1)
    move_on = period_of(this_month, PeriodType.MONTHLY).shift(-8).start
    last_month = period_of(this_month - timedelta(days=1), PeriodType.MONTHLY)

    with transaction.atomic():
        if Unit.objects.select_for_update().exists():  # pragma: no cover - a concurrent load
            raise ValidationFailed(ALREADY_LOADED)
        Level.objects.bulk_create(Level(depth=d, code=c, name=n) for d, c, n in LEVELS)
        tree = plan_tree(rng)
        units = insert_units(tree, move_on)
        say(f"{len(units):,} units")
        groups = create_groups(rng, tree)
        users = _create_personas(scope, tree)
        say(f"{groups} unit groups, {users} users")
        loaded = load_catalog(scope, doc)
        assigned = _assign_forms(tree, loaded)
        say(f"catalog: {len(loaded.data_sets)} forms, {len(loaded.elements)} data elements")
        skip = {
            (code, REGIMENT_A_CODE, last_month.id)
            for code, spec in ((ds.code, s) for ds, s in loaded.data_sets)
            if spec["domain"] == Domain.PETROLEUM and spec["periodType"] == PeriodType.MONTHLY
        }
        run = ValueRun(loaded, seed, today, months, skip, {REGIMENT_A_CODE, REGIMENT_B_CODE})
        values = bulk_insert_values(scope, run.rows(assigned), origin=Origin.DEMO)
        say(f"{values:,} values")
        completions = bulk_insert_completions(scope, run.completions)
        say(f"{completions:,} submitted reports")
        audit.record(
            scope,
            "demo.load",
            None,
            {
                "units": len(units),
                "values": values,
                "months": months,
                "seed": seed,
            },
        )
    # Build the analytics rollups now, so the first dashboard does not pay for it, and ship the
    # Operations Room's demo dashboards.
    from haucan.analytics import store
    from haucan.dashboards.services import load_demo_dashboards
    from haucan.demo import modules

    _create_approval_workflow()
    context = modules.DemoContext(scope, today, seed, months, say)
    modules.load_all(context)
    store.rebuild()
    load_demo_dashboards(Scope.system("demo"))
    return DemoSummary(
        units=len(units),
        levels=len(LEVELS),
        groups=groups,
        users=users,
        forms=len(loaded.data_sets),
        elements=len(loaded.elements),
        indicators=loaded.indicators,
        rules=loaded.rules,
        values=values,
        completions=completions,
        seconds=time.perf_counter() - started,
    )


def _create_approval_workflow() -> None:
    """Monthly petroleum reports are approved by the regiment, then by the division."""
    workflow = ApprovalWorkflow.objects.create(
        code="DUYET_XD_THANG", name="Duyệt báo cáo xăng dầu tháng", period_type="Monthly"
    )
    workflow.data_sets.set(DataSet.objects.filter(domain="petroleum", period_type="Monthly"))
    ApprovalLevel.objects.bulk_create(
        [
            ApprovalLevel(workflow=workflow, depth=4, name="Trung đoàn, lữ đoàn"),
            ApprovalLevel(workflow=workflow, depth=3, name="Sư đoàn"),
        ]
    )
