"""The alerts part of the demo army: warning rules, a few real conditions, and the first run.

Loaded last (haucan/demo/modules.py), after the domain modules raised their own events. The core
demo leaves Trung đoàn 1's petroleum report of last month unsubmitted; before that report's
deadline day, the month before is left unsubmitted instead, so there is always a late report.
Here two more conditions are planted in last month's petroleum report of Sư đoàn 324, so the
commander sees them in the inbox and on the situation board:
- a battalion of Trung đoàn 1 whose closing stock covers only a few days of its consumption
  (the threshold "stock below 15 days of consumption");
- a battalion of Trung đoàn 2 whose reported loss is ten times its usual (an outlier, and the
  loss also breaks the "loss above the permitted rate" validation rule).
Fixing the value on the entry screen (after reopening the report) resolves the warning at once:
arrivals are evaluated in-process right after the save, no worker needed.
"""

from __future__ import annotations

from haucan.alerts.evaluation import evaluate_all
from haucan.alerts.evaluation.late import overdue_periods
from haucan.alerts.rules import save_rule
from haucan.catalog.models import DataElement, DataSet
from haucan.core.periods import PeriodType, period_of
from haucan.demo.modules import DemoContext
from haucan.org.models import Unit
from haucan.reporting.models import CompleteRegistration, DataValue, ValueChange

FORM = "XD_TON_KHO_THANG"
DIVISION = "QK4-F324"
RULES: list[dict[str, object]] = [
    {
        "code": "CB_XD_TON_DUOI_15_NGAY",
        "name": "Tồn xăng dầu dưới 15 ngày tiêu thụ",
        "kind": "threshold",
        "domain": "petroleum",
        "severity": "critical",
        "expression": "#{XD_TON_CUOI}",
        "operator": "<",
        "compare_to": "15 * #{XD_XUAT} / [days]",
        "levels": [4, 5],
        "period_type": "Monthly",
        "lookback": 2,
        "message": "%(unit)s, %(period)s: tồn cuối kỳ %(value)s lít, dưới mức 15 ngày tiêu thụ "
        "(%(limit)s lít).",
        "notify_roles": ["clerk", "commander"],
        "levels_up": 3,
    },
    {
        "code": "CB_XD_HAO_HUT_BAT_THUONG",
        "name": "Hao hụt xăng dầu bất thường",
        "kind": "outlier",
        "domain": "petroleum",
        "severity": "warning",
        "method": "zscore",
        "threshold": 3.5,
        "history": 12,
        "elements": ["XD_HAO_HUT"],
        "period_type": "Monthly",
        "lookback": 2,
        "levels": [4, 5],
    },
    {
        "code": "CB_XD_KIEM_TRA",
        "name": "Báo cáo xăng dầu vi phạm quy tắc kiểm tra",
        "kind": "validation",
        "domain": "petroleum",
        "severity": "warning",
        "data_set": FORM,
        "validation_rule": "VR_XD_HAO_HUT_TOI_DA",
        "lookback": 2,
    },
    {
        "code": "CB_XD_CHAM_BAO_CAO",
        "name": "Chậm nộp báo cáo xăng dầu tháng",
        "kind": "late",
        "domain": "petroleum",
        "severity": "warning",
        "data_set": FORM,
        "lookback": 1,
    },
    {
        "code": "CB_XD_DUOI_DU_TRU",
        "name": "Tồn kho dưới mức dự trữ sẵn sàng chiến đấu",
        "kind": "event",
        "domain": "petroleum",
        "severity": "critical",
        "event_code": "petroleum.stock_below_reserve",
    },
]


def _battalion(regiment_code: str) -> Unit | None:
    return (
        Unit.objects.filter(parent__code=regiment_code, data_sets__code=FORM)
        .order_by("code")
        .first()
    )


def _set(unit: Unit, period: str, element_code: str, factor: float) -> None:
    """Scale the unit's stored value of the element (every option combo) by `factor`, and move
    the difference to another cell of the report, so that closing = opening + received − issued
    − loss still holds: a smaller closing stock was issued, a larger loss came out of the
    closing stock (or, when that is not enough, out of what was issued)."""
    codes = ["XD_TON_CUOI", "XD_XUAT", "XD_HAO_HUT"]
    elements = {e.code: e for e in DataElement.objects.filter(code__in=codes)}
    rows = {
        (row.data_element_id, row.category_option_combo_id): row
        for row in DataValue.objects.filter(
            unit=unit, period=period, data_element__in=elements.values(), deleted=False
        )
    }
    changed: dict[int, DataValue] = {}
    created: list[DataValue] = []

    def cell(code: str, like: DataValue) -> DataValue:
        key = (elements[code].pk, like.category_option_combo_id)
        if key not in rows:
            row = DataValue(
                data_element=elements[code],
                period=like.period,
                period_start=like.period_start,
                period_end=like.period_end,
                unit=like.unit,
                category_option_combo_id=like.category_option_combo_id,
                attribute_option_combo_id=like.attribute_option_combo_id,
                value="0",
                numeric_value=0.0,
                stored_by=like.stored_by,
                origin=like.origin,
                created_at=like.created_at,
                updated_at=like.updated_at,
            )
            rows[key] = row
            created.append(row)
        return rows[key]

    def put(row: DataValue, number: float) -> None:
        number = float(round(number))  # whole litres, as the rest of the demo report
        row.numeric_value, row.value = number, f"{number:g}"
        if row.pk is not None:
            changed[row.pk] = row

    target = elements[element_code].pk
    for (de_id, _coc), row in list(rows.items()):
        if de_id != target:
            continue
        before = row.numeric_value or 0.0
        after = float(round(before * factor))
        put(row, after)
        if element_code == "XD_TON_CUOI":
            issued = cell("XD_XUAT", row)
            put(issued, (issued.numeric_value or 0.0) + before - after)
        elif element_code == "XD_HAO_HUT":
            closing = cell("XD_TON_CUOI", row)
            left = (closing.numeric_value or 0.0) - (after - before)
            put(closing, max(left, 0.0))
            if left < 0:
                issued = cell("XD_XUAT", row)
                put(issued, (issued.numeric_value or 0.0) + left)
    DataValue.objects.bulk_update(list(changed.values()), ["numeric_value", "value"])
    DataValue.objects.bulk_create(created)


def _late_report(ctx: DemoContext) -> None:
    """Make sure Trung đoàn 1 has an overdue report: last month's is left empty by the core demo,
    but until its deadline day passes it is not late yet; then the month before is the one
    "entered but never submitted"."""
    form = DataSet.objects.get(code=FORM)
    last = period_of(ctx.today, PeriodType.MONTHLY).previous()
    if overdue_periods(form, ctx.today, 1) != [last]:
        CompleteRegistration.objects.filter(
            data_set=form, unit__code=f"{DIVISION}-E1", period=last.previous().id
        ).delete()


def load(ctx: DemoContext) -> None:
    for spec in RULES:
        save_rule(ctx.scope, spec)
    _late_report(ctx)
    last_month = period_of(ctx.today, PeriodType.MONTHLY).previous().id
    low_stock = _battalion(f"{DIVISION}-E1")
    big_loss = _battalion(f"{DIVISION}-E2")
    if low_stock is not None:
        _set(low_stock, last_month, "XD_TON_CUOI", 0.02)
    if big_loss is not None:
        _set(big_loss, last_month, "XD_HAO_HUT", 10.0)
    ValueChange.objects.create(reset=True)  # the values above were changed in bulk
    report = evaluate_all(ctx.scope, today=ctx.today)
    ctx.say(f"alert rules: {report.describe()}")
