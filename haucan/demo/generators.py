"""The demo's generated values: plausible numbers per form (fuel, vehicles, readiness, land,
buildings, hospitals, hygiene, medicines) that pass the catalog's own validation rules, and the
bulk writer that stores them."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.utils import timezone

from haucan.catalog.models import (
    DataSet,
)
from haucan.core.periods import Period, PeriodType, period_of, periods_between
from haucan.demo.catalog import LoadedCatalog
from haucan.demo.tree import UnitPlan
from haucan.org.models import (
    UnitKind,
)
from haucan.reporting.services.bulk import (
    NewCompletion,
    NewValue,
)

MISSING_RATE = 0.03  # share of (unit, period) reports never sent
LATE_RATE = 0.12  # share of sent reports submitted after the deadline
DAILY_DAYS = 60  # daily forms carry only the last two months, to keep the volume sane


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
class ValueRun:
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
