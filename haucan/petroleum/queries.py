"""Reads of the petroleum module: stock by product and channel, quota use, reserve cover."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.inventory.models import DocType, Line, Location
from haucan.inventory.queries import stock_on_hand
from haucan.org.models import Unit
from haucan.petroleum.models import (
    DOMAIN,
    Activity,
    Basis,
    Product,
    ProductGroup,
    Quota,
    Reserve,
    Tank,
)

CONSUMING = (DocType.ISSUE, DocType.CONSUMPTION, DocType.TRANSFER_OUT)
COVER_WINDOW_DAYS = 90


def products() -> list[Product]:
    return list(Product.objects.select_related("item", "group").order_by("group__sort_order"))


def group_stock(
    scope: Scope, unit: Unit, *, at: date | None = None, subtree: bool = False
) -> dict[int, Decimal]:
    """Stock per fuel group id of the unit's own depots (with its subtree when asked)."""
    group_of = {p.item_id: p.group_id for p in Product.objects.all()}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id,), qty in stock_on_hand(
        scope, domain=DOMAIN, at=at, unit=unit, subtree=subtree, by=("item",)
    ).items():
        group = group_of.get(int(str(item_id)))
        if group is not None:
            totals[group] += qty
    return dict(totals)


def average_daily_use(unit: Unit, group: ProductGroup, today: date) -> Decimal:
    """Issues and consumption of the unit's depots over the last 90 days, per day."""
    start = today - timedelta(days=COVER_WINDOW_DAYS)
    used = Line.objects.filter(
        domain=DOMAIN,
        unit=unit,
        item__petroleum_product__group=group,
        doc_type__in=CONSUMING,
        date__gt=start,
        date__lte=today,
    ).aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    return -used / COVER_WINDOW_DAYS


@dataclass(frozen=True)
class ReserveRow:
    group: ProductGroup
    required: Decimal
    stock: Decimal
    daily_use: Decimal

    @property
    def cover_days(self) -> Decimal | None:
        if self.daily_use <= 0:
            return None
        return (self.stock / self.daily_use).quantize(Decimal("0.1"))

    @property
    def ratio(self) -> Decimal | None:
        return (
            (self.stock / self.required * 100).quantize(Decimal("0.1")) if self.required else None
        )


def reserve_rows(scope: Scope, unit: Unit, today: date) -> list[ReserveRow]:
    if not scope.covers_path(unit.path):
        raise NotFound("Unit not found.")
    stock = group_stock(scope, unit)
    rows = []
    for reserve in Reserve.objects.filter(unit=unit).select_related("group"):
        rows.append(
            ReserveRow(
                reserve.group,
                reserve.quantity,
                stock.get(reserve.group_id, Decimal(0)),
                average_daily_use(unit, reserve.group, today),
            )
        )
    return rows


@dataclass(frozen=True)
class QuotaRow:
    quota: Quota
    used: Decimal

    @property
    def ratio(self) -> Decimal:
        if not self.quota.quantity:
            return Decimal(0)
        return (self.used / self.quota.quantity * 100).quantize(Decimal("0.1"))

    @property
    def remaining(self) -> Decimal:
        return self.quota.quantity - self.used


def quota_rows(scope: Scope, year: int, unit: Unit | None = None) -> list[QuotaRow]:
    """Each quota of the units in scope with what was issued and consumed against it this year
    (the unit's own depots, in the quota's channel)."""
    quotas = Quota.objects.filter(year=year).select_related("unit", "group")
    if unit is not None:
        quotas = quotas.filter(unit=unit)
    visible = [q for q in quotas if scope.covers_path(q.unit.path)]
    used: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    rows = (
        Line.objects.filter(
            domain=DOMAIN,
            unit__in={q.unit_id for q in visible},
            doc_type__in=CONSUMING,
            date__year=year,
        )
        .values("unit_id", "item__petroleum_product__group_id", "dimension")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for row in rows:
        key = (row["unit_id"], row["item__petroleum_product__group_id"], row["dimension"])
        used[key] += -row["total"]
    return [QuotaRow(q, used.get((q.unit_id, q.group_id, q.channel), Decimal(0))) for q in visible]


def norm_fuel(activity: Activity, norm: Decimal | None) -> Decimal:
    """The fuel the norm allows for the activity (litres)."""
    if norm is None:
        return Decimal(0)
    basis = activity.equipment_type.basis
    if basis == Basis.PER_100_KM:
        return activity.km * norm / 100
    if basis == Basis.PER_KM:
        return activity.km * norm
    return activity.hours * norm


def tanks_over_capacity(location: Location) -> Decimal | None:
    """The tank's stock above its capacity, or None when within it (or not a tank)."""
    tank = Tank.objects.filter(location=location).first()
    if tank is None:
        return None
    stock = sum(
        stock_on_hand(
            _system(), domain=DOMAIN, location=location, unit=location.unit, by=("item",)
        ).values(),
        Decimal(0),
    )
    return stock - tank.capacity if stock > tank.capacity else None


def _system() -> Scope:
    return Scope.system("petroleum")
