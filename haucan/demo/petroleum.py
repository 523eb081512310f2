"""The petroleum part of the demo army: real ledgers behind the fuel reports of a few units.

Covered with 24 months of notes (receipts, transfers, issues, losses, counts): the two central
depots Kho 190 and Kho 186 (under Tổng cục Hậu cần), and the fuel points of Trung đoàn 1 and
Trung đoàn 2 of Sư đoàn 324 (clerk_a's and clerk_b's regiments), which receive their fuel from
Kho 190 by transfer. For these units the petroleum report forms (XD_TON_KHO_THANG, XD_HAO_HUT_QUY,
XD_DU_TRU_SSCD, XD_PHUONG_TIEN_THANG) are recomputed from the ledger and replace the generated
values, so the reports, the stock cards and the dashboards agree; the rest of the army keeps its
generated values (a ledger for all 2 000 units would make the load too slow for a demo).

Trung đoàn 1's diesel reserve is set just below its final stock, so that one issue by clerk_a
takes it below the reserve and raises the low-stock warning. One transfer from Kho 190 to Trung
đoàn 2 is left in transit for ten days (the "not received" warning).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Domain, Scope
from haucan.demo.loader import DEMO_PASSWORD, Persona
from haucan.demo.modules import DemoContext
from haucan.inventory.models import Document, Location
from haucan.inventory.services import CountEntry, record_count, start_count
from haucan.org.models import Unit
from haucan.petroleum.models import (
    Channel,
    EquipmentType,
    LocationKind,
    Product,
    ProductGroup,
    Stage,
)
from haucan.petroleum.seed import ensure_standard_catalog
from haucan.petroleum.services import (
    ActivityInput,
    NoteInput,
    NoteKind,
    NoteLine,
    create_location,
    receive_note,
    record_activities,
    record_note,
    set_equipment,
    set_quota,
    set_reserve,
    submit_fuel_count,
)
from haucan.petroleum.services.notes import loading_history

K190, K186 = "TCHC-K190", "TCHC-K186"
REGIMENTS = ("QK4-F324-E1", "QK4-F324-E2")
DIVISION = "QK4-F324"

EXTRA_PERSONAS = [
    Persona(
        "thukho190",
        "Thủ kho xăng dầu Kho 190: nhập, xuất, điều chuyển, kiểm kê",
        "Đặng Văn Kho",
        "clerk",
        K190,
        Domain.PETROLEUM.value,
    )
]

# Monthly issue in litres at 15 °C per product code, for a regiment's own vehicles and machines.
REGIMENT_USE = {"DO_005S": 9000, "E5_RON92": 3200, "DAU_DONG_CO": 350}
# A central depot's monthly issues to the army (besides its transfers to the two regiments).
DEPOT_USE = {"DO_005S": 420_000, "E5_RON92": 180_000, "TC1": 90_000, "DAU_DONG_CO": 12_000}
TRAINING = {
    1: 0.8,
    2: 0.7,
    3: 1.1,
    4: 1.2,
    5: 1.1,
    6: 1.0,
    7: 0.9,
    8: 1.0,
    9: 1.1,
    10: 1.2,
    11: 1.1,
    12: 0.9,
}
VEHICLES = {
    "URAL_4320": (14, 900),
    "KAMAZ_43118": (9, 1100),
    "UAZ_469": (6, 1500),
    "MAY_PHAT_10KVA": (4, 120),
}


def _persona(scope: Scope) -> None:
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


def _months(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _i in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _day(month: date, rng: random.Random, today: date, low: int = 1, high: int = 28) -> date:
    day = month.replace(day=rng.randint(low, high))
    return min(day, today)


class Army:
    """The demo ledgers: products, locations, and the posting helpers."""

    def __init__(self, scope: Scope, rng: random.Random, today: date, months: int) -> None:
        self.scope, self.rng, self.today, self.months = scope, rng, today, months
        self.products = {p.item.code: p for p in Product.objects.select_related("item", "group")}
        self.units = {
            u.code: u for u in Unit.objects.filter(code__in=[K190, K186, *REGIMENTS, DIVISION])
        }
        self.tanks: dict[tuple[str, str], Location] = {}
        self.opened: set[str] = set()  # units whose ledger opens with generated balances

    def build_depots(self) -> None:
        for code, name, tanks in (
            (
                K190,
                "Kho 190",
                [
                    ("DO_005S", 3_000_000),
                    ("E5_RON92", 1_500_000),
                    ("TC1", 800_000),
                    ("DAU_DONG_CO", 60_000),
                ],
            ),
            (
                K186,
                "Kho 186",
                [
                    ("DO_005S", 2_000_000),
                    ("E5_RON92", 1_000_000),
                    ("TC1", 500_000),
                    ("DAU_DONG_CO", 40_000),
                ],
            ),
            (
                REGIMENTS[0],
                "Điểm cấp phát xăng dầu Trung đoàn 1",
                [("DO_005S", 40_000), ("E5_RON92", 15_000), ("DAU_DONG_CO", 3_000)],
            ),
            (
                REGIMENTS[1],
                "Điểm cấp phát xăng dầu Trung đoàn 2",
                [("DO_005S", 40_000), ("E5_RON92", 15_000), ("DAU_DONG_CO", 3_000)],
            ),
        ):
            unit = self.units[code]
            short = code.split("-")[-1]
            kind = LocationKind.DEPOT if code in (K190, K186) else LocationKind.FUEL_POINT
            depot = create_location(
                self.scope,
                unit=unit,
                code=f"{short}-XD" if kind == LocationKind.FUEL_POINT else short,
                name=name,
                kind=kind,
            )
            for n, (product, capacity) in enumerate(tanks, start=1):
                self.tanks[(code, product)] = create_location(
                    self.scope,
                    unit=unit,
                    code=f"{depot.code}-B{n}",
                    name=f"Bể {n} · {self.products[product].item.name}",
                    kind=LocationKind.TANK,
                    parent=depot,
                    capacity=Decimal(capacity),
                    product=self.products[product],
                )

    def note(
        self, kind: str, unit: str, product: str, quantity: float, day: date, **fields: object
    ) -> Document:
        p = self.products[product]
        fuel = p.corrects_volume
        temperature = round(self.rng.uniform(24.0, 34.0), 1) if fuel else None
        line = NoteLine(
            product=p,
            quantity=Decimal(int(quantity)),
            due=fields.pop("due", None),  # type: ignore[arg-type]
            temperature=temperature,
            price=Decimal({"DO_005S": 19800, "E5_RON92": 21500, "TC1": 22400}.get(product, 52000)),
            base=fields.pop("base", None),  # type: ignore[arg-type]
        )
        result = record_note(
            self.scope,
            NoteInput(
                kind=kind,
                unit=self.units[unit],
                location=self.tanks[(unit, product)],
                date=day,
                lines=[line],
                channel=str(fields.pop("channel", Channel.ROUTINE)),
                **fields,  # type: ignore[arg-type]
            ),
        )
        return result.document


def load(ctx: DemoContext) -> None:
    scope = ctx.scope
    rng = ctx.rng("petroleum")
    today = ctx.today
    with transaction.atomic():
        ensure_standard_catalog(scope)
        _persona(scope)
        army = Army(scope, rng, today, ctx.months)
        army.build_depots()
        openings = _generated_openings(army)
        _drop_generated(army)
        _plans(army)
        months = _months(today, ctx.months)
        with loading_history(
            scope, reason="Dữ liệu minh họa: sổ cái xăng dầu 24 tháng", since=months[0]
        ):
            _openings(army, openings, months[0])
            _history(army, _months(today, ctx.months))
            _activity(army, _months(today, ctx.months))
        _final_reserve(army)
        _dashboard(scope)


def _dashboard(scope: Scope) -> None:
    """The Operations Room's ledger dashboard (this month's figures, fresh after each note)."""
    import json
    from pathlib import Path

    from haucan.dashboards.services import load_dashboards

    path = Path(__file__).resolve().parents[1] / "petroleum" / "data" / "dashboard.json"
    load_dashboards(scope, json.loads(path.read_text(encoding="utf-8")))


# Elements the ledger does not derive (remarks, technical readiness, quality): they keep their
# generated values.
KEPT = {"XD_GHI_CHU", "PT_TY_LE_SAN_SANG", "PT_GHI_CHU", "SSCD_CHAT_LUONG_DAT", "SSCD_GHI_CHU"}


def _drop_generated(army: Army) -> None:
    """The generated values of the covered units' petroleum forms make way for the ledger's
    (deleted rather than overwritten: the demo load stays fast, and the ledger publishes the
    complete set right after)."""
    from haucan.catalog.models import DataElement
    from haucan.petroleum.reports import FORMS
    from haucan.reporting.models import DataValue

    elements = (
        DataElement.objects.filter(datasetelement__data_set__code__in=FORMS)
        .distinct()
        .exclude(code__in=KEPT)
    )
    months = _months(army.today, army.months)
    # Only the periods the ledger covers; earlier ones keep their generated values.
    covered = {period_of(m, PeriodType.MONTHLY).id for m in months} | {
        period_of(m, PeriodType.QUARTERLY).id for m in months
    }
    DataValue.objects.filter(
        unit__in=army.units.values(), data_element__in=elements, period__in=covered
    ).delete()


GROUP_PRODUCT = {
    "XD_DIESEL": "DO_005S",
    "XD_XANG": "E5_RON92",
    "XD_PHAN_LUC": "TC1",
    "XD_DMN": "DAU_DONG_CO",
}


def _generated_openings(army: Army) -> dict[tuple[str, str], int]:
    """The generated closing stock of the month before the ledger starts, per unit and product:
    the ledger opens with it, so the reports carry over from the generated months."""
    from haucan.reporting.models import DataValue

    before = period_of(_months(army.today, army.months)[0], PeriodType.MONTHLY).previous().id
    rows = DataValue.objects.filter(
        unit__in=army.units.values(), period=before, data_element__code="XD_TON_CUOI", deleted=False
    ).values_list("unit__code", "category_option_combo__code", "numeric_value")
    return {
        (code, GROUP_PRODUCT[coc]): int(value or 0)
        for code, coc, value in rows
        if coc in GROUP_PRODUCT and (code, GROUP_PRODUCT[coc]) in army.tanks and value
    }


def _openings(army: Army, openings: dict[tuple[str, str], int], first: date) -> None:
    """Opening balances dated the day before the ledger's first month (40 % SSCĐ, the rest
    routine); units without a generated closing start with the default stock of `_history`."""
    day = first - timedelta(days=1)
    for (unit, product), quantity in openings.items():
        sscd = quantity * 4 // 10
        for channel, amount in ((Channel.SSCD, sscd), (Channel.ROUTINE, quantity - sscd)):
            if amount > 0:
                line = NoteLine(product=army.products[product], quantity=Decimal(amount))
                record_note(
                    army.scope,
                    NoteInput(
                        kind=NoteKind.RECEIPT,
                        unit=army.units[unit],
                        location=army.tanks[(unit, product)],
                        date=day,
                        lines=[line],
                        channel=channel,
                        counterparty="Số dư đầu kỳ",
                    ),
                )
    army.opened = {unit for unit, _product in openings}


def _history(army: Army, months: list[date]) -> None:
    rng, today = army.rng, army.today
    # Opening stock on the first day of the history, in the SSCĐ and routine channels.
    first = months[0]
    for depot in [d for d in (K190, K186) if d not in army.opened]:
        for product, monthly in DEPOT_USE.items():
            for channel, share in ((Channel.SSCD, 0.8), (Channel.ROUTINE, 1.2)):
                army.note(
                    NoteKind.RECEIPT,
                    depot,
                    product,
                    round(monthly * share, -3),
                    first,
                    channel=channel,
                    counterparty="Cục Xăng dầu",
                    order_number="01/LĐ-CXD",
                )
    for regiment in [r for r in REGIMENTS if r not in army.opened]:
        for product, reserve in (("DO_005S", 6000), ("E5_RON92", 2000)):
            army.note(
                NoteKind.RECEIPT,
                regiment,
                product,
                reserve,
                first,
                counterparty="Kho 190",
                channel=Channel.SSCD,
                order_number="01/LĐ-F324",
            )
        for product, monthly in REGIMENT_USE.items():
            army.note(
                NoteKind.RECEIPT,
                regiment,
                product,
                round(monthly * 1.5, -2),
                first,
                counterparty="Kho 190",
                channel=Channel.ROUTINE,
            )
    pending: list[tuple[Document, date]] = []
    for month in months:
        season = TRAINING[month.month]
        # The regiments get fuel from Kho 190 by transfer early in the month, received 2 days on.
        for regiment in REGIMENTS:
            for product, monthly in REGIMENT_USE.items():
                qty = round(monthly * season * rng.uniform(0.95, 1.1), -2)
                day = _day(month, rng, today, 2, 6)
                if day > today:
                    continue
                out = army.note(
                    NoteKind.TRANSFER,
                    K190,
                    product,
                    qty,
                    day,
                    destination=army.tanks[(regiment, product)],
                    order_number=f"{month.month:02d}/LĐ-F324",
                    vehicle_plate=f"QK-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
                )
                pending.append((out, day + timedelta(days=2)))
        for out, arrival in pending:
            if arrival <= today:
                line = out.lines.get()
                sent = -line.quantity
                shortfall = Decimal(round(float(sent) * rng.uniform(0.0, 0.0005)))
                receive_note(army.scope, out, on=arrival, received={line.pk: sent - shortfall})
        pending = [(o, a) for o, a in pending if a > today]
        # Issues: the regiments to their companies, the depots to the army.
        for regiment in REGIMENTS:
            for product, monthly in REGIMENT_USE.items():
                for _n in range(3):
                    qty = round(monthly * season / 3 * rng.uniform(0.85, 1.1), -1)
                    day = _day(month, rng, today, 8, 28)
                    if day <= today:
                        army.note(
                            NoteKind.ISSUE,
                            regiment,
                            product,
                            qty,
                            day,
                            recipient=rng.choice(
                                ["Tiểu đoàn 1", "Tiểu đoàn 2", "Tiểu đoàn 3", "Đại đội vận tải"]
                            ),
                            task="Huấn luyện thường xuyên",
                            counterparty="",
                        )
        for depot in (K190, K186):
            for product, monthly in DEPOT_USE.items():
                day = _day(month, rng, today, 1, 10)
                if day > today:
                    continue
                due = round(monthly * season * rng.uniform(0.9, 1.2), -3)
                army.note(
                    NoteKind.RECEIPT,
                    depot,
                    product,
                    int(due * (1 - rng.uniform(0.0, 0.0009))),
                    day,
                    due=Decimal(due),
                    counterparty="Tổng kho xăng dầu",
                    order_number=f"{month.month:02d}/LĐ-CXD",
                    explanation="Xe xitec rò rỉ, đã lập biên bản.",
                )
                for _n in range(2):
                    day = _day(month, rng, today, 10, 28)
                    if day <= today:
                        army.note(
                            NoteKind.ISSUE,
                            depot,
                            product,
                            round(monthly * season / 2 * rng.uniform(0.85, 1.05), -2),
                            day,
                            counterparty=rng.choice(
                                ["Quân khu 4", "Quân khu 5", "Quân đoàn 12", "Quân chủng PK-KQ"]
                            ),
                        )
        # A small storage loss each quarter-end month, and a count at the regiments.
        if month.month in (3, 6, 9, 12) and month.replace(day=28) <= today:
            for unit in (K190, K186, *REGIMENTS):
                army.note(
                    NoteKind.LOSS,
                    unit,
                    "E5_RON92",
                    rng.randint(5, 20) if unit in REGIMENTS else rng.randint(300, 900),
                    month.replace(day=28),
                    stage=Stage.STORAGE,
                    base=Decimal(
                        REGIMENT_USE["E5_RON92"] * 3
                        if unit in REGIMENTS
                        else DEPOT_USE["E5_RON92"] * 3
                    ),
                    explanation="Bay hơi tự nhiên",
                )
            for regiment in REGIMENTS:
                _count(army, regiment, month.replace(day=28))
    # One transfer left in transit for ten days: the "not received" warning.
    army.note(
        NoteKind.TRANSFER,
        K190,
        "E5_RON92",
        2000,
        today - timedelta(days=10),
        destination=army.tanks[(REGIMENTS[1], "E5_RON92")],
        order_number="99/LĐ-F324",
    )


def _count(army: Army, unit_code: str, day: date) -> None:
    location = army.tanks[(unit_code, "DO_005S")]
    count = start_count(army.scope, location, day)
    from haucan.inventory.models import Reason

    reason = Reason.objects.get(domain="petroleum", code="KK_HAO_HUT")
    entries = []
    for line in count.lines.all():
        diff = Decimal(army.rng.choice([0, 0, -5, -10]))
        entries.append(
            CountEntry(line.pk, max(line.expected + diff, Decimal(0)), reason if diff else None)
        )
    record_count(army.scope, count, entries)
    submit_fuel_count(army.scope, count)


def _plans(army: Army) -> None:
    year = army.today.year
    groups = {g.code: g for g in ProductGroup.objects.all()}
    for regiment in REGIMENTS:
        unit = army.units[regiment]
        set_quota(
            army.scope,
            year=year,
            unit=unit,
            group=groups["DIESEL"],
            channel=Channel.ROUTINE,
            quantity=Decimal(120_000),
        )
        set_quota(
            army.scope,
            year=year,
            unit=unit,
            group=groups["XANG"],
            channel=Channel.ROUTINE,
            quantity=Decimal(42_000),
        )
        set_reserve(army.scope, unit=unit, group=groups["XANG"], quantity=Decimal(2_000))
        for code, (count, _km) in VEHICLES.items():
            set_equipment(
                army.scope,
                unit=unit,
                equipment_type=EquipmentType.objects.get(code=code),
                quantity=count,
            )
    for depot in (K190, K186):
        unit = army.units[depot]
        for group, qty in (("DIESEL", 500_000), ("XANG", 200_000), ("PHAN_LUC", 100_000)):
            set_reserve(army.scope, unit=unit, group=groups[group], quantity=Decimal(qty))
    division = army.units[DIVISION]
    for group, qty in (("DIESEL", 12_000), ("XANG", 4_000)):
        set_reserve(army.scope, unit=division, group=groups[group], quantity=Decimal(qty))


def _activity(army: Army, months: list[date]) -> None:
    from haucan.petroleum.rates import consumption_norm

    types = {t.code: t for t in EquipmentType.objects.all()}
    for regiment in REGIMENTS:
        rows = []
        for month in months:
            season = TRAINING[month.month]
            for code, (count, per_vehicle) in VEHICLES.items():
                kind = types[code]
                run = Decimal(round(count * per_vehicle * season * army.rng.uniform(0.85, 1.1)))
                norm = consumption_norm(kind, month) or Decimal(0)
                hourly = kind.basis == "hour"
                allowed = run * norm if hourly else run * norm / 100
                actual = (allowed * Decimal(army.rng.uniform(0.93, 1.08))).quantize(Decimal(1))
                rows.append(
                    ActivityInput(
                        kind,
                        period_of(month, PeriodType.MONTHLY).id,
                        Decimal(0) if hourly else run,
                        run if hourly else Decimal(0),
                        actual,
                    )
                )
        record_activities(army.scope, army.units[regiment], rows)


def _final_reserve(army: Army) -> None:
    """Trung đoàn 1's diesel reserve just below its stock: one issue takes it below."""
    from haucan.petroleum.queries import group_stock
    from haucan.petroleum.warnings import check_unit

    unit = army.units[REGIMENTS[0]]
    diesel = ProductGroup.objects.get(code="DIESEL")
    stock = group_stock(army.scope, unit).get(diesel.pk, Decimal(0))
    reserve = max(Decimal(1000), (stock * Decimal("0.8")).quantize(Decimal(-2)))
    set_reserve(army.scope, unit=unit, group=diesel, quantity=reserve)
    check_unit(unit, army.today)
