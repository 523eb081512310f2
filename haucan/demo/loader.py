"""The demo army: a synthetic unit tree, the report-form catalog and two years of reported values.

Everything here is invented (names follow the public pattern of the army's organisation, numbers
are random but plausible) and is loaded only into an empty database. The catalog is a metadata
package, `data/catalog.json`, in a DHIS2-like shape; this module reads it, builds the tree, creates
the personas of DESIGN.md §10 and generates values that pass the catalog's own validation rules.

It is a trusted loader: units, links and values are written with bulk inserts (one audit event for
the whole load) so that about 2,000 units and several hundred thousand values load in well under a
minute. Small things (users, roles, catalog objects) go through the ordinary services.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.audit import services as audit
from haucan.catalog import services as catalog
from haucan.catalog.models import (
    AggregationType,
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    Constant,
    DataElement,
    DataSet,
    DataSetElement,
    Indicator,
    NormSet,
    Operator,
    Option,
    OptionSet,
    Section,
    SectionElement,
    ValidationRule,
    ValueType,
)
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import ExpressionError, parse_expression
from haucan.core.ids import generate_uid, is_valid_uid, validate_identifier
from haucan.core.periods import Period, PeriodType, period_of, periods_between
from haucan.core.scope import Domain, Scope
from haucan.core.text import fold
from haucan.org.models import (
    Level,
    LinkReason,
    Unit,
    UnitGroup,
    UnitGroupSet,
    UnitKind,
    UnitLink,
)
from haucan.reporting.models import ApprovalLevel, ApprovalWorkflow, Origin
from haucan.reporting.services.bulk import (
    NewCompletion,
    NewValue,
    bulk_insert_completions,
    bulk_insert_values,
)

CATALOG_PATH = Path(__file__).with_name("data") / "catalog.json"
DEMO_PASSWORD = "HauCanSo@2024"  # noqa: S105 - printed on screen for the demo logins
OPENED_ON = date(2015, 1, 1)
MISSING_RATE = 0.03  # share of (unit, period) reports never sent
LATE_RATE = 0.12  # share of sent reports submitted after the deadline
DAILY_DAYS = 60  # daily forms carry only the last two months, to keep the volume sane
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


ROOT_CODE = "BQP"
DIVISION_CODE = "QK4-F324"
REGIMENT_A_CODE = "QK4-F324-E1"
REGIMENT_B_CODE = "QK4-F324-E2"

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


# --- the tree -----------------------------------------------------------------------------------

LEVELS = [
    (1, "BO_QUOC_PHONG", "Bộ Quốc phòng"),
    (2, "QUAN_KHU_QUAN_DOAN", "Quân khu, Quân đoàn, Binh chủng"),
    (3, "SU_DOAN_LU_DOAN", "Sư đoàn, Lữ đoàn"),
    (4, "TRUNG_DOAN", "Trung đoàn"),
    (5, "TIEU_DOAN", "Tiểu đoàn"),
    (6, "DAI_DOI", "Đại đội"),
]


@dataclass(eq=False)
class UnitPlan:
    """One unit of the planned tree, before it is written. `echelon` is the loader's own
    classification (division, regiment, battalion, …) that the catalog's `assignTo` can match."""

    code: str
    name: str
    kind: str
    echelon: str
    parent: UnitPlan | None
    short_name: str = ""
    identifier: str = ""
    region: str = ""
    children: list[UnitPlan] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)
    unit: Unit | None = None

    @property
    def depth(self) -> int:
        return 1 if self.parent is None else self.parent.depth + 1


@dataclass
class Tree:
    root: UnitPlan
    plans: list[UnitPlan]
    moved: UnitPlan
    moved_from: UnitPlan

    def by_code(self, code: str) -> UnitPlan:
        return next(p for p in self.plans if p.code == code)


class _TreeBuilder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # Regiment numbers are unique army-wide; Sư đoàn 324 keeps 1, 2 and 3 for the personas.
        pool = list(range(4, 999))
        rng.shuffle(pool)
        self.regiment_numbers = iter(pool)

    def add(
        self,
        parent: UnitPlan | None,
        code: str,
        name: str,
        echelon: str,
        kind: str = UnitKind.COMMAND,
        short: str = "",
    ) -> UnitPlan:
        if parent is not None and parent.parent is not None:
            code = f"{parent.code}-{code}"
        region = parent.region if parent and parent.region else (code if parent else "")
        plan = UnitPlan(code, name, kind, echelon, parent, short, region=region)
        if parent is not None:
            parent.children.append(plan)
        return plan

    def battalion(
        self, parent: UnitPlan, number: int, label: str, companies: Iterable[int]
    ) -> None:
        d = self.add(
            parent, f"D{number}", f"Tiểu đoàn {number}", "battalion", short=f"d{number}/{label}"
        )
        for c in companies:
            self.add(d, f"C{c}", f"Đại đội {c}", "company", short=f"c{c}/{label}")

    def regiment(self, division: UnitPlan, number: int, f_label: str) -> UnitPlan:
        label = f"e{number}/{f_label}"
        e = self.add(division, f"E{number}", f"Trung đoàn {number}", "regiment", short=label)
        company = 1
        for d in range(1, 4 + (self.rng.random() < 0.2)):
            size = 3 + (self.rng.random() < 0.5)
            self.battalion(e, d, label, range(company, company + size))
            company += size
        for code, name in [
            ("CTS", "Đại đội trinh sát"),
            ("CCB", "Đại đội công binh"),
            ("CTT", "Đại đội thông tin"),
            ("CVT", "Đại đội vận tải"),
        ]:
            self.add(e, code, f"{name} ({label})", "company", short=f"{code.lower()}/{label}")
        self.add(
            e,
            "BX",
            f"Bệnh xá Trung đoàn {number} ({f_label})",
            "infirmary",
            UnitKind.INFIRMARY,
            short=f"bx/{label}",
        )
        return e

    def division(
        self, region: UnitPlan, number: int, regiments: list[int] | None = None
    ) -> UnitPlan:
        label = f"f{number}"
        f = self.add(region, f"F{number}", f"Sư đoàn {number}", "division", short=label)
        for r in regiments or [next(self.regiment_numbers) for _ in range(3)]:
            self.regiment(f, r, label)
        for code, name in [("DPB", "Tiểu đoàn pháo binh"), ("DCB", "Tiểu đoàn công binh")]:
            d = self.add(f, code, f"{name} ({label})", "battalion", short=f"{code.lower()}/{label}")
            for c in range(1, 4):
                self.add(d, f"C{c}", f"Đại đội {c} ({name.lower()})", "company")
        self.add(
            f,
            "DDT",
            f"Đội điều trị Sư đoàn {number}",
            "infirmary",
            UnitKind.INFIRMARY,
            short=f"ddt/{label}",
        )
        return f

    def brigade(self, parent: UnitPlan, code: str, name: str) -> UnitPlan:
        label = code.lower()
        b = self.add(parent, code, name, "brigade", short=label)
        company = 1
        for d in range(1, 5):
            size = 3 + (self.rng.random() < 0.5)
            self.battalion(b, d, label, range(company, company + size))
            company += size
        for c_code, c_name in [("CTT", "Đại đội thông tin"), ("CVT", "Đại đội vận tải")]:
            self.add(b, c_code, f"{c_name} ({name})", "company")
        self.add(b, "BX", f"Bệnh xá {name}", "infirmary", UnitKind.INFIRMARY, short=f"bx/{label}")
        return b


