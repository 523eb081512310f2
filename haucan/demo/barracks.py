"""The barracks part of the demo army: land sites and buildings of Quân khu 4 (among them clerk_a's
Trung đoàn 1 and the Sư đoàn 324 the commander leads) and of the general logistics depots, with
certificates, a few disputes and encroachments, handovers this year (one still without its area),
ageing and dangerous buildings, and a barracks specialist (specialist_dt) who enters handovers.

Everything is written through the barracks services, so the report forms, the warnings and the
dashboard come from the registry exactly as in use. Units are registered in bulk (one publication
per unit) to keep the load to a few seconds."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.barracks.classifications import seed as seed_classifications
from haucan.barracks.dashboard import load_dashboard
from haucan.barracks.models import (
    BuildingType,
    CaseKind,
    CaseStatus,
    ConditionLevel,
    DurabilityClass,
    LandPurpose,
    LandSite,
    PartyKind,
    TransferKind,
)
from haucan.barracks.services import buildings, cases, land, warnings
from haucan.core.scope import Domain
from haucan.demo.loader import DEMO_PASSWORD, ROOT_CODE, Persona
from haucan.demo.modules import DemoContext
from haucan.org.models import Unit

EXTRA_PERSONAS = [
    Persona(
        "specialist_dt",
        "trợ lý Cục Doanh trại (Bộ Quốc phòng): sổ đăng ký đất và công trình toàn quân, "
        "nhập bàn giao, tiếp nhận",
        "Vũ Thị Hạnh",
        "specialist",
        ROOT_CODE,
        Domain.BARRACKS.value,
    )
]

# Where the demo barracks stand: Nghệ An, around Vinh (for the map only).
CENTRE = (105.68, 18.68)
SITE_KINDS = [
    ("Khu doanh trại", {"DOANH_TRAI": 0.85, "KET_HOP_SX": 0.05}, (60_000, 250_000)),
    ("Thao trường huấn luyện", {"THAO_TRUONG": 0.9}, (150_000, 600_000)),
    ("Trường bắn", {"TRAN_DIA": 1.0}, (80_000, 300_000)),
    ("Khu kho", {"KHO_TANG": 0.95}, (40_000, 200_000)),
]
BUILDINGS = [  # type, name, weight, floors, area range, capacity per m²
    ("NHA_O", "Nhà ở đại đội", 5, (2, 3), (300, 600), 0.12),
    ("NHA_LAM_VIEC", "Nhà làm việc", 2, (2, 4), (250, 500), 0.0),
    ("NHA_AN", "Nhà ăn, nhà bếp", 2, (1, 1), (300, 700), 0.0),
    ("NHA_KHO", "Nhà kho quân nhu", 2, (1, 1), (200, 800), 0.0),
    ("NHA_XE", "Nhà xe", 1, (1, 1), (300, 900), 0.0),
    ("HOI_TRUONG", "Hội trường", 1, (1, 2), (400, 900), 0.0),
]
CONDITION_WEIGHTS = {"TOT": 45, "TRUNG_BINH": 35, "XUONG_CAP": 15, "NGUY_HIEM": 5}
CLASS_WEIGHTS = {"II": 10, "III": 65, "IV": 25}
PARTIES = ["Hộ ông Nguyễn Văn Tâm", "Hộ bà Lê Thị Hoa", "Công ty TNHH Xây dựng Hưng Phát",
           "Hợp tác xã nông nghiệp Nghi Phong", "Hộ ông Trần Văn Lực"]  # fmt: skip


def demo_units() -> list[Unit]:
    """Divisions, brigades, regiments, the hospital and depot of Quân khu 4, and the general
    logistics depots."""
    units = list(Unit.objects.filter(code__startswith="QK4-", depth__in=(3, 4)).order_by("path"))
    units += list(Unit.objects.filter(code__in=["TCHC-K190", "TCHC-K186"]).order_by("code"))
    if not units:  # a different tree (tests): the whole subtree of depth 3 and 4
        units = list(Unit.objects.filter(depth__in=(3, 4)).order_by("path")[:40])
    return units


def _polygon(rng: Any, lon: float, lat: float, area_m2: float) -> dict[str, Any]:
    """A convex many-sided boundary of about `area_m2` (radii jittered, angles in order)."""
    radius = math.sqrt(area_m2 / math.pi)
    points = []
    sides = rng.randint(5, 8)
    for k in range(sides):
        angle = 2 * math.pi * k / sides + rng.uniform(-0.2, 0.2)
        r = radius * rng.uniform(0.85, 1.1)
        points.append(
            [
                round(lon + r * math.cos(angle) / 105_000, 6),
                round(lat + r * math.sin(angle) / 110_000, 6),
            ]
        )
    points.append(points[0])
    return {"type": "Polygon", "coordinates": [points]}


def _weighted(rng: Any, weights: dict[str, int]) -> str:
    return str(rng.choices(list(weights), weights=list(weights.values()))[0])


def load(ctx: DemoContext) -> None:
    rng = ctx.rng("barracks")
    scope = ctx.scope
    today = ctx.today
    _personas(ctx)
    # Migration 0002 seeds the tables; seeding again is a no-op there and restores them in a
    # database whose tables were emptied since (a flushed test database).
    seed_classifications(LandPurpose, BuildingType, DurabilityClass, ConditionLevel)
    purposes = {p.code: p for p in LandPurpose.objects.all()}
    units = demo_units()
    items: list[tuple[land.SiteInput, dict[str, Any] | None]] = []
    for n, unit in enumerate(units):
        kinds = [SITE_KINDS[0], *rng.sample(SITE_KINDS[1:], rng.randint(0, 2))]
        for k, (label, shares, (low, high)) in enumerate(kinds):
            total = Decimal(rng.randrange(low, high, 100))
            split = {
                code: (total * Decimal(str(s))).quantize(Decimal(1)) for code, s in shares.items()
            }
            lon = CENTRE[0] + rng.uniform(-0.6, 0.6)
            lat = CENTRE[1] + rng.uniform(-0.5, 0.5)
            spec = land.SiteInput(
                code=f"KD-{unit.code}-{k + 1}",
                name=f"{label} {unit.short_name or unit.name}",
                unit=unit,
                opened_on=date(rng.randint(1990, 2015), 1, 1),
                total_area=total,
                purpose_areas=split,
                identifier=f"CQP.{40 + n % 3:02d}.{n:04d}.{k + 1}",
                barracks_name=f"Doanh trại {unit.short_name or unit.name}",
                province_code="40",
                commune_code=f"{16000 + rng.randint(0, 999)}",
                address=rng.choice(
                    ["Xã Nghi Phong", "Phường Hưng Dũng", "Xã Nam Đàn", "Xã Diễn Châu"]
                )
                + ", tỉnh Nghệ An",
                origin=rng.choice(
                    ["Giao đất năm 1986", "Tiếp nhận từ địa phương", "Quy hoạch quốc phòng"]
                ),
                boundary=_polygon(rng, lon, lat, float(total)) if k == 0 else None,
                markers=[{"code": f"M{i}", "lon": lon + 0.002 * i, "lat": lat} for i in (1, 2)]
                if k == 0
                else None,
            )
            certificate = None
            if rng.random() < 0.7:
                certificate = {
                    "number": f"CS {rng.randint(10000, 99999)}",
                    "issued_on": date(rng.randint(2016, 2024), rng.randint(1, 12), 1),
                    "area": (total * Decimal(str(rng.uniform(0.6, 1.0)))).quantize(Decimal(1)),
                    "authority": "UBND tỉnh Nghệ An",
                }
            items.append((spec, certificate))
    sites = land.register_sites(scope, items, publish_since=date(today.year, 1, 1))
    ctx.say(f"barracks: {len(sites)} land sites")
    _buildings(ctx, sites, today)
    _cases_and_handovers(ctx, sites, purposes, today)
    warnings.refresh_all(scope, today)
    load_dashboard(scope)


def _personas(ctx: DemoContext) -> None:
    root = (
        Unit.objects.get(code=ROOT_CODE)
        if Unit.objects.filter(code=ROOT_CODE).exists()
        else (Unit.objects.filter(depth=1).first())
    )
    assert root is not None
    for persona in EXTRA_PERSONAS:
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = create_user(
                ctx.scope,
                username=persona.username,
                password=DEMO_PASSWORD,
                full_name=persona.full_name,
                check_password=False,
            )
        # Designs and approves barracks data army-wide, and enters handovers (the clerk's right).
        assign(ctx.scope, user, root, "specialist", Domain.BARRACKS)
        assign(ctx.scope, user, root, "clerk", Domain.BARRACKS)


def _buildings(ctx: DemoContext, sites: list[LandSite], today: date) -> None:
    rng = ctx.rng("barracks-buildings")
    types = {t.code: t for t in BuildingType.objects.all()}
    classes = {c.code: c for c in DurabilityClass.objects.all()}
    conditions = {c.code: c for c in ConditionLevel.objects.all()}
    specs: list[buildings.BuildingInput] = []
    for site in sites:
        if not site.code.endswith("-1") and rng.random() < 0.5:
            continue
        count = rng.randint(6, 14) if site.code.endswith("-1") else rng.randint(1, 4)
        for i in range(count):
            code, name, _w, floors, (low, high), per_m2 = rng.choices(
                BUILDINGS, weights=[b[2] for b in BUILDINGS]
            )[0]
            klass = classes[_weighted(rng, CLASS_WEIGHTS)]
            life = rng.randint(klass.min_years, klass.max_years or klass.min_years + 20)
            # Some buildings are old: their end of life falls before, around or after today.
            end = today.year + rng.randint(-4, 30)
            in_service = max(1960, min(today.year - 1, end - life))
            built_area = Decimal(rng.randrange(low, high, 10))
            n_floors = rng.randint(*floors)
            specs.append(
                buildings.BuildingInput(
                    site=site,
                    code=f"CT-{site.code[3:]}-{i + 1:02d}",
                    name=f"{name} {i + 1}",
                    type=types[code],
                    durability=klass,
                    condition=conditions[_weighted(rng, CONDITION_WEIGHTS)],
                    year_built=in_service - rng.randint(0, 1),
                    year_in_service=in_service,
                    service_life_years=life,
                    built_area=built_area,
                    floors=n_floors,
                    capacity=int(float(built_area) * n_floors * per_m2),
                    grade=rng.choice(["III", "III", "IV", "II"]),
                    purpose=name,
                    assessed_on=today - timedelta(days=rng.randint(30, 700)),
                    assessor="Ban Doanh trại",
                    original_cost=Decimal(
                        int(built_area) * n_floors * rng.randint(4, 9) * 1_000_000
                    ),
                )
            )
    buildings.register_buildings(ctx.scope, specs, today=today)
    ctx.say(f"barracks: {len(specs)} buildings")


def _cases_and_handovers(
    ctx: DemoContext, sites: list[LandSite], purposes: dict[str, LandPurpose], today: date
) -> None:
    rng = ctx.rng("barracks-cases")
    scope = ctx.scope
    chosen = rng.sample(sites, min(8, len(sites)))
    regiment_a = [s for s in sites if s.unit.code == "QK4-F324-E1"]
    for n, site in enumerate(regiment_a[:1] + chosen):
        opened = today - timedelta(days=rng.randint(10, 400))
        case = cases.open_case(
            scope,
            cases.CaseInput(
                site=site,
                kind=CaseKind.ENCROACHMENT if n % 2 == 0 else CaseKind.DISPUTE,
                party_kind=PartyKind.HOUSEHOLD if n % 3 else PartyKind.ORGANISATION,
                party=PARTIES[n % len(PARTIES)],
                area=Decimal(rng.randrange(100, 3000, 10)),
                opened_on=opened,
                location="Phía " + rng.choice(["đông", "tây", "nam", "bắc"]) + " khu đất",
                description="Xây dựng, canh tác trái phép trên đất quốc phòng.",
            ),
        )
        if n % 3 == 1:
            cases.add_step(
                scope,
                case,
                taken_on=min(today, opened + timedelta(days=15)),
                description="Phối hợp UBND xã lập biên bản, yêu cầu tháo dỡ.",
                status=CaseStatus.HANDLING,
            )
        elif n % 3 == 2:
            cases.add_step(
                scope,
                case,
                taken_on=min(today, opened + timedelta(days=40)),
                description="Đã thu hồi, cắm mốc lại ranh giới.",
                status=CaseStatus.RESOLVED,
                recovered_area=case.area,
            )
    # Handovers to localities this year, a receipt, and one decision still without its area.
    doanh_trai = purposes["DOANH_TRAI"]
    handover_sites = regiment_a[:1] + rng.sample(sites, min(3, len(sites)))
    for n, site in enumerate(handover_sites):
        on = date(today.year, rng.randint(1, max(1, today.month)), 1)
        area = land.total_on(site, on)
        land.record_transfer(
            scope,
            land.TransferInput(
                kind=TransferKind.HANDOVER if n != 2 else TransferKind.RECEIPT,
                site=site,
                purpose=doanh_trai,
                decision_number=f"{100 + n}/QĐ-BQP",
                decision_date=on - timedelta(days=30),
                effective_on=on,
                area=None if n == 3 else (area * Decimal("0.05")).quantize(Decimal(1)),
                party="UBND tỉnh Nghệ An" if n != 2 else "UBND huyện Nghi Lộc",
                note="Bàn giao đất để mở rộng đường giao thông.",
            ),
        )
    ctx.say("barracks: cases and handovers")
