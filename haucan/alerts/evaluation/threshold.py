"""Threshold rules: an expression over data elements, operands or an indicator, computed at the
chosen unit levels (a unit's own values plus its subtree's, summed over units), compared with a
constant, a catalog constant `C{…}`, a norm `N{norm set.item}` or another expression."""

from __future__ import annotations

import operator as op
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from haucan.alerts.evaluation import links
from haucan.alerts.evaluation.compiled import Compiled, compile_expression
from haucan.alerts.evaluation.context import Catalog, Cells, UnitInfo, Values
from haucan.alerts.messages import number, template_for
from haucan.alerts.models import AlertRule, Comparison
from haucan.alerts.sync import Finding
from haucan.analytics.engine import run_query
from haucan.analytics.query import AnalyticsQuery
from haucan.catalog.models import Norm
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import Expression, ExpressionError, Operand, parse_expression
from haucan.core.periods import Period
from haucan.core.scope import Scope

SYSTEM = Scope.system("alerts.evaluation")

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
    "==": lambda a, b: abs(a - b) < 1e-9,
    "!=": lambda a, b: abs(a - b) >= 1e-9,
}
NORM_RE = re.compile(r"N\{([^{}.]+)\.([^{}]+)\}")


def norm_value(set_code: str, item_code: str, on: date) -> float | None:
    norm = (
        Norm.objects.filter(norm_set__code=set_code, item_code=item_code, valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .order_by("-valid_from")
        .first()
    )
    return float(norm.value) if norm else None


def _with_norms(text: str, on: date) -> str:
    def replace(match: re.Match[str]) -> str:
        value = norm_value(match.group(1), match.group(2), on)
        if value is None:
            raise ValidationFailed(
                _("No norm %(item)s in the norm set %(set)s is in force on %(day)s.")
                % {"item": match.group(2), "set": match.group(1), "day": on.strftime("%d/%m/%Y")},
                field="compare_to",
            )
        return repr(value)

    return NORM_RE.sub(replace, text)


def left_text(rule: AlertRule) -> str:
    if rule.indicator_id is not None and rule.indicator is not None:
        ind = rule.indicator
        return f"({ind.numerator}) / ({ind.denominator}) * {ind.factor!r}"
    return rule.expression


@dataclass(frozen=True)
class Prepared:
    left: Expression
    right: Expression
    element_ids: frozenset[int]
    left_fn: Compiled
    right_fn: Compiled


def compile_rule(rule: AlertRule, catalog: Catalog, on: date) -> Prepared:
    """Parse both sides (norms filled in for `on`); unknown elements are a clear error."""
    try:
        left = parse_expression(left_text(rule))
        right = parse_expression(_with_norms(rule.compare_to, on))
    except ExpressionError as exc:
        raise ValidationFailed(str(exc), field="expression") from None
    ids: set[int] = set()
    for operand in left.operands() | right.operands():
        pk = catalog.elements.get(operand.data_element)
        if pk is None:
            raise ValidationFailed(
                _("The data element '%(de)s' does not exist.") % {"de": operand.data_element},
                field="expression",
            )
        ids.add(pk)
    for name in left.constants() | right.constants():
        if name not in catalog.constants:
            raise ValidationFailed(
                _("The constant '%(c)s' does not exist.") % {"c": name}, field="compare_to"
            )
    return Prepared(
        left,
        right,
        frozenset(ids),
        compile_expression(left, catalog.constants),
        compile_expression(right, catalog.constants),
    )


def operand_values(
    operands: frozenset[Operand], cells: Cells, catalog: Catalog
) -> dict[Operand, float | None]:
    result: dict[Operand, float | None] = {}
    for operand in operands:
        de = catalog.elements[operand.data_element]
        if operand.category_option_combo:
            coc = catalog.combos.get(operand.category_option_combo)
            result[operand] = cells.get((de, coc)) if coc is not None else None
        else:
            found = [v for (d, _c), v in cells.items() if d == de]
            result[operand] = sum(found) if found else None
    return result


def _number(value: object) -> float | None:
    if value is None or isinstance(value, str):
        return None
    return float(value)  # type: ignore[arg-type]


CHUNK = 500  # units per analytics query


def aggregated(
    targets: list[UnitInfo],
    periods: list[Period],
    operands: frozenset[Operand],
    catalog: Catalog,
    *,
    whole_levels: bool = False,
) -> dict[tuple[int, str], dict[Operand, float | None]]:
    """Operand values of units with descendants, from the analytics engine (its rollups and
    each element's aggregation type): one query per level in a full evaluation (`whole_levels`),
    else per chunk of units."""
    items: dict[str, Operand] = {}
    for operand in operands:
        uid = catalog.element_uids[catalog.elements[operand.data_element]]
        if operand.category_option_combo:
            coc = catalog.combos.get(operand.category_option_combo)
            if coc is None:
                continue
            uid = f"{uid}.{catalog.combo_uids[coc]}"
        items[uid] = operand
    found: dict[tuple[int, str], dict[Operand, float | None]] = {}
    if not items or not targets:
        return found
    by_uid = {t.uid: t.pk for t in targets}
    groups: list[tuple[str, ...]]
    if whole_levels:  # every unit of these levels: name the levels, not 10,000 uids
        groups = [(f"LEVEL-{d}",) for d in sorted({t.depth for t in targets})]
    else:
        uids = sorted(by_uid)
        groups = [tuple(uids[i : i + CHUNK]) for i in range(0, len(uids), CHUNK)]
    for ou in groups:
        query = AnalyticsQuery(
            dimensions=(
                ("dx", tuple(sorted(items))),
                ("ou", ou),
                ("pe", tuple(p.id for p in periods)),
            ),
            skip_meta=True,
        )
        result = run_query(SYSTEM, query)
        for (dx, unit_uid, pe), value in result.value_map().items():
            if unit_uid in by_uid:
                cell = found.setdefault((by_uid[unit_uid], pe), dict.fromkeys(operands))
                cell[items[dx]] = value
    return found


def prefetch(
    values: Values,
    upper: list[UnitInfo],
    periods: list[Period],
    operands: frozenset[Operand],
    catalog: Catalog,
) -> None:
    """Ask analytics, once, for what is not cached yet; several rules share one query when
    their operands are prefetched together (see evaluation/__init__.py)."""
    missing = {
        o
        for o in operands
        for t in upper
        for p in periods
        if (t.pk, p.id, o) not in values.aggregated_keys
    }
    if not missing or not upper:
        return
    found = aggregated(
        upper, periods, frozenset(missing), catalog, whole_levels=values.units.complete
    )
    for (unit_pk, period_id), cells in found.items():
        values.aggregates.setdefault((unit_pk, period_id), {}).update(cells)
    values.aggregated_keys.update((t.pk, p.id, o) for o in missing for t in upper for p in periods)


def evaluate(
    rule: AlertRule,
    compiled: Prepared,
    targets: list[UnitInfo],
    periods: list[Period],
    values: Values,
    catalog: Catalog,
) -> list[Finding]:
    findings: list[Finding] = []
    compare = COMPARE[rule.operator]
    operands = compiled.left.operands() | compiled.right.operands()
    leaves = [t for t in targets if values.units.is_leaf(t.pk)]
    form = links.form_of(rule, compiled.element_ids, catalog)
    upper = [t for t in targets if not values.units.is_leaf(t.pk)]
    prefetch(values, upper, periods, operands, catalog)
    above = {
        (t.pk, p.id): {o: values.aggregates.get((t.pk, p.id), {}).get(o) for o in operands}
        for t in upper
        for p in periods
        if (t.pk, p.id) in values.aggregates
    }
    for period in periods:
        known_by_unit: dict[int, dict[Operand, float | None]] = {}
        for target in leaves:
            cells = values.cells(target.pk, period.id, compiled.element_ids)
            if cells:
                known_by_unit[target.pk] = operand_values(operands, cells, catalog)
        for (unit_id, period_id), aggregate in above.items():
            if period_id == period.id:
                known_by_unit[unit_id] = aggregate
        for target in targets:
            found = known_by_unit.get(target.pk)
            if found is None or not any(v is not None for v in found.values()):
                continue
            known = found
            try:
                lv = _number(compiled.left_fn(known, period.days))
                rv = _number(compiled.right_fn(known, period.days))
            except ExpressionError:
                continue
            if lv is None or rv is None or not compare(lv, rv):
                continue
            params = {
                "rule": rule.name,
                "unit": target.name,
                "period": period.display_name(),
                "value": number(lv),
                "operator": Comparison(rule.operator).label,
                "limit": number(rv),
            }
            findings.append(
                Finding(
                    unit_id=target.pk,
                    period=period.id,
                    key="",
                    template=template_for(rule.message, rule.kind),
                    params=params,
                    values={"value": round(lv, 6), "limit": round(rv, 6)},
                    link=links.to_data(
                        form, target.uid, period.id, own_values=values.units.is_leaf(target.pk)
                    ),
                )
            )
    return findings