# Level-2 commands: (code, name, kind, divisions, brigades, hospital, depot).
_COMMANDS: list[tuple[str, str, list[int], list[tuple[str, str]], str, str]] = [
    (
        "QK4",
        "Quân khu 4",
        [324, 968, 341],
        [("LD414", "Lữ đoàn 414")],
        "Bệnh viện Quân y 4",
        "Kho xăng dầu K84",
    ),
    (
        "QK5",
        "Quân khu 5",
        [305, 315, 307],
        [("LD572", "Lữ đoàn 572"), ("LD573", "Lữ đoàn 573")],
        "Bệnh viện Quân y 17",
        "Kho xăng dầu K85",
    ),
    (
        "QK7",
        "Quân khu 7",
        [5, 302, 309],
        [("LD75", "Lữ đoàn 75")],
        "Bệnh viện Quân y 7A",
        "Kho xăng dầu K87",
    ),
    (
        "QK9",
        "Quân khu 9",
        [4, 330, 8],
        [("LD962", "Lữ đoàn 962")],
        "Bệnh viện Quân y 121",
        "Kho xăng dầu K89",
    ),
    (
        "QK2",
        "Quân khu 2",
        [316, 355],
        [("LD168", "Lữ đoàn 168")],
        "Bệnh viện Quân y 109",
        "Kho xăng dầu K82",
    ),
    ("QK3", "Quân khu 3", [395, 350], [], "", "Kho xăng dầu K83"),
    (
        "QD1",
        "Quân đoàn 1",
        [308, 312, 390],
        [("LD368", "Lữ đoàn 368"), ("LD241", "Lữ đoàn 241")],
        "",
        "Kho xăng dầu K81",
    ),
    (
        "QD3",
        "Quân đoàn 3",
        [10, 320, 31],
        [("LD234", "Lữ đoàn 234"), ("LD273", "Lữ đoàn 273")],
        "",
        "",
    ),
]


def plan_tree(rng: random.Random) -> Tree:
    """Plan the whole army (about 2,000 units) without touching the database."""
    b = _TreeBuilder(rng)
    root = b.add(None, ROOT_CODE, "Bộ Quốc phòng", "ministry", short="BQP")
    for code, name, divisions, brigades, hospital, depot in _COMMANDS:
        kind_echelon = "region" if code.startswith("QK") else "corps"
        command = b.add(root, code, name, kind_echelon, short=code)
        for number in divisions:
            b.division(command, number, [1, 2, 3] if number == 324 else None)
        for br_code, br_name in brigades:
            b.brigade(command, br_code, br_name)
        if hospital:
            b.add(command, "BV", hospital, "hospital", UnitKind.HOSPITAL)
        if depot:
            b.add(command, depot.split()[-1], depot, "depot", UnitKind.DEPOT)

    arm = b.add(root, "BCTTLL", "Binh chủng Thông tin liên lạc", "arm", short="BCTTLL")
    for br_code, br_name in [
        ("LD596", "Lữ đoàn Thông tin 596"),
        ("LD205", "Lữ đoàn Thông tin 205"),
        ("LD602", "Lữ đoàn Thông tin 602"),
    ]:
        b.brigade(arm, br_code, br_name)
    b.add(arm, "TSQTT", "Trường Sĩ quan Thông tin", "school", UnitKind.SCHOOL)

    cyber = b.add(root, "BTL86", "Bộ Tư lệnh 86", "command", short="BTL86")
    for br_code, br_name in [
        ("LD1", "Lữ đoàn 1 (Bộ Tư lệnh 86)"),
        ("LD2", "Lữ đoàn 2 (Bộ Tư lệnh 86)"),
    ]:
        b.brigade(cyber, br_code, br_name)

    academy = b.add(
        root, "HVKTQS", "Học viện Kỹ thuật quân sự", "school", UnitKind.SCHOOL, short="HVKTQS"
    )
    for code, name in [
        ("HSDH", "Hệ Đào tạo sau đại học"),
        ("HHVQS", "Hệ Học viên quân sự"),
        ("HHVDS", "Hệ Học viên dân sự"),
    ]:
        system = b.add(academy, code, name, "school", UnitKind.SCHOOL)
        for d in range(1, 3):
            battalion = b.add(
                system,
                f"D{d}",
                f"Tiểu đoàn học viên {d} ({name})",
                "student_battalion",
                UnitKind.SCHOOL,
            )
            for c in range(1, 4):
                b.add(battalion, f"C{c}", f"Đại đội học viên {c}", "company", UnitKind.SCHOOL)
    b.add(academy, "BX", "Bệnh xá Học viện Kỹ thuật quân sự", "infirmary", UnitKind.INFIRMARY)

    logistics = b.add(
        root, "TCHC", "Tổng cục Hậu cần", "general_department", UnitKind.LOGISTICS, short="TCHC"
    )
    b.add(logistics, "BV354", "Bệnh viện Quân y 354", "hospital", UnitKind.HOSPITAL)
    b.add(logistics, "K190", "Kho 190", "depot", UnitKind.DEPOT)
    b.add(logistics, "K186", "Kho 186", "depot", UnitKind.DEPOT)
    b.add(logistics, "K8", "Kho xăng dầu K8", "depot", UnitKind.DEPOT)

    plans = _walk(root)
    _assign_identifiers(root)
    # The reorganisation on record: a battalion of Trung đoàn 3 moved to Trung đoàn 1. Codes and
    # identifiers are kept from its first parent, as they would be in life.
    source = next(p for p in plans if p.code == "QK4-F324-E3")
    target = next(p for p in plans if p.code == REGIMENT_A_CODE)
    moved = next(p for p in source.children if p.code == "QK4-F324-E3-D3")
    source.children.remove(moved)
    target.children.append(moved)
    moved.parent = target
    return Tree(root, _walk(root), moved, source)


def _walk(root: UnitPlan) -> list[UnitPlan]:
    out: list[UnitPlan] = []
    stack = [root]
    while stack:
        plan = stack.pop()
        out.append(plan)
        stack.extend(reversed(plan.children))
    return out


def _assign_identifiers(plan: UnitPlan, prefix: str = "G07") -> None:
    """Electronic identifiers in QĐ 20/2020 shape: the ministry's group then one group per level."""
    plan.identifier = prefix
    width = 2 if len(plan.children) < 100 else 3
    for index, child in enumerate(plan.children, start=1):
        _assign_identifiers(child, f"{prefix}.{index:0{width}d}")


def _insert_units(tree: Tree, move_on: date) -> list[Unit]:
    """Write the planned tree level by level with bulk inserts, plus its parent links."""
    units: list[Unit] = []
    by_depth: dict[int, list[UnitPlan]] = {}
    for plan in tree.plans:
        by_depth.setdefault(plan.depth, []).append(plan)
    for depth in sorted(by_depth):
        batch = []
        for plan in by_depth[depth]:
            validate_identifier(plan.identifier)
            parent = plan.parent.unit if plan.parent else None
            uid = generate_uid()
            batch.append(
                Unit(
                    uid=uid,
                    code=plan.code,
                    name=plan.name,
                    short_name=plan.short_name,
                    search_name=fold(f"{plan.name} {plan.short_name} {plan.code}"),
                    identifier=plan.identifier,
                    kind=plan.kind,
                    parent=parent,
                    path=f"{parent.path if parent else '/'}{uid}/",
                    depth=depth,
                    opened_on=OPENED_ON,
                )
            )
        created = Unit.objects.bulk_create(batch)
        if any(u.pk is None for u in created):  # pragma: no cover - backends without RETURNING
            ids = dict(Unit.objects.filter(depth=depth).values_list("code", "pk"))
            for unit in created:
                unit.pk = ids[unit.code]
        for plan, unit in zip(by_depth[depth], created, strict=True):
            plan.unit = unit
        units.extend(created)

    links = []
    for plan in tree.plans:
        assert plan.unit is not None
        parent = plan.parent.unit if plan.parent else None
        if plan is tree.moved:
            links.append(
                UnitLink(
                    unit=plan.unit,
                    parent=tree.moved_from.unit,
                    valid_from=OPENED_ON,
                    valid_to=move_on,
                    reason=LinkReason.OPENED,
                )
            )
            links.append(
                UnitLink(
                    unit=plan.unit,
                    parent=parent,
                    valid_from=move_on,
                    reason=LinkReason.MOVED,
                    note="Điều chuyển từ Trung đoàn 3 về Trung đoàn 1 theo quyết định tổ chức lại "
                    "(dữ liệu mẫu).",
                )
            )
        else:
            links.append(
                UnitLink(
                    unit=plan.unit, parent=parent, valid_from=OPENED_ON, reason=LinkReason.OPENED
                )
            )
    UnitLink.objects.bulk_create(links)
    return units


