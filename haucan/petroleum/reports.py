"""The petroleum report forms, filled from the ledger (no double entry, DESIGN.md §5.3).

The module is the source "petroleum" of these forms of the catalog (codes are data: a form that
does not exist is skipped, a category option is the fuel group's `report_option`):

- XD_TON_KHO_THANG (monthly, the unit's own depots): XD_TON_DAU, XD_NHAP, XD_XUAT, XD_HAO_HUT,
  XD_TON_CUOI by fuel group, so that closing = opening + receipts − issues − losses holds per
  group, and XD_DA_KIEM_KE (a count was submitted in the month).
- XD_HAO_HUT_QUY (quarterly): HH_NHAP, HH_XUAT, HH_TON_CHUA, HH_VAN_CHUYEN, HH_DINH_MUC by group,
  HH_VUOT_DINH_MUC (a loss of some product was above its rate) and HH_GIAI_TRINH (explanations).
- XD_DU_TRU_SSCD (quarterly, the unit with its subtree): SSCD_QUY_DINH, SSCD_THUC_CO (stock in
  the SSCĐ channel at the end of the quarter), SSCD_LUAN_CHUYEN (SSCĐ issued in the quarter) by
  group, and SSCD_TY_LE.
- XD_PHUONG_TIEN_THANG (monthly): PT_SO_LUONG, PT_HOAT_DONG, PT_NL_DINH_MUC, PT_NL_THUC_TE by
  equipment category, from the equipment and activity records.

`refresh(unit, day)` recomputes every form and period a posting on `day` changes (the month and
the later months up to today, the quarter and later quarters) for the unit and, for the reserve
form, its ancestors; it runs inside the posting's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.catalog.models import DataSet
from haucan.core.errors import ValidationFailed
from haucan.core.periods import Period, PeriodType, period_of, periods_between
from haucan.core.scope import Scope
from haucan.inventory.models import Count, CountStatus, DocType, Document
from haucan.inventory.queries import period_movements, stock_on_hand
from haucan.org.models import Unit
from haucan.petroleum.models import (
    DOMAIN,
    Activity,
    Channel,
    Equipment,
    Product,
    ProductGroup,
    Reserve,
    Stage,
)
from haucan.reporting.models import DataValue, Origin
from haucan.reporting.services.sources import SourceSpec, register_source
from haucan.reporting.services.values import (
    CellInput,
    Target,
    is_locked,
    lock_date,
    save_values,
)

SOURCE = "petroleum"
MONTHLY = "XD_TON_KHO_THANG"
LOSSES = "XD_HAO_HUT_QUY"
RESERVE = "XD_DU_TRU_SSCD"
EQUIPMENT = "XD_PHUONG_TIEN_THANG"
FORMS = (MONTHLY, LOSSES, RESERVE, EQUIPMENT)

Values = dict[tuple[str, str | None], float | int | str | None]


def register() -> None:
    register_source(SourceSpec(SOURCE, gettext_lazy("Petroleum ledger"), link=_link))


def _link(unit: Unit, period_id: str, element_code: str) -> str | None:
    from django.urls import reverse

    return f"{reverse('petroleum:stock')}?unit={unit.uid}&period={period_id}"


def _forms() -> dict[str, DataSet]:
    return {ds.code: ds for ds in DataSet.objects.filter(code__in=FORMS)}


def check_period_open(unit: Unit, day: date) -> None:
    """A note may not be dated in a month whose monthly petroleum report is locked."""
    from haucan.petroleum.services.notes import loading_history_active

    if loading_history_active():
        return
    data_set = DataSet.objects.filter(code=MONTHLY).first()
    if data_set is None:
        return
    period = period_of(day, PeriodType.MONTHLY)
    if is_locked(data_set, period):
        locked_on = lock_date(data_set, period)
        assert locked_on is not None
        raise ValidationFailed(
            _(
                "The report period %(period)s is locked since %(day)s: a note dated %(date)s "
                "cannot be posted."
            )
            % {
                "period": period.display_name(),
                "day": locked_on.strftime("%d/%m/%Y"),
                "date": day.strftime("%d/%m/%Y"),
            },
            field="date",
        )


def _groups() -> tuple[dict[int, ProductGroup], list[ProductGroup]]:
    products = Product.objects.select_related("group")
    return {p.item_id: p.group for p in products}, list(ProductGroup.objects.all())


def monthly_values(scope: Scope, unit: Unit, period: Period) -> Values:
    group_of, groups = _groups()
    moves = period_movements(
        scope,
        domain=DOMAIN,
        start=period.start,
        end=period.end,
        unit=unit,
        subtree=False,
        by=("item",),
    )
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (item_id,), move in moves.items():
        group = group_of.get(int(str(item_id)))
        if group is None or not group.report_option:
            continue
        other = move.by_type.get(DocType.ADJUSTMENT, Decimal(0)) + move.by_type.get(
            DocType.COUNT, Decimal(0)
        )
        row = totals[group.report_option]
        row["XD_TON_DAU"] += move.opening
        row["XD_NHAP"] += move.receipts + max(other, Decimal(0))
        row["XD_XUAT"] += move.issues + move.outflow(DocType.WRITE_OFF)
        row["XD_HAO_HUT"] += move.outflow(DocType.LOSS) + max(-other, Decimal(0))
        row["XD_TON_CUOI"] += move.closing
    values: Values = {}
    for group in groups:
        if not group.report_option:
            continue
        found = totals.get(group.report_option)
        for code in ("XD_TON_DAU", "XD_NHAP", "XD_XUAT", "XD_HAO_HUT", "XD_TON_CUOI"):
            values[(code, group.report_option)] = int(found[code]) if found else None
    counted = Count.objects.filter(
        domain=DOMAIN,
        unit=unit,
        status=CountStatus.SUBMITTED,
        date__gte=period.start,
        date__lte=period.end,
    ).exists()
    values[("XD_DA_KIEM_KE", None)] = "true" if counted else None
    return values


def loss_values(scope: Scope, unit: Unit, period: Period) -> Values:
    group_of, groups = _groups()
    stage_element = {
        Stage.RECEIPT: "HH_NHAP",
        Stage.ISSUE: "HH_XUAT",
        Stage.STORAGE: "HH_TON_CHUA",
        Stage.TRANSPORT: "HH_VAN_CHUYEN",
    }
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    explanations: list[str] = []
    over = False
    documents = Document.objects.filter(
        domain=DOMAIN,
        unit=unit,
        date__gte=period.start,
        date__lte=period.end,
        doc_type__in=[DocType.RECEIPT, DocType.LOSS, DocType.TRANSFER_IN],
        reverses__isnull=True,
        reversed_by__isnull=True,
    ).prefetch_related("lines")
    for document in documents:
        stage = document.meta.get("stage", "")
        element = stage_element.get(stage)
        if element is None:
            continue
        if document.meta.get("loss_over"):
            over = True
            if document.note:
                explanations.append(f"{document.number}: {document.note}")
        for line in document.lines.all():
            group = group_of.get(line.item_id)
            if group is None or not group.report_option:
                continue
            if document.doc_type == DocType.TRANSFER_IN:
                loss = Decimal(line.meta.get("sent", line.quantity)) - line.quantity
            else:
                loss = Decimal(line.meta.get("loss") or 0)
            totals[(element, group.report_option)] += loss
            totals[("HH_DINH_MUC", group.report_option)] += Decimal(line.meta.get("allowed") or 0)
    values: Values = {}
    used = {option for _element, option in totals}
    for group in groups:
        if not group.report_option:
            continue
        for element in (*stage_element.values(), "HH_DINH_MUC"):
            amount = totals.get((element, group.report_option))
            values[(element, group.report_option)] = (
                int(amount or 0) if group.report_option in used else None
            )
    values[("HH_VUOT_DINH_MUC", None)] = "true" if over else ("false" if used else None)
    text = "; ".join(explanations)
    # A text element holds 255 characters: keep the first explanations, mark the cut.
    values[("HH_GIAI_TRINH", None)] = (text if len(text) <= 255 else text[:254] + "…") or None
    return values


def reserve_values(scope: Scope, unit: Unit, period: Period) -> Values:
    group_of, groups = _groups()
    required = {
        r.group.report_option: r.quantity
        for r in Reserve.objects.filter(unit=unit).select_related("group")
    }
    held: dict[str, Decimal] = defaultdict(Decimal)
    for (item_id,), qty in stock_on_hand(
        scope, domain=DOMAIN, at=period.end, unit=unit, dimension=Channel.SSCD, by=("item",)
    ).items():
        group = group_of.get(int(str(item_id)))
        if group is not None:
            held[group.report_option] += qty
    rotated: dict[str, Decimal] = defaultdict(Decimal)
    for (item_id,), move in period_movements(
        scope,
        domain=DOMAIN,
        start=period.start,
        end=period.end,
        unit=unit,
        dimension=Channel.SSCD,
    ).items():
        group = group_of.get(int(str(item_id)))
        if group is not None:
            rotated[group.report_option] += move.issues
    values: Values = {}
    for group in groups:
        option = group.report_option
        if not option:
            continue
        known = option in required or option in held
        values[("SSCD_QUY_DINH", option)] = int(required[option]) if option in required else None
        values[("SSCD_THUC_CO", option)] = int(held[option]) if known else None
        values[("SSCD_LUAN_CHUYEN", option)] = int(rotated[option]) if known else None
    total_required = sum(required.values(), Decimal(0))
    total_held = sum((held[o] for o in required), Decimal(0))
    # A percentage element holds 0–100: a reserve held above the requirement reads 100 %.
    values[("SSCD_TY_LE", None)] = (
        min(100.0, round(float(total_held / total_required * 100), 1)) if total_required else None
    )
    return values


def equipment_values(scope: Scope, unit: Unit, period: Period) -> Values:
    from haucan.petroleum.queries import norm_fuel
    from haucan.petroleum.rates import consumption_norm

    totals: dict[tuple[str, str], float] = defaultdict(float)
    for held in Equipment.objects.filter(unit=unit).select_related("equipment_type"):
        totals[("PT_SO_LUONG", held.equipment_type.report_option)] += held.quantity
    for activity in Activity.objects.filter(unit=unit, period=period.id).select_related(
        "equipment_type"
    ):
        option = activity.equipment_type.report_option
        norm = consumption_norm(activity.equipment_type, period.start)
        totals[("PT_HOAT_DONG", option)] += float(activity.km + activity.hours)
        totals[("PT_NL_DINH_MUC", option)] += float(norm_fuel(activity, norm))
        totals[("PT_NL_THUC_TE", option)] += float(activity.actual_fuel)
    values: Values = {}
    for (element, option), amount in totals.items():
        if option:
            values[(element, option)] = (
                round(amount) if element != "PT_HOAT_DONG" else round(amount, 1)
            )
    return values


BUILDERS = {
    MONTHLY: (PeriodType.MONTHLY, False, monthly_values),
    LOSSES: (PeriodType.QUARTERLY, False, loss_values),
    RESERVE: (PeriodType.QUARTERLY, True, reserve_values),
    EQUIPMENT: (PeriodType.MONTHLY, False, equipment_values),
}


def _assigned(data_set: DataSet, units: Iterable[Unit]) -> list[Unit]:
    ids = [u.pk for u in units]
    assigned = set(data_set.units.filter(pk__in=ids).values_list("pk", flat=True))
    return [u for u in units if u.pk in assigned]


def refresh(
    unit: Unit,
    day: date,
    *,
    today: date | None = None,
    forms: Iterable[str] = (MONTHLY, LOSSES, RESERVE),
    until: date | None = None,
    override_reason: str = "",
) -> int:
    """Recompute the forms a posting of `unit` on `day` changes (its period and the later ones up
    to today, or up to `until`); returns the number of values written."""
    scope = Scope.system("petroleum ledger")
    today = today or timezone.localdate()
    data_sets = _forms()
    ancestors: list[Unit] | None = None
    written = 0
    for code in forms:
        data_set = data_sets.get(code)
        if data_set is None:
            continue
        period_type, upward, build = BUILDERS[code]
        if upward:
            if ancestors is None:
                ancestors = list(Unit.objects.filter(uid__in=unit.path_uids()))
            targets = _assigned(data_set, ancestors)
        else:
            targets = _assigned(data_set, [unit])
        for target in targets:
            for period in periods_between(day, max(day, until or today), period_type):
                values = build(scope, target, period)
                written += publish(
                    scope, data_set, target, period, values, override_reason=override_reason
                )
    return written


def publish(
    scope: Scope,
    data_set: DataSet,
    unit: Unit,
    period: Period,
    values: Mapping[tuple[str, str | None], float | int | str | None],
    *,
    override_reason: str = "",
) -> int:
    """Write the complete set of values of one form, unit and period as the petroleum source.

    Like `publish_source_values` (the values go through `save_values` with origin=source, and a
    value this source stored before but no longer derives is deleted), plus an administrator's
    lock override for loading history (the demo's 24 months)."""
    from haucan.catalog.services import DEFAULT_CODE, default_option_combo

    wanted = {(de, coc or DEFAULT_CODE): _text(value) for (de, coc), value in values.items()}
    stored: dict[tuple[str, str], str] = {}
    ours: dict[tuple[str, str], str] = {}
    for de, coc, text, origin, source in DataValue.objects.filter(
        unit=unit,
        period=period.id,
        data_element__in=data_set.data_elements.all(),
        deleted=False,
    ).values_list("data_element__code", "category_option_combo__code", "value", "origin", "source"):
        stored[(de, coc)] = text
        if origin == Origin.SOURCE and source == SOURCE:
            ours[(de, coc)] = text
    # Most postings change one form of one period: the others are left alone without a write.
    changed = {
        key: text
        for key, text in wanted.items()
        if (ours[key] != text if key in ours else (text != "" or key in stored))
    }
    stale = [key for key in ours if key not in wanted]
    if not changed and not stale:
        return 0
    cells = [
        CellInput(data_element=de, category_option_combo=coc, value=text)
        for (de, coc), text in changed.items()
    ]
    cells += [CellInput(data_element=de, category_option_combo=coc, value="") for de, coc in stale]
    target = Target(data_set, unit, period, default_option_combo())
    result = save_values(
        scope,
        target,
        cells,
        origin=Origin.SOURCE,
        source=SOURCE,
        override_reason=override_reason,
    )
    return result.created + result.updated + result.deleted


def _text(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
    return str(value)
