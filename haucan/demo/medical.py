"""The medical part of the demo army: hospital records behind the treatment reports.

Bệnh viện Quân y 354 (TCHC-BV354, four departments, 80 planned beds, one bed change a year ago)
and two infirmaries of Sư đoàn 324, the division the demo commander leads (Đội điều trị Sư đoàn
324 and Bệnh xá Trung đoàn 1), get 24 months of treatment episodes: about 6,200 stays at the
hospital and 1,800 at the infirmaries, with internal transfers, transfers out, deaths and
outpatient counts. A full-size hospital would need ~50,000 stays; this keeps the load to seconds
while every figure stays consistent. The hospital's daily form (the last 60 days, the window of
the demo's daily forms) and the infirmaries' monthly form (24 months) are then recomputed from the
episodes and replace the generated values. The other hospitals keep their hand-entered values.

Also: a dengue outbreak in Trung đoàn 1 (active, daily counts, case reports) and an influenza one
that ended, medical supplies with lots at the hospital and the division infirmary (some lots near
expiry, one item out of stock at the division infirmary), staff on duty today, a unit group of the
hospitals and a dashboard of bed occupancy by hospital for the army.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.audit import services as audit
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Domain, Scope
from haucan.core.text import fold
from haucan.demo.loader import DEMO_PASSWORD, Persona
from haucan.demo.modules import DemoContext
from haucan.medical import icd10
from haucan.medical.models import (
    BedCount,
    CaseReport,
    Department,
    EntrySource,
    Episode,
    EpisodeMove,
    Facility,
    OutpatientCount,
    Patient,
    StaffOnDuty,
    Tier,
)
from haucan.medical.services import epidemic, supplies
from haucan.medical.services.facilities import register_facility
from haucan.medical.services.publish import recompute
from haucan.org.models import Unit, UnitGroup, UnitKind
from haucan.org.services import set_group_members

HOSPITAL = "TCHC-BV354"
DIVISION_INFIRMARY = "QK4-F324-DDT"
REGIMENT_INFIRMARY = "QK4-F324-E1-BX"
DAILY_WINDOW = 60

EXTRA_PERSONAS = [
    Persona(
        "clerk_bv354",
        "nhân viên thống kê Bệnh viện Quân y 354: thu dung, ra viện, bảng theo dõi giường bệnh",
        "Đỗ Thị Hoa",
        "clerk",
        HOSPITAL,
        Domain.MEDICAL.value,
    ),
    Persona(
        "clerk_bx324",
        "y sĩ Đội điều trị Sư đoàn 324: người bệnh và thuốc của bệnh xá sư đoàn",
        "Bùi Văn Long",
        "clerk",
        DIVISION_INFIRMARY,
        Domain.MEDICAL.value,
    ),
    Persona(
        "specialist_qy",
        "trợ lý Cục Quân y (Bộ Quốc phòng): giường bệnh, dịch bệnh, thuốc toàn quân",
        "Vũ Văn Khang",
        "specialist",
        "BQP",
        Domain.MEDICAL.value,
    ),
]

# code, name, planned beds, set-up beds, share of admissions, mean stay (days), ICD-10 codes
WARDS: dict[str, list[tuple[str, str, int, int, float, float, list[str]]]] = {
    HOSPITAL: [
        (
            "NOI",
            "Khoa Nội tổng hợp",
            30,
            34,
            0.40,
            7.5,
            ["J18.9", "I10", "I20.9", "K29.7", "E11.9", "J20.9", "M54.5"],
        ),
        (
            "NGOAI",
            "Khoa Ngoại chung",
            25,
            28,
            0.30,
            8.0,
            ["K35.8", "K80.2", "S82.2", "T14.1", "N20.0", "L03.1"],
        ),
        ("TN", "Khoa Truyền nhiễm", 15, 18, 0.20, 6.0, ["A09", "A97.9", "B54", "J11.1", "B01.9"]),
        ("HSCC", "Khoa Hồi sức cấp cứu", 10, 12, 0.10, 3.0, ["S06.0", "I20.9", "J18.9", "T14.1"]),
    ],
    DIVISION_INFIRMARY: [
        (
            "DT",
            "Buồng điều trị",
            30,
            30,
            1.0,
            5.0,
            ["J06.9", "A09", "J20.9", "M54.5", "H10.9", "A97.9"],
        ),
    ],
    REGIMENT_INFIRMARY: [
        ("BX", "Buồng bệnh", 12, 12, 1.0, 4.0, ["J06.9", "A09", "H10.9", "M54.5", "T14.1"]),
    ],
}
ADMISSIONS_PER_DAY = {HOSPITAL: 8.5, DIVISION_INFIRMARY: 1.5, REGIMENT_INFIRMARY: 0.9}
TIERS = {
    HOSPITAL: Tier.CENTRAL_HOSPITAL,
    DIVISION_INFIRMARY: Tier.DIVISION_INFIRMARY,
    REGIMENT_INFIRMARY: Tier.REGIMENT_INFIRMARY,
}
CATEGORIES = {
    HOSPITAL: [
        ("officer", 12),
        ("professional", 10),
        ("nco_soldier", 25),
        ("defence_worker", 5),
        ("insured", 40),
        ("civilian", 8),
    ],
    "infirmary": [("officer", 8), ("professional", 10), ("nco_soldier", 78), ("defence_worker", 4)],
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thị", "Ngọc", "Thanh", "Xuân", "Công"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Lâm",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Lan",
    "Hương",
    "Mai",
    "Hạnh",
    "Trung",
]
DESTINATIONS = ["Bệnh viện Trung ương Quân đội 108", "Bệnh viện Quân y 103", "Bệnh viện Quân y 175"]

SUPPLIES = [  # code, name, uom, group, price (thousand đồng), monthly use, key medicine
    ("AMOX500", "Amoxicilin 500 mg", "viên", "T_KHANG_SINH", Decimal("1.2"), 1800, True),
    ("CEFU500", "Cefuroxim 500 mg", "viên", "T_KHANG_SINH", Decimal("6.5"), 600, True),
    ("PARA500", "Paracetamol 500 mg", "viên", "T_GIAM_DAU", Decimal("0.4"), 2500, True),
    ("NACL09", "Natri clorid 0,9% 500 ml", "chai", "T_DICH_TRUYEN", Decimal("12"), 400, True),
    ("RINGER", "Ringer lactat 500 ml", "chai", "T_DICH_TRUYEN", Decimal("14"), 250, False),
    ("BKT5", "Bơm kim tiêm 5 ml", "cái", "T_VTYT_TIEU_HAO", Decimal("1.1"), 1500, False),
    ("BANGGAC", "Băng gạc vô khuẩn", "gói", "T_VTYT_TIEU_HAO", Decimal("3"), 700, False),
    ("CLORAMIN", "Cloramin B", "kg", "T_HOA_CHAT", Decimal("95"), 8, False),
]


def _personas(scope: Scope) -> None:
    for persona in EXTRA_PERSONAS:
        unit = Unit.objects.get(code=persona.unit_code)
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = create_user(
                scope,
                username=persona.username,
                password=DEMO_PASSWORD,
                full_name=persona.full_name,
                check_password=False,
            )
        assign(scope, user, unit, persona.role, persona.domain)


def _aware(day: date, minutes: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()) + timedelta(minutes=minutes))


def _facility(
    scope: Scope, code: str, start: date, today: date
) -> tuple[Facility, list[Department]]:
    unit = Unit.objects.get(code=code)
    facility = register_facility(scope, unit, tier=TIERS[code], insurance_code="")
    departments = []
    for dept_code, name, planned, set_up, *_rest in WARDS[code]:
        dept = Department.objects.create(facility=facility, code=dept_code, name=name)
        departments.append(dept)
        if code == HOSPITAL and dept_code == "NOI":
            # The internal-medicine ward grew a year ago: past rates keep the smaller count.
            BedCount.objects.create(
                department=dept, valid_from=start, planned=planned - 6, set_up=set_up - 6
            )
            BedCount.objects.create(
                department=dept,
                valid_from=today - timedelta(days=365),
                planned=planned,
                set_up=set_up,
            )
        else:
            BedCount.objects.create(
                department=dept, valid_from=start, planned=planned, set_up=set_up
            )
    return facility, departments


def _poisson(rng: random.Random, lam: float) -> int:
    n, p, limit = 0, 1.0, pow(2.718281828, -lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _episodes(
    rng: random.Random, facility: Facility, departments: list[Department], start: date, today: date
) -> int:
    code = facility.unit.code
    wards = WARDS[code]
    weights = [w[4] for w in wards]
    categories = CATEGORIES[HOSPITAL if code == HOSPITAL else "infirmary"]
    cat_names, cat_weights = [c for c, _w in categories], [w for _c, w in categories]
    home_units = list(
        Unit.objects.filter(
            path__startswith=Unit.objects.get(code="QK4-F324").path, kind=UnitKind.COMMAND
        ).values_list("pk", flat=True)[:60]
    )
    now = timezone.now()
    patients: list[Patient] = []
    rows: list[tuple[int, datetime, datetime | None, str, str, str, bool, int]] = []
    day, n = start, 0
    while day <= today:
        busy = 0.6 if day.weekday() == 6 else 0.85 if day.weekday() == 5 else 1.1
        for _ in range(_poisson(rng, ADMISSIONS_PER_DAY[code] * busy)):
            admitted = _aware(day, rng.randint(0, 24 * 60 - 1))
            if admitted >= now:
                continue
            ward_index = rng.choices(range(len(wards)), weights)[0]
            ward = wards[ward_index]
            stay = max(0.2, rng.gammavariate(2.0, ward[5] / 2.0))
            out = admitted + timedelta(days=stay)
            r = rng.random()
            kind = "home"
            if ward[0] == "HSCC" and r < 0.04:
                kind = "died"
                out = admitted + timedelta(hours=rng.uniform(2, 60))
            elif r < 0.004:
                kind = "died"
            elif r < 0.04 if code != HOSPITAL else r < 0.02:
                kind = "transfer"
                out = admitted + timedelta(days=min(stay, rng.uniform(0.3, 3)))
            n += 1
            sex = "2" if rng.random() < (0.35 if code == HOSPITAL else 0.05) else "1"
            given = rng.choice(GIVEN)
            name = f"{rng.choice(FAMILY)} {'Thị' if sex == '2' else rng.choice(MIDDLE)} {given}"
            category = rng.choices(cat_names, cat_weights)[0]
            patients.append(
                Patient(
                    facility=facility,
                    code=f"BN{day:%y}{n:06d}",
                    full_name=name,
                    search_name=fold(name),
                    birth_date=date(
                        rng.randint(1965, 2005), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    sex=sex,
                    category=category,
                    home_unit_id=rng.choice(home_units)
                    if home_units and category != "civilian"
                    else None,
                )
            )
            rows.append(
                (
                    ward_index,
                    admitted,
                    out if out < now else None,
                    kind,
                    rng.choice(ward[6]),
                    category,
                    rng.random() < 0.12,
                    n,
                )
            )
        day += timedelta(days=1)
    Patient.objects.bulk_create(patients, batch_size=2000)
    episodes: list[Episode] = []
    moves: list[tuple[int, datetime, int, int]] = []
    hscc = next((i for i, w in enumerate(wards) if w[0] == "HSCC"), None)
    noi = next((i for i, w in enumerate(wards) if w[0] == "NOI"), None)
    for patient, (ward_index, admitted, ended, kind, icd, category, emergency, n) in zip(
        patients, rows, strict=True
    ):
        dept = departments[ward_index]
        current = dept
        # A share of intensive-care stays moves on to internal medicine after a day or two.
        if ward_index == hscc and noi is not None and kind == "home" and n % 3 == 0:
            moved_at = admitted + timedelta(hours=rng.uniform(20, 50))
            if (ended is None or moved_at < ended) and moved_at < timezone.now():
                current = departments[noi]
                moves.append((len(episodes), moved_at, dept.pk, current.pk))
        found = icd10.lookup(icd)
        assert found is not None
        closed = ended is not None
        episodes.append(
            Episode(
                facility=facility,
                key=f"{facility.unit.code}-{admitted:%Y}-{n:06d}",
                patient=patient,
                category=category,
                patient_unit_id=patient.home_unit_id,
                admitted_at=admitted,
                admit_day=timezone.localtime(admitted).date(),
                admission_department=dept,
                department=current,
                icd10=found.code,
                icd_chapter=found.chapter,
                emergency=emergency or ward_index == hscc,
                discharged_at=ended,
                discharge_day=timezone.localtime(ended).date() if ended else None,
                discharge_kind=kind if closed else "",
                outcome=(
                    "died"
                    if kind == "died"
                    else rng.choices(["cured", "improved", "unchanged", "worse"], [55, 38, 5, 2])[0]
                )
                if closed
                else "",
                died_within_24h=(
                    ended is not None and kind == "died" and ended - admitted <= timedelta(hours=24)
                ),
                transfer_destination=rng.choice(DESTINATIONS)
                if closed and kind == "transfer"
                else "",
                source=EntrySource.DEMO,
                entered_by="demo",
            )
        )
    Episode.objects.bulk_create(episodes, batch_size=2000)
    EpisodeMove.objects.bulk_create(
        EpisodeMove(
            episode=episodes[i],
            moved_at=at,
            day=timezone.localtime(at).date(),
            from_department_id=src,
            to_department_id=dst,
        )
        for i, at, src, dst in moves
    )
    return len(episodes)


def _outpatients(rng: random.Random, facility: Facility, start: date, today: date) -> None:
    hospital = facility.unit.code == HOSPITAL
    rows = []
    day = start
    while day <= today:
        weekend = day.weekday() >= 5
        for category, share in CATEGORIES[HOSPITAL] if hospital else CATEGORIES["infirmary"]:
            visits = _poisson(rng, (2.2 if hospital else 0.5) * share * (0.4 if weekend else 1))
            surgeries = _poisson(rng, 0.04 * share * (0.3 if weekend else 1)) if hospital else 0
            if visits or surgeries:
                rows.append(
                    OutpatientCount(
                        facility=facility,
                        day=day,
                        category=category,
                        visits=visits,
                        surgeries=surgeries,
                    )
                )
        day += timedelta(days=1)
    OutpatientCount.objects.bulk_create(rows, batch_size=2000)


def _staff(rng: random.Random, departments: list[Department], today: date) -> None:
    StaffOnDuty.objects.bulk_create(
        StaffOnDuty(department=d, day=today, category=c, headcount=rng.randint(lo, hi))
        for d in departments
        for c, lo, hi in (("doctor", 1, 3), ("nurse", 2, 6), ("technician", 0, 1))
    )


def _epidemics(rng: random.Random, scope: Scope, today: date) -> None:
    regiment = Unit.objects.get(code="QK4-F324-E1")
    started = today - timedelta(days=12)
    outbreak = epidemic.open_outbreak(
        scope,
        regiment,
        disease="DENGUE",
        started_on=started,
        place="Khu doanh trại Tiểu đoàn 2",
        measures="Phun hóa chất diệt muỗi, diệt bọ gậy, cách ly người bệnh tại Bệnh xá Trung đoàn.",
    )
    for offset in range(12, -1, -1):
        day = today - timedelta(days=offset)
        cases = max(0, round(6 * (1 - abs(offset - 7) / 7) + rng.uniform(-1, 1)))
        epidemic.record_outbreak_day(scope, outbreak, day, new_cases=cases, hospitalised=cases // 2)
    for offset in (11, 9, 8, 6):
        epidemic.report_case(
            scope,
            regiment,
            disease="DENGUE",
            onset_on=today - timedelta(days=offset),
            hospitalised=True,
            outbreak=outbreak,
        )
    other = Unit.objects.get(code="QK4-F324-E2")
    flu = epidemic.open_outbreak(
        scope, other, disease="INFLUENZA", started_on=today - timedelta(days=95)
    )
    for offset in range(95, 80, -1):
        epidemic.record_outbreak_day(
            scope, flu, today - timedelta(days=offset), new_cases=rng.randint(0, 9)
        )
    epidemic.end_outbreak(scope, flu, today - timedelta(days=80))


def _supplies(rng: random.Random, scope: Scope, facilities: list[Facility], today: date) -> None:
    items = {
        code: supplies.register_item(
            scope,
            code=code,
            name=name,
            uom=uom,
            group=group,
            unit_price=price,
            min_periods=Decimal(1),
            max_periods=Decimal(3),
            key_medicine=key,
        ).item
        for code, name, uom, group, price, _use, key in SUPPLIES
    }
    use = {code: monthly for code, *_r, monthly, _k in SUPPLIES}
    for facility in facilities:
        scale = 1.0 if facility.unit.code == HOSPITAL else 0.15
        wards = list(Department.objects.filter(facility=facility))
        first = today - timedelta(days=150)
        lines = []
        for code, item in items.items():
            qty = Decimal(round(use[code] * scale * 5.5)) or Decimal(1)
            # One lot in three expires within the warning horizon.
            soon = rng.random() < 0.35
            expiry = today + timedelta(days=rng.randint(40, 80) if soon else rng.randint(300, 700))
            lines.append(
                supplies.ReceiptLine(item, qty, f"{code}-{first:%y%m}-{facility.pk}", expiry)
            )
        supplies.receive(
            scope, facility, first, lines, supplier="Kho 190, Cục Quân y", publish=False
        )
        day = first + timedelta(days=7)
        while day <= today:
            issue = []
            for code, item in items.items():
                weekly = use[code] * scale / 4.3 * rng.uniform(0.7, 1.3)
                if code == "CEFU500":
                    weekly *= 1.35  # used faster than planned: below its minimum by now
                qty = Decimal(max(1, round(weekly / max(1, len(wards)))))
                issue.append(supplies.IssueLine(item, qty))
            ward = wards[(day.toordinal() // 7) % len(wards)]
            try:
                supplies.issue_to_department(scope, facility, ward, day, issue, publish=False)
            except ValidationFailed:  # a week that would overdraw the store is skipped
                issue.clear()
            day += timedelta(days=7)
        supplies.publish_medicines(scope, facility, first)  # the quarterly medicines report


DASHBOARD = {
    "visualizations": [
        {
            "code": "V_QY_CONG_SUAT_BENH_VIEN",
            "name": "Công suất sử dụng giường bệnh theo bệnh viện (%)",
            "type": "column",
            "domain": "medical",
            "query": {
                "dx": ["IND_CONG_SUAT_GIUONG"],
                "pe": ["YESTERDAY"],
                "ou": ["OU_GROUP-NHOM_BENH_VIEN"],
                "rows": ["ou"],
                "columns": ["dx"],
            },
            "options": {"suffix": "%", "decimals": 1},
            "sharedRoles": ["commander", "specialist", "clerk", "viewer", "approver"],
        },
        {
            "code": "V_QY_NGUOI_BENH_BENH_VIEN",
            "name": "Người bệnh đang điều trị và giường kế hoạch theo bệnh viện",
            "type": "pivot",
            "domain": "medical",
            "query": {
                "dx": [
                    "DTN_DANG_DIEU_TRI",
                    "DTN_GIUONG_KE_HOACH",
                    "DTN_GIUONG_THUC_KE",
                    "IND_CONG_SUAT_GIUONG",
                ],
                "pe": ["YESTERDAY"],
                "ou": ["OU_GROUP-NHOM_BENH_VIEN"],
                "rows": ["ou"],
                "columns": ["dx"],
            },
            "options": {},
            "sharedRoles": ["commander", "specialist", "clerk", "viewer", "approver"],
        },
        {
            "code": "V_QY_THU_DUNG_30_NGAY",
            "name": "Thu dung và ra viện 30 ngày qua",
            "type": "line",
            "domain": "medical",
            "query": {
                "dx": ["DTN_THU_DUNG", "DTN_RA_VIEN"],
                "pe": ["LAST_30_DAYS"],
                "ou": ["OU_GROUP-NHOM_BENH_VIEN"],
                "rows": ["pe"],
                "columns": ["dx"],
            },
            "options": {},
            "sharedRoles": ["commander", "specialist", "clerk", "viewer", "approver"],
        },
    ],
    "dashboards": [
        {
            "code": "DB_QUAN_Y_GIUONG_BENH",
            "name": "Quân y: giường bệnh các bệnh viện toàn quân",
            "domain": "medical",
            "description": "Công suất giường bệnh, người bệnh đang điều trị và thu dung của các "
            "bệnh viện quân y (số liệu của Bệnh viện 354 tính từ hồ sơ điều trị).",
            "items": [
                {"visualization": "V_QY_CONG_SUAT_BENH_VIEN", "width": 12},
                {"visualization": "V_QY_NGUOI_BENH_BENH_VIEN", "width": 6},
                {"visualization": "V_QY_THU_DUNG_30_NGAY", "width": 6},
            ],
            "sharedRoles": ["commander", "specialist", "clerk", "viewer", "approver"],
        }
    ],
}


def _dashboard(scope: Scope) -> None:
    from haucan.dashboards.services import load_dashboards

    group, _created = UnitGroup.objects.get_or_create(
        code="NHOM_BENH_VIEN", defaults={"name": "Bệnh viện quân y"}
    )
    set_group_members(scope, group, list(Unit.objects.filter(kind=UnitKind.HOSPITAL)))
    load_dashboards(scope, DASHBOARD)


def load(ctx: DemoContext) -> None:
    rng = ctx.rng("medical")
    scope = ctx.scope
    today = ctx.today
    start = (
        date(today.year - ctx.months // 12, today.month, 1)
        if ctx.months >= 12
        else (today.replace(day=1) - timedelta(days=31 * max(1, ctx.months))).replace(day=1)
    )
    with transaction.atomic():
        _personas(scope)
        built = []
        total = 0
        for code in (HOSPITAL, DIVISION_INFIRMARY, REGIMENT_INFIRMARY):
            facility, departments = _facility(scope, code, start, today)
            total += _episodes(rng, facility, departments, start, today)
            _outpatients(rng, facility, start, today)
            _staff(rng, departments, today)
            built.append(facility)
        ctx.say(f"medical: {total:,} treatment episodes")
        reason = "demo: treatment forms computed from the demo episodes"
        recompute(
            scope, built[0], today - timedelta(days=DAILY_WINDOW), today, override_reason=reason
        )
        for facility in built[1:]:
            recompute(scope, facility, start, today, override_reason=reason)
        _epidemics(rng, scope, today)
        _supplies(rng, scope, [built[0], built[1]], today)
        _dashboard(scope)
        audit.record(scope, "medical.demo_load", None, {"episodes": total})
    ctx.say("medical: reports, outbreaks, supplies")
    _ = CaseReport  # case reports are made by epidemic.report_case above