def _create_groups(rng: random.Random, tree: Tree) -> int:
    """Two classifications of the fighting units, each a group set whose groups do not overlap."""
    formations = [p for p in tree.plans if p.echelon in {"division", "brigade", "regiment"}]
    sets = {
        ("GS_BIEN_CHE", "Tình trạng biên chế"): [
            ("NHOM_DU_QUAN", "Đơn vị đủ quân"),
            ("NHOM_KHUNG", "Đơn vị khung thường xuyên"),
        ],
        ("GS_NHIEM_VU", "Nhiệm vụ chủ yếu"): [
            ("NHOM_BIEN_GIOI", "Đơn vị làm nhiệm vụ biên giới"),
            ("NHOM_HUAN_LUYEN", "Đơn vị huấn luyện chiến sĩ mới"),
            ("NHOM_CO_DONG", "Đơn vị cơ động"),
        ],
    }
    members: dict[str, list[UnitPlan]] = {
        code: [] for groups in sets.values() for code, _ in groups
    }
    for plan in formations:
        members["NHOM_DU_QUAN" if rng.random() < 0.6 else "NHOM_KHUNG"].append(plan)
        border = plan.region in {"QK2", "QK4", "QK7", "QK9"} and rng.random() < 0.45
        mission = "NHOM_BIEN_GIOI" if border else rng.choice(["NHOM_HUAN_LUYEN", "NHOM_CO_DONG"])
        members[mission].append(plan)
        plan.memory["border"] = border
    through = UnitGroup.units.through
    rows: list[Any] = []
    count = 0
    for (set_code, set_name), groups in sets.items():
        group_set = UnitGroupSet.objects.create(code=set_code, name=set_name)
        for code, name in groups:
            group = UnitGroup.objects.create(code=code, name=name)
            group_set.groups.add(group)
            rows.extend(through(unitgroup_id=group.pk, unit_id=p.unit.pk) for p in members[code])  # type: ignore[union-attr]
            count += 1
    through.objects.bulk_create(rows)
    return count


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


# --- the catalog --------------------------------------------------------------------------------

_DOMAINS = {d.value for d in Domain}
_ASSIGN_KEYS = {"kinds", "depths", "echelons"}
_PERIOD_TYPES = {t.value for t in PeriodType}


