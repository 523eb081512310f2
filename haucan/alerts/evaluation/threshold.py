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

from haucan.alerts.evaluation.context import Catalog, Cells, UnitInfo, Values
from haucan.alerts.messages import message_for, number
from haucan.alerts.models import AlertRule, Comparison
from haucan.alerts.sync import Finding
from haucan.catalog.models import Norm
from haucan.core.errors import ValidationFailed
from haucan.core.expressions import Expression, ExpressionError, Operand, parse_expression
from haucan.core.periods import Period

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
class Compiled:
    left: Expression
    right: Expression
    element_ids: frozenset[int]


def compile_rule(rule: AlertRule, catalog: Catalog, on: date) -> Compiled:
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
    return Compiled(left, right, frozenset(ids))


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


def evaluate(
    rule: AlertRule,
    compiled: Compiled,
    targets: list[UnitInfo],
    periods: list[Period],
    values: Values,
    catalog: Catalog,
) -> list[Finding]:
    findings: list[Finding] = []
    compare = COMPARE[rule.operator]
    operands = compiled.left.operands() | compiled.right.operands()
    for period in periods:
        sums = values.rolled_up(targets, period.id, set(compiled.element_ids))
        for target in targets:
            cells = sums.get(target.pk)
            if not cells:
                continue
            known = operand_values(operands, cells, catalog)
            if not any(v is not None for v in known.values()):
                continue
            try:
                lv = _number(
                    compiled.left.evaluate(known, constants=catalog.constants, days=period.days)
                )
                rv = _number(
                    compiled.right.evaluate(known, constants=catalog.constants, days=period.days)
                )
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
                    message=message_for(rule.message, rule.kind, params),
                    values={"value": round(lv, 6), "limit": round(rv, 6)},
                )
            )
    return findings
