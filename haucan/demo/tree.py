"""The demo army's unit tree: planned in memory from a seed (commands, divisions, regiments down to
companies and depots, with the names and codes of the public pattern), then written with bulk
inserts, with its unit groups."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from haucan.core.ids import generate_uid, validate_identifier
from haucan.core.text import fold
from haucan.org.models import (
    LinkReason,
    Unit,
    UnitGroup,
    UnitGroupSet,
    UnitKind,
    UnitLink,
)

OPENED_ON = date(2015, 1, 1)


ROOT_CODE = "BQP"
DIVISION_CODE = "QK4-F324"
REGIMENT_A_CODE = "QK4-F324-E1"
REGIMENT_B_CODE = "QK4-F324-E2"


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


def insert_units(tree: Tree, move_on: date) -> list[Unit]:
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


def create_groups(rng: random.Random, tree: Tree) -> int:
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