def read_catalog(path: Path = CATALOG_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        doc: dict[str, Any] = json.load(handle)
    return doc


def option_combo_codes(doc: dict[str, Any], combo_code: str | None) -> list[str]:
    """The codes the loader gives a combo's option combos: option codes joined by '_', in the
    order of the Cartesian product (so `#{XD_NHAP.XD_DIESEL}` reads naturally)."""
    if combo_code is None:
        return [catalog.DEFAULT_CODE]
    combo = next(c for c in doc["categoryCombos"] if c["code"] == combo_code)
    categories = {c["code"]: c for c in doc["categories"]}
    lists = [categories[code]["categoryOptions"] for code in combo["categories"]]
    return ["_".join(options) for options in itertools.product(*lists)]


def check_catalog(doc: dict[str, Any]) -> list[str]:
    """Every problem in the metadata package: duplicate codes, references that do not resolve,
    unknown enumerations and expressions that do not parse. Empty means it can be loaded."""
    problems: list[str] = []
    codes: dict[str, set[str]] = {}
    for kind in (
        "categoryOptions",
        "categories",
        "categoryCombos",
        "optionSets",
        "dataElements",
        "dataSets",
        "indicators",
        "validationRules",
        "constants",
        "normSets",
    ):
        seen: set[str] = set()
        for obj in doc.get(kind, []):
            code = obj.get("code", "")
            if not code or len(code) > 50:
                problems.append(f"{kind}: missing or too long code {code!r}")
            if code in seen:
                problems.append(f"{kind}: duplicate code {code}")
            if "id" in obj and not is_valid_uid(obj["id"]):
                problems.append(f"{kind} {code}: invalid id {obj['id']!r}")
            seen.add(code)
        codes[kind] = seen

    def need(kind: str, code: str, where: str) -> None:
        if code not in codes[kind]:
            problems.append(f"{where}: unknown {kind[:-1]} {code!r}")

    for category in doc.get("categories", []):
        for option in category.get("categoryOptions", []):
            need("categoryOptions", option, f"category {category['code']}")
    for combo in doc.get("categoryCombos", []):
        for category in combo.get("categories", []):
            need("categories", category, f"categoryCombo {combo['code']}")
    coc_codes: dict[str, set[str]] = {}
    for element in doc.get("dataElements", []):
        where = f"dataElement {element['code']}"
        combo = element.get("categoryCombo")
        if combo is not None:
            need("categoryCombos", combo, where)
        if element.get("optionSet") is not None:
            need("optionSets", element["optionSet"], where)
        if element.get("domain") not in _DOMAINS:
            problems.append(f"{where}: unknown domain {element.get('domain')!r}")
        if element.get("valueType") not in ValueType.values:
            problems.append(f"{where}: unknown value type {element.get('valueType')!r}")
        if element.get("aggregationType") not in AggregationType.values:
            problems.append(f"{where}: unknown aggregation {element.get('aggregationType')!r}")
        if combo is None or combo in codes["categoryCombos"]:
            try:
                coc_codes[element["code"]] = set(option_combo_codes(doc, combo))
            except KeyError as exc:
                problems.append(f"{where}: its combination refers to unknown {exc}")
    for data_set in doc.get("dataSets", []):
        where = f"dataSet {data_set['code']}"
        if data_set.get("domain") not in _DOMAINS:
            problems.append(f"{where}: unknown domain {data_set.get('domain')!r}")
        if data_set.get("periodType") not in _PERIOD_TYPES:
            problems.append(f"{where}: unknown period type {data_set.get('periodType')!r}")
        placed: set[str] = set()
        for section in data_set.get("sections", []):
            for code in section.get("dataElements", []):
                need("dataElements", code, f"{where} section {section.get('name')!r}")
                if code in placed:
                    problems.append(f"{where}: {code} is in two sections")
                placed.add(code)
        rules = data_set.get("assignTo", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            if not rule or set(rule) - _ASSIGN_KEYS:
                problems.append(f"{where}: assignTo rule {rule!r} uses unknown keys")
            for kind in rule.get("kinds", []):
                if kind not in UnitKind.values:
                    problems.append(f"{where}: unknown unit kind {kind!r}")

    def check_expression(text: str, where: str) -> None:
        try:
            expression = parse_expression(text)
        except ExpressionError as exc:
            problems.append(f"{where}: {exc.message} at {exc.position + 1} in {text!r}")
            return
        for operand in expression.operands():
            if operand.data_element not in codes["dataElements"]:
                problems.append(f"{where}: unknown data element {operand.data_element!r}")
            elif (
                operand.category_option_combo is not None
                and operand.category_option_combo
                not in (coc_codes.get(operand.data_element, set()))
            ):
                problems.append(
                    f"{where}: {operand.data_element} has no option combo "
                    f"{operand.category_option_combo!r}"
                )
        for constant in expression.constants():
            need("constants", constant, where)

    for indicator in doc.get("indicators", []):
        where = f"indicator {indicator['code']}"
        check_expression(indicator["numerator"], where)
        check_expression(indicator.get("denominator", "1"), where)
    for rule in doc.get("validationRules", []):
        where = f"validationRule {rule['code']}"
        check_expression(rule["left"], where)
        check_expression(rule["right"], where)
        if rule.get("operator") not in Operator.values:
            problems.append(f"{where}: unknown operator {rule.get('operator')!r}")
        if rule.get("periodType") not in _PERIOD_TYPES:
            problems.append(f"{where}: unknown period type {rule.get('periodType')!r}")
    for norm_set in doc.get("normSets", []):
        if norm_set.get("kind") not in NormSet.Kind.values:
            problems.append(f"normSet {norm_set['code']}: unknown kind {norm_set.get('kind')!r}")
    return problems


@dataclass
class LoadedCatalog:
    elements: dict[str, DataElement]
    data_sets: list[tuple[DataSet, dict[str, Any]]]
    coc_ids: dict[str, int]  # option-combo code -> id
    default_coc_id: int
    indicators: int
    rules: int


def _with_uid(obj: Any, spec: dict[str, Any]) -> Any:
    if "id" in spec:
        obj.uid = spec["id"]
    return obj


def load_catalog(scope: Scope, doc: dict[str, Any]) -> LoadedCatalog:
    """Create every object of the metadata package (the caller holds the transaction)."""
    default_combo = catalog.ensure_default_combo()
    default_coc = CategoryOptionCombo.objects.get(combo=default_combo)

    options = {
        spec["code"]: _with_uid(
            CategoryOption(
                code=spec["code"], name=spec["name"], short_name=spec.get("shortName", "")
            ),
            spec,
        )
        for spec in doc["categoryOptions"]
    }
    CategoryOption.objects.bulk_create(options.values())
    categories: dict[str, Category] = {}
    for spec in doc["categories"]:
        category = _with_uid(Category(code=spec["code"], name=spec["name"]), spec)
        category.save()
        CategoryMembership.objects.bulk_create(
            CategoryMembership(category=category, option=options[code], sort_order=i)
            for i, code in enumerate(spec["categoryOptions"])
        )
        categories[spec["code"]] = category
    combos: dict[str | None, CategoryCombo] = {None: default_combo}
    coc_ids = {catalog.DEFAULT_CODE: default_coc.pk}
    for spec in doc["categoryCombos"]:
        combo = _with_uid(CategoryCombo(code=spec["code"], name=spec["name"]), spec)
        combo.save()
        CategoryComboMembership.objects.bulk_create(
            CategoryComboMembership(combo=combo, category=categories[code], sort_order=i)
            for i, code in enumerate(spec["categories"])
        )
        # Rename the generated option combos to readable codes that expressions can cite.
        generated = sorted(catalog.generate_option_combos(combo), key=lambda c: c.sort_order)
        for coc, code in zip(generated, option_combo_codes(doc, spec["code"]), strict=True):
            if code not in coc_ids:
                CategoryOptionCombo.objects.filter(pk=coc.pk).update(code=code)
                coc.code = code
            coc_ids[coc.code] = coc.pk
        combos[spec["code"]] = combo

    option_sets: dict[str, OptionSet] = {}
    for spec in doc.get("optionSets", []):
        option_set = _with_uid(
            OptionSet(
                code=spec["code"], name=spec["name"], value_type=spec.get("valueType", "TEXT")
            ),
            spec,
        )
        option_set.save()
        Option.objects.bulk_create(
            Option(option_set=option_set, code=o["code"], name=o["name"], sort_order=i)
            for i, o in enumerate(spec["options"])
        )
        option_sets[spec["code"]] = option_set

    elements: dict[str, DataElement] = {}
    for spec in doc["dataElements"]:
        element = _with_uid(
            DataElement(
                code=spec["code"],
                name=spec["name"],
                short_name=spec.get("shortName", ""),
                form_name=spec.get("formName", ""),
                description=spec.get("description", ""),
                domain=spec["domain"],
                value_type=spec["valueType"],
                aggregation_type=spec["aggregationType"],
                zero_is_significant=spec.get("zeroIsSignificant", False),
                unit_of_measure=spec.get("unitOfMeasure", ""),
                category_combo=combos[spec.get("categoryCombo")],
                option_set=option_sets.get(spec.get("optionSet", "")),
            ),
            spec,
        )
        elements[spec["code"]] = catalog.save_data_element(scope, element)

    data_sets: list[tuple[DataSet, dict[str, Any]]] = []
    for spec in doc["dataSets"]:
        data_set = catalog.save_data_set(
            scope,
            _with_uid(
                DataSet(
                    code=spec["code"],
                    name=spec["name"],
                    short_name=spec.get("shortName", ""),
                    description=spec.get("description", ""),
                    domain=spec["domain"],
                    period_type=spec["periodType"],
                    timely_days=spec.get("timelyDays", 10),
                    expiry_days=spec.get("expiryDays", 0),
                    category_combo=default_combo,
                ),
                spec,
            ),
        )
        members = [code for section in spec["sections"] for code in section["dataElements"]]
        DataSetElement.objects.bulk_create(
            DataSetElement(data_set=data_set, data_element=elements[code]) for code in members
        )
        for order, section_spec in enumerate(spec["sections"]):
            section = Section.objects.create(
                data_set=data_set,
                name=section_spec["name"],
                sort_order=order,
                description=section_spec.get("description", ""),
            )
            SectionElement.objects.bulk_create(
                SectionElement(section=section, data_element=elements[code], sort_order=i)
                for i, code in enumerate(section_spec["dataElements"])
            )
        data_sets.append((data_set, spec))

    for spec in doc.get("constants", []):
        _with_uid(
            Constant(
                code=spec["code"],
                name=spec["name"],
                value=spec["value"],
                description=spec.get("description", ""),
            ),
            spec,
        ).save()
    for spec in doc.get("indicators", []):
        catalog.save_indicator(
            scope,
            _with_uid(
                Indicator(
                    code=spec["code"],
                    name=spec["name"],
                    short_name=spec.get("shortName", spec["name"][:80]),
                    description=spec.get("description", ""),
                    domain=spec["domain"],
                    numerator=spec["numerator"],
                    numerator_description=spec.get("numeratorDescription", ""),
                    denominator=spec.get("denominator", "1"),
                    denominator_description=spec.get("denominatorDescription", ""),
                    factor=spec.get("factor", 1),
                    decimals=spec.get("decimals", 1),
                ),
                spec,
            ),
        )
    for spec in doc.get("validationRules", []):
        catalog.save_validation_rule(
            scope,
            _with_uid(
                ValidationRule(
                    code=spec["code"],
                    name=spec["name"],
                    description=spec.get("description", ""),
                    instruction=spec.get("instruction", ""),
                    domain=spec["domain"],
                    period_type=spec["periodType"],
                    left=spec["left"],
                    operator=spec["operator"],
                    right=spec["right"],
                    importance=spec.get("importance", "MEDIUM"),
                    left_missing=spec.get("leftMissing", "SKIP_IF_ALL_VALUES_MISSING"),
                    right_missing=spec.get("rightMissing", "SKIP_IF_ALL_VALUES_MISSING"),
                ),
                spec,
            ),
        )
    for spec in doc.get("normSets", []):
        norm_set = _with_uid(
            NormSet(
                code=spec["code"],
                name=spec["name"],
                kind=spec["kind"],
                domain=spec["domain"],
                description=spec.get("description", ""),
                legal_basis=spec.get("legalBasis", ""),
            ),
            spec,
        )
        norm_set.save()
        # Oldest first, so that each newer row supersedes the open-ended one before it.
        for row in sorted(spec["norms"], key=lambda r: (r["itemCode"], r["validFrom"])):
            catalog.add_norm(
                scope,
                norm_set,
                item_code=row["itemCode"],
                item_name=row["itemName"],
                unit_of_measure=row["unitOfMeasure"],
                value=Decimal(str(row["value"])),
                valid_from=date.fromisoformat(row["validFrom"]),
                valid_to=date.fromisoformat(row["validTo"]) if row.get("validTo") else None,
                note=row.get("note", ""),
            )
    return LoadedCatalog(
        elements,
        data_sets,
        coc_ids,
        default_coc.pk,
        len(doc.get("indicators", [])),
        len(doc.get("validationRules", [])),
    )


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


# --- generated values ---------------------------------------------------------------------------

Cells = dict[
    tuple[str, str], object
]  # (element code, option-combo code) -> int, float, bool or str
Generator = Callable[[random.Random, UnitPlan, list[Period]], Iterator[tuple[Period, Cells]]]
D = "default"

# Training intensity by month: Tết in February is quiet; spring and autumn training peak.
TRAINING = {
    1: 1.0,
    2: 0.7,
    3: 1.1,
    4: 1.2,
    5: 1.15,
    6: 1.0,
    7: 0.9,
    8: 0.9,
    9: 1.1,
    10: 1.15,
    11: 1.1,
    12: 0.95,
}
FUEL_GROUPS = ("XD_XANG", "XD_DIESEL", "XD_PHAN_LUC", "XD_DMN")
SOUTH = {"QK5", "QK7", "QK9"}


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation; Knuth's method underflows for large means
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _remark(rng: random.Random, share: float, texts: list[str]) -> str | None:
    return rng.choice(texts) if rng.random() < share else None


def _profile(plan: UnitPlan, key: str, make: Callable[[], Any]) -> Any:
    """A per-unit constant shared by several forms (headcount, fuel base, beds…)."""
    if key not in plan.memory:
        plan.memory[key] = make()
    return plan.memory[key]


def _fuel_base(rng: random.Random, plan: UnitPlan) -> dict[str, int]:
    """Monthly issue per fuel group, in litres, for the unit's own vehicles and machines."""

    def make() -> dict[str, int]:
        scale = rng.uniform(0.6, 1.5)
        base = {
            "battalion": (1200, 4500, 0, 180),
            "regiment": (3500, 12000, 0, 500),
            "brigade": (4500, 16000, 0, 650),
            "division": (6000, 20000, 0, 900),
            "depot": (250_000, 700_000, 150_000 if rng.random() < 0.6 else 0, 30_000),
        }.get(plan.echelon, (2000, 6000, 0, 250))
        return {g: round(v * scale) for g, v in zip(FUEL_GROUPS, base, strict=True)}

    return dict(_profile(plan, "fuel", make))


def _flow(
    rng: random.Random, opening: int, issue: int, loss: int, base: float, step: int
) -> tuple[int, int]:
    """Receipts that bring the stock back to 1–1.8 months of use; returns (receipt, closing)."""
    target = base * rng.uniform(1.0, 1.8)
    receipt = max(0, math.ceil((target - opening + issue + loss) / step) * step)
    return receipt, opening + receipt - issue - loss


def gen_fuel_stock(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    base = _fuel_base(rng, plan)
    stock = {g: round(b * rng.uniform(1.2, 1.8)) for g, b in base.items() if b}
    losses: dict[tuple[str, str], int] = plan.memory.setdefault("fuel_loss", {})
    step = 1000 if plan.echelon == "depot" else 100
    for period in periods:
        season = TRAINING[period.start.month]
        cells: Cells = {}
        for group, opening in stock.items():
            issue = round(base[group] * season * rng.uniform(0.85, 1.15))
            loss = round(issue * rng.uniform(0.0008, 0.003))
            receipt, closing = _flow(rng, opening, issue, loss, base[group], step)
            cells.update(
                {
                    ("XD_TON_DAU", group): opening,
                    ("XD_NHAP", group): receipt,
                    ("XD_XUAT", group): issue,
                    ("XD_HAO_HUT", group): loss,
                    ("XD_TON_CUOI", group): closing,
                }
            )
            stock[group] = closing
            losses[(group, period.id)] = loss
        cells[("XD_DA_KIEM_KE", D)] = rng.random() < 0.92
        remark = _remark(
            rng,
            0.12,
            [
                "Đơn vị tham gia diễn tập, tiêu thụ tăng so với kế hoạch.",
                "Đã đối chiếu phiếu nhập, phiếu xuất với Kho xăng dầu cấp trên.",
                "Một xe vận tải sửa chữa cấp vừa, không tiêu thụ nhiên liệu.",
                "Nhập bổ sung hạn mức quý theo lệnh của Cục Xăng dầu.",
            ],
        )
        if remark:
            cells[("XD_GHI_CHU", D)] = remark
        yield period, cells


# Vehicle types: (count range per battalion-sized unit, km or hours per month, litres per km/hour).
VEHICLES = {
    "PT_XE_CON": ((1, 2), 900, 0.18),
    "PT_XE_VAN_TAI": ((4, 10), 700, 0.35),
    "PT_XE_TANG_THIET_GIAP": ((10, 31), 40, 2.6),
    "PT_MAY_NO": ((2, 5), 60, 3.2),
    "PT_TAU_XUONG": ((2, 4), 20, 42.0),
}


def gen_vehicles(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    def make() -> dict[str, int]:
        factor = 1 if plan.echelon == "battalion" else 2
        armoured = rng.random() < 0.2
        boats = plan.region in SOUTH and rng.random() < 0.25
        counts = {}
        for code, ((low, high), _km, _norm) in VEHICLES.items():
            if (code == "PT_XE_TANG_THIET_GIAP" and not armoured) or (
                code == "PT_TAU_XUONG" and not boats
            ):
                continue
            counts[code] = rng.randint(low, high) * factor
        return counts

    counts: dict[str, int] = dict(_profile(plan, "vehicles", make))
    for period in periods:
        season = TRAINING[period.start.month]
        cells: Cells = {}
        for code, count in counts.items():
            if rng.random() < 0.05:  # a vehicle handed over or received
                count = counts[code] = max(1, count + rng.choice((-1, 1)))
            _range, per_vehicle, norm = VEHICLES[code]
            activity = round(count * per_vehicle * season * rng.uniform(0.8, 1.2))
            quota = round(activity * norm)
            cells.update(
                {
                    ("PT_SO_LUONG", code): count,
                    ("PT_HOAT_DONG", code): activity,
                    ("PT_NL_DINH_MUC", code): quota,
                    ("PT_NL_THUC_TE", code): round(quota * rng.uniform(0.9, 1.07)),
                }
            )
        cells[("PT_TY_LE_SAN_SANG", D)] = round(rng.uniform(86, 99), 1)
        remark = _remark(
            rng,
            0.08,
            [
                "Hai xe đang sửa chữa cấp vừa tại xưởng quân khu.",
                "Phương tiện tham gia diễn tập khu vực phòng thủ.",
                "Máy phát điện chạy bù do mất điện lưới kéo dài.",
            ],
        )
        if remark:
            cells[("PT_GHI_CHU", D)] = remark
        yield period, cells


def gen_fuel_loss(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    """Quarterly losses by stage; they add up to the monthly losses the unit already reported."""
    monthly: dict[tuple[str, str], int] = plan.memory.get("fuel_loss", {})
    base = _fuel_base(rng, plan)
    for period in periods:
        cells: Cells = {}
        months = period.periods_within(PeriodType.MONTHLY)
        for group, b in base.items():
            if not b:
                continue
            known = [monthly.get((group, m.id)) for m in months]
            total = (
                sum(v for v in known if v is not None)
                if all(v is not None for v in known)
                else round(3 * b * rng.uniform(0.001, 0.003))
            )
            receipt = round(total * rng.uniform(0.35, 0.45))
            issue = round(total * rng.uniform(0.25, 0.35))
            transport = round(total * rng.uniform(0.0, 0.08))
            storage = max(0, total - receipt - issue - transport)
            cells.update(
                {
                    ("HH_NHAP", group): receipt,
                    ("HH_XUAT", group): issue,
                    ("HH_TON_CHUA", group): storage,
                    ("HH_VAN_CHUYEN", group): transport,
                    ("HH_DINH_MUC", group): math.ceil(total * rng.uniform(1.1, 1.6)),
                }
            )
        cells[("HH_VUOT_DINH_MUC", D)] = False
        remark = _remark(
            rng,
            0.1,
            [
                "Hao hụt tồn chứa tăng do nhiệt độ cao trong tháng 6.",
                "Đã xúc rửa bể chứa số 2, hao hụt trong định mức.",
            ],
        )
        if remark:
            cells[("HH_GIAI_TRINH", D)] = remark
        yield period, cells


def gen_readiness(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    base = {
        "division": (20_000, 60_000, 0, 3_000),
        "brigade": (15_000, 50_000, 0, 2_500),
        "depot": (500_000, 1_500_000, 400_000, 60_000),
    }.get(plan.echelon, (10_000, 30_000, 0, 1_500))
    scale = rng.uniform(0.7, 1.4)
    quota = {g: round(v * scale, -3) for g, v in zip(FUEL_GROUPS, base, strict=True) if v}
    for period in periods:
        cells: Cells = {}
        for group, q in quota.items():
            actual = round(q * rng.uniform(0.93, 1.02))
            cells.update(
                {
                    ("SSCD_QUY_DINH", group): q,
                    ("SSCD_THUC_CO", group): actual,
                    ("SSCD_LUAN_CHUYEN", group): round(q * rng.uniform(0.1, 0.3)),
                }
            )
        total_q = sum(quota.values())
        total_a = sum(int(cells[("SSCD_THUC_CO", g)]) for g in quota)  # type: ignore[call-overload]
        cells[("SSCD_TY_LE", D)] = round(min(100.0, total_a / total_q * 100), 1)
        cells[("SSCD_CHAT_LUONG_DAT", D)] = rng.random() < 0.96
        remark = _remark(
            rng,
            0.1,
            [
                "Đã luân chuyển đổi mới dầu diesel dự trữ quá 12 tháng.",
                "Thiếu 1 bể 25 m³ để bảo quản dự trữ theo quy định.",
            ],
        )
        if remark:
            cells[("SSCD_GHI_CHU", D)] = remark
        yield period, cells


LAND_PURPOSES = {  # purpose: (share of units that have it, area range in m²)
    "DAT_DOANH_TRAI": (1.0, (150_000, 400_000)),
    "DAT_THAO_TRUONG": (0.8, (300_000, 1_500_000)),
    "DAT_TRAN_DIA": (0.5, (50_000, 300_000)),
    "DAT_KHO_TANG": (0.6, (20_000, 100_000)),
    "DAT_SAN_BAY_BEN_CANG": (0.05, (200_000, 800_000)),
    "DAT_KET_HOP_SX": (0.3, (100_000, 1_000_000)),
}


def gen_land(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    sites: dict[str, tuple[int, int, float]] = {}
    for purpose, (share, (low, high)) in LAND_PURPOSES.items():
        if purpose == "DAT_KHO_TANG" and plan.kind == UnitKind.DEPOT:
            sites[purpose] = (
                rng.randint(1, 3),
                rng.randint(200_000, 600_000),
                rng.uniform(0.5, 0.9),
            )
        elif rng.random() < share:
            sites[purpose] = (rng.randint(1, 4), rng.randint(low, high), rng.uniform(0.3, 0.9))
    for period in periods:
        cells: Cells = {}
        for purpose, (count, area, certified) in sites.items():
            certified = min(1.0, certified + rng.uniform(0.02, 0.08))
            sites[purpose] = (count, area, certified)
            cells.update(
                {
                    ("DAT_SO_KHU", purpose): count,
                    ("DAT_DIEN_TICH", purpose): area,
                    ("DAT_DIEN_TICH_GCN", purpose): round(area * certified),
                }
            )
        total = sum(area for _c, area, _g in sites.values())
        cells[("DAT_DIEN_TICH_KET_HOP", D)] = round(total * rng.uniform(0.02, 0.1))
        remark = _remark(
            rng,
            0.15,
            [
                "Đang đề nghị cấp GCN cho khu thao trường.",
                "Đã cắm mốc ranh giới khu doanh trại theo bản đồ VN-2000.",
            ],
        )
        if remark:
            cells[("DAT_GHI_CHU", D)] = remark
        yield period, cells


BUILDING_TYPES = {
    "CT_NHA_O": (1.0, 450),
    "CT_NHA_LAM_VIEC": (0.35, 300),
    "CT_NHA_AN": (0.25, 350),
    "CT_NHA_KHO": (0.5, 250),
}
CONDITIONS = ("CL_TOT", "CL_TRUNG_BINH", "CL_XUONG_CAP", "CL_NGUY_HIEM")


def gen_buildings(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    housing = {
        "division": (20, 40),
        "regiment": (10, 20),
        "brigade": (12, 25),
        "school": (15, 30),
    }.get(plan.echelon, (5, 10))
    houses = rng.randint(*housing)
    stock = {}
    for code, (ratio, _area) in BUILDING_TYPES.items():
        n = max(1, round(houses * ratio))
        tot = round(n * rng.uniform(0.35, 0.55))
        avg = round(n * rng.uniform(0.25, 0.4))
        bad = round(n * rng.uniform(0.05, 0.2))
        stock[code] = [tot, avg, bad, max(0, n - tot - avg - bad) if rng.random() < 0.3 else 0]
    capacity = houses * 60
    for period in periods:
        for counts in stock.values():  # wear over six months, and some repairs
            worn = [_binomial(rng, counts[i], p) for i, p in enumerate((0.03, 0.03, 0.02))]
            repaired = _binomial(rng, counts[2] + counts[3], 0.1)
            for i, n in enumerate(worn):
                counts[i] -= n
                counts[i + 1] += n
            from_danger = min(repaired, counts[3])
            counts[3] -= from_danger
            counts[2] -= repaired - from_danger
            counts[0] += repaired
        cells: Cells = {}
        for code, counts in stock.items():
            for condition, n in zip(CONDITIONS, counts, strict=True):
                cells[(code, condition)] = n
        for i, condition in enumerate(CONDITIONS):
            cells[("CT_DIEN_TICH_SAN", condition)] = sum(
                stock[code][i] * area for code, (_r, area) in BUILDING_TYPES.items()
            )
        cells[("CT_SUC_CHUA", D)] = capacity
        cells[("CT_QUAN_SO_O", D)] = round(capacity * rng.uniform(0.75, 1.1))
        remark = _remark(
            rng,
            0.12,
            [
                "Nhà ở đại đội 2 dột, thấm nghiêm trọng mùa mưa.",
                "Đã hoàn thành cải tạo nhà ăn tập trung.",
            ],
        )
        if remark:
            cells[("CT_GHI_CHU", D)] = remark
        yield period, cells


def gen_land_cases(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    cases = {
        party: [rng.randint(0, 3), rng.randint(0, 2)] if rng.random() < 0.3 else [0, 0]
        for party in ("TC_HO_GIA_DINH", "TC_TO_CHUC")
    }
    for period in periods:
        cells: Cells = {}
        new = rng.random() < 0.1
        solved = 0
        for party, counts in cases.items():
            if new:
                counts[rng.randrange(2)] += 1
            for i in range(2):
                if counts[i] and rng.random() < 0.2:
                    counts[i] -= 1
                    solved += 1
            cells.update(
                {
                    ("TC_SO_VU_TRANH_CHAP", party): counts[0],
                    ("TC_DT_TRANH_CHAP", party): counts[0] * rng.randint(500, 8000),
                    ("TC_SO_VU_LAN_CHIEM", party): counts[1],
                    ("TC_DT_LAN_CHIEM", party): counts[1] * rng.randint(200, 5000),
                }
            )
        # Solved cases are reported beside those still open, so the rule compares with the sum.
        open_cases = sum(sum(c) for c in cases.values())
        solved = min(solved, open_cases)
        cells[("TC_SO_VU_DA_GIAI_QUYET", D)] = solved
        cells[("TC_DT_DA_THU_HOI", D)] = solved * rng.randint(300, 3000)
        if rng.random() < 0.05:
            cells[("TC_DT_BAN_GIAO", D)] = rng.randint(5_000, 50_000)
        cells[("TC_CO_VU_MOI", D)] = new
        if open_cases:
            cells[("TC_GHI_CHU", D)] = rng.choice(
                [
                    "Phối hợp với UBND xã lập biên bản, yêu cầu tháo dỡ công trình lấn chiếm.",
                    "Đề nghị địa phương xác minh nguồn gốc đất, chờ kết quả đo đạc.",
                ]
            )
        yield period, cells


LIFE_CLASSES = {
    "NH_BAC_I": (0, 2),
    "NH_BAC_II": (5, 15),
    "NH_BAC_III": (10, 40),
    "NH_BAC_IV": (5, 20),
}
EXPIRED = {"NH_BAC_I": 0.0, "NH_BAC_II": 0.02, "NH_BAC_III": 0.08, "NH_BAC_IV": 0.2}


def gen_service_life(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    counts = {c: rng.randint(*r) for c, r in LIFE_CLASSES.items()}
    for period in periods:
        cells: Cells = {}
        need = 0
        for cls, n in counts.items():
            expired = _binomial(rng, n, EXPIRED[cls])
            soon = _binomial(rng, n - expired, 0.1 if cls != "NH_BAC_I" else 0.0)
            need += expired + soon
            cells.update(
                {
                    ("NH_SO_CONG_TRINH", cls): n,
                    ("NH_HET_NIEN_HAN", cls): expired,
                    ("NH_SAP_HET_NIEN_HAN", cls): soon,
                    ("NH_DIEN_TICH_SAN", cls): n * rng.randint(300, 500),
                }
            )
        if need:
            cells[("NH_KINH_PHI_DE_NGHI", D)] = round(need * rng.uniform(300, 1500), 1)
        yield period, cells


PATIENT_SHARES = {"BN_QUAN_NHAN": 0.45, "BN_CNVCQP": 0.05, "BN_BHYT": 0.45, "BN_NHAN_DAN": 0.05}


def gen_hospital_day(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    beds = 500 if plan.code == "TCHC-BV354" else rng.randrange(350, 900, 50)
    set_up = round(beds * rng.uniform(1.1, 1.3))
    patients = {c: round(beds * 0.95 * s) for c, s in PATIENT_SHARES.items()}
    for period in periods:
        weekday = period.start.weekday()
        busy = 0.5 if weekday == 6 else 0.75 if weekday == 5 else 1.1
        cells: Cells = {}
        for c, share in PATIENT_SHARES.items():
            # Admissions pull the census back towards ~95 % of planned beds.
            pull = (beds * 0.95 * share) / max(1, patients[c])
            admitted = _poisson(rng, beds * share / 7.5 * busy * pull)
            discharged = round(patients[c] * rng.uniform(0.10, 0.16) * (0.4 if weekday == 6 else 1))
            patients[c] = patients[c] + admitted - discharged
            cells.update({("DTN_THU_DUNG", c): admitted, ("DTN_RA_VIEN", c): discharged})
        transferred = _poisson(rng, beds * 0.003)
        died = 1 if rng.random() < 0.12 else 0
        for _ in range(transferred + died):
            largest = max(patients, key=lambda k: patients[k])
            patients[largest] -= 1
        for c in PATIENT_SHARES:
            cells[("DTN_DANG_DIEU_TRI", c)] = patients[c]
        cells.update(
            {
                ("DTN_CHUYEN_VIEN", D): transferred,
                ("DTN_TU_VONG", D): died,
                ("DTN_CAP_CUU", D): _poisson(rng, beds * 0.02),
                ("DTN_PHAU_THUAT", D): _poisson(rng, beds * 0.025 * (0.3 if weekday >= 5 else 1)),
                ("DTN_GIUONG_KE_HOACH", D): beds,
                ("DTN_GIUONG_THUC_KE", D): set_up,
            }
        )
        yield period, cells


# Monthly cases per 1,000 soldiers and the month multipliers of each disease.
DISEASES: dict[str, tuple[float, Callable[[int], float], float]] = {
    "B_SOT_XUAT_HUYET": (0.4, lambda m: 2.5 if 6 <= m <= 11 else 0.3, 0.6),
    "B_CUM": (3.0, lambda m: 2.0 if m in (12, 1, 2, 3) else 0.6, 0.15),
    "B_TIEU_CHAY": (2.0, lambda m: 1.6 if 5 <= m <= 8 else 0.8, 0.2),
    "B_SOT_RET": (0.05, lambda m: 1.5 if 5 <= m <= 10 else 0.7, 0.8),
    "B_DAU_MAT_DO": (0.8, lambda m: 3.0 if 8 <= m <= 10 else 0.5, 0.05),
    "B_THUY_DAU": (0.3, lambda m: 2.5 if 2 <= m <= 4 else 0.5, 0.4),
}


def gen_hygiene(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    low, high = {"battalion": (280, 420), "regiment": (300, 450), "brigade": (400, 600)}.get(
        plan.echelon, (200, 300)
    )
    headcount = rng.randint(low, high)
    south = plan.region in SOUTH
    border = plan.memory.get("border", False) or (
        plan.parent is not None and plan.parent.memory.get("border", False)
    )
    for period in periods:
        month = period.start.month
        strength = round(headcount * rng.uniform(0.97, 1.03))
        cells: Cells = {("VS_QUAN_SO", D): strength}
        dengue = 0
        for disease, (rate, season, admit) in DISEASES.items():
            if disease == "B_SOT_XUAT_HUYET" and south:
                rate *= 3
            if disease == "B_SOT_RET" and border:
                rate = 0.6
            cases = _poisson(rng, strength / 1000 * rate * season(month))
            cells[("VS_SO_MAC", disease)] = cases
            cells[("VS_NAM_DIEU_TRI", disease)] = _binomial(rng, cases, admit)
            if disease == "B_SOT_XUAT_HUYET":
                dengue = cases
        cells[("VS_O_DICH", D)] = 1 if dengue >= 4 else 0
        cells[("VS_PHUN_KHU_KHUAN", D)] = rng.randint(2, 4) + (3 if dengue else 0)
        cells[("VS_TY_LE_KHAM_SK", D)] = round(rng.uniform(85, 100), 1)
        cells[("VS_NUOC_DAT", D)] = rng.random() < 0.95
        cells[("VS_DANH_GIA", D)] = rng.choices(
            ["TOT", "KHA", "TRUNG_BINH", "YEU"], [5, 8, 2, 0.3]
        )[0]
        remark = _remark(
            rng,
            0.1,
            [
                "Tổ chức phát quang, diệt bọ gậy khu vực doanh trại.",
                "Đã báo cáo ổ dịch sốt xuất huyết về Phòng Quân y sư đoàn.",
                "Kiểm tra bếp ăn tập thể: đạt yêu cầu vệ sinh an toàn thực phẩm.",
            ],
        )
        if remark:
            cells[("VS_GHI_CHU", D)] = remark
        yield period, cells


def gen_infirmary(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    beds = rng.randint(30, 50) if plan.code.endswith("-DDT") else rng.randint(10, 25)
    visits = {
        "BN_QUAN_NHAN": rng.randint(150, 400),
        "BN_CNVCQP": rng.randint(10, 40),
        "BN_BHYT": rng.randint(20, 80),
        "BN_NHAN_DAN": rng.randint(0, 30),
    }
    for period in periods:
        season = 1.2 if period.start.month in (1, 2, 6, 7, 8) else 1.0
        cells: Cells = {}
        treated_total = 0
        for c, v in visits.items():
            seen = round(v * season * rng.uniform(0.85, 1.15))
            treated = round(seen * rng.uniform(0.08, 0.16))
            treated_total += treated
            cells.update({("BX_LUOT_KHAM", c): seen, ("BX_DIEU_TRI", c): treated})
        bed_days = min(round(treated_total * rng.uniform(3, 6)), beds * period.days)
        cells.update(
            {
                ("BX_NGAY_DIEU_TRI", D): bed_days,
                ("BX_CHUYEN_TUYEN", D): _binomial(rng, treated_total, 0.05),
                ("BX_GIUONG", D): beds,
                ("BX_CONG_SUAT_GIUONG", D): round(bed_days / (beds * period.days) * 100, 1),
            }
        )
        yield period, cells


MEDICINE_USE = {
    "T_KHANG_SINH": 900_000,
    "T_GIAM_DAU": 250_000,
    "T_DICH_TRUYEN": 400_000,
    "T_VTYT_TIEU_HAO": 600_000,
    "T_HOA_CHAT": 120_000,
}  # thousand đồng per quarter


def gen_medicines(
    rng: random.Random, plan: UnitPlan, periods: list[Period]
) -> Iterator[tuple[Period, Cells]]:
    scale = rng.uniform(0.6, 1.5) * (1 if plan.kind == UnitKind.HOSPITAL else 1 / 40)
    base = {g: v * scale for g, v in MEDICINE_USE.items()}
    stock = {g: round(b * rng.uniform(1.0, 1.5)) for g, b in base.items()}
    for period in periods:
        cells: Cells = {}
        for group, opening in stock.items():
            used = round(base[group] * rng.uniform(0.85, 1.15))
            expired = round(opening * rng.uniform(0.002, 0.01)) if rng.random() < 0.3 else 0
            used = min(used, opening)  # never more than the store held plus what arrives
            receipt, closing = _flow(rng, opening, used, expired, base[group], 1000)
            cells.update(
                {
                    ("TVT_TON_DAU", group): opening,
                    ("TVT_NHAP", group): receipt,
                    ("TVT_XUAT", group): used,
                    ("TVT_HET_HAN", group): expired,
                    ("TVT_TON_CUOI", group): closing,
                }
            )
            stock[group] = closing
        cells[("TVT_MAT_HANG_THIEU", D)] = _poisson(
            rng, 3 if plan.kind == UnitKind.HOSPITAL else 1.5
        )
        yield period, cells


GENERATORS: dict[str, Generator] = {
    "XD_TON_KHO_THANG": gen_fuel_stock,
    "XD_PHUONG_TIEN_THANG": gen_vehicles,
    "XD_HAO_HUT_QUY": gen_fuel_loss,
    "XD_DU_TRU_SSCD": gen_readiness,
    "DT_DAT_QUOC_PHONG": gen_land,
    "DT_NHA_CONG_TRINH": gen_buildings,
    "DT_TRANH_CHAP_DAT": gen_land_cases,
    "DT_NIEN_HAN_CONG_TRINH": gen_service_life,
    "QY_THU_DUNG_NGAY": gen_hospital_day,
    "QY_VE_SINH_PHONG_DICH": gen_hygiene,
    "QY_BENH_XA_THANG": gen_infirmary,
    "QY_THUOC_VTYT_QUY": gen_medicines,
}


def report_periods(period_type: str, today: date, months: int) -> list[Period]:
    """The periods to fill: those that ended in the last `months` whole months (last month
    included); daily forms only the last 60 days."""
    this_month = date(today.year, today.month, 1)
    if period_type == PeriodType.DAILY:
        return periods_between(
            today - timedelta(days=DAILY_DAYS), today - timedelta(days=1), PeriodType.DAILY
        )
    if months <= 0:
        return []
    window_start = (
        period_of(this_month - timedelta(days=1), PeriodType.MONTHLY).shift(1 - months).start
    )
    candidates = periods_between(
        window_start - timedelta(days=366), this_month, PeriodType(period_type)
    )
    return [p for p in candidates if window_start <= p.end < this_month]


def _format(value: object, value_type: str) -> tuple[str, float | None]:
    """The stored text and number, as data entry would store them."""
    if isinstance(value, bool):
        return ("true", 1.0) if value else ("false", 0.0)
    if isinstance(value, str):
        return value, None
    number = float(value)  # type: ignore[arg-type]
    if value_type.startswith("INTEGER"):
        number = float(round(number))
    text = str(int(number)) if number.is_integer() else repr(number)
    return text, number


@dataclass
class _ValueRun:
    """Turns generated cells into rows for the bulk loaders, counting as it goes."""

    loaded: LoadedCatalog
    seed: int
    today: date
    months: int
    skip: set[tuple[str, str, str]]  # (form code, unit code, period id) deliberately left empty
    always_sent: set[str]  # unit codes whose history is complete (the personas' regiments)
    completions: list[NewCompletion] = field(default_factory=list)

    def rows(self, assigned: dict[str, list[UnitPlan]]) -> Iterator[NewValue]:
        now = timezone.now()
        default = self.loaded.default_coc_id
        cells_meta = {
            code: (element.pk, element.value_type, element.zero_is_significant)
            for code, element in self.loaded.elements.items()
        }
        for data_set, _spec in self.loaded.data_sets:
            generate = GENERATORS.get(data_set.code)
            if generate is None:
                continue
            periods = report_periods(data_set.period_type, self.today, self.months)
            for plan in assigned[data_set.code]:
                assert plan.unit is not None
                # One stream per (form, unit): adding a form never changes another form's numbers.
                rng = random.Random(f"{self.seed}:{data_set.code}:{plan.code}")
                for period, cells in generate(rng, plan, periods):
                    if (data_set.code, plan.code, period.id) in self.skip:
                        continue
                    if plan.code not in self.always_sent and rng.random() < MISSING_RATE:
                        continue
                    completed_at = self._completion_time(rng, data_set, period)
                    stored_at = completed_at - timedelta(hours=rng.uniform(1, 48))
                    if stored_at > now:
                        stored_at = now - timedelta(minutes=rng.uniform(5, 600))
                    for (code, coc), value in cells.items():
                        element_id, value_type, zero_ok = cells_meta[code]
                        text, number = _format(value, value_type)
                        if (
                            number == 0
                            and value_type not in ("BOOLEAN", "TRUE_ONLY")
                            and not zero_ok
                        ):
                            continue
                        yield NewValue(
                            element_id,
                            period.id,
                            period.start,
                            period.end,
                            plan.unit.pk,
                            self.loaded.coc_ids[coc],
                            default,
                            text,
                            number,
                            stored_at,
                        )
                    if completed_at <= now:  # later ones are still drafts today
                        deadline = period.end + timedelta(days=data_set.timely_days)
                        self.completions.append(
                            NewCompletion(
                                data_set.pk,
                                period.id,
                                plan.unit.pk,
                                default,
                                completed_at,
                                "demo",
                                timezone.localdate(completed_at) <= deadline,
                            )
                        )

    @staticmethod
    def _completion_time(rng: random.Random, data_set: DataSet, period: Period) -> datetime:
        timely = data_set.timely_days
        if rng.random() < LATE_RATE:
            day = period.end + timedelta(days=timely + rng.randint(1, 15))
        else:
            day = period.end + timedelta(days=rng.randint(0 if timely <= 1 else 1, timely))
        moment = clock(rng.randint(7, 16), rng.randint(0, 59))
        return timezone.make_aware(datetime.combine(day, moment))


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
        units = _insert_units(tree, move_on)
        say(f"{len(units):,} units")
        groups = _create_groups(rng, tree)
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
        run = _ValueRun(loaded, seed, today, months, skip, {REGIMENT_A_CODE, REGIMENT_B_CODE})
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
