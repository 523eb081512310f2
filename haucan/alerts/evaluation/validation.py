"""Validation rules as alerts: the form's rules (haucan.reporting.validation, DHIS2's semantics for
operators and missing values) run on each unit's own values, one alert per violated rule."""

from __future__ import annotations

from collections.abc import Mapping

from haucan.alerts.evaluation.context import Catalog, UnitInfo, Values
from haucan.alerts.evaluation.threshold import COMPARE, operand_values
from haucan.alerts.messages import message_for, number
from haucan.alerts.models import AlertRule
from haucan.alerts.sync import Finding
from haucan.catalog.models import MissingValueStrategy, Operator, ValidationRule
from haucan.core.expressions import Expression, ExpressionError, Operand
from haucan.core.periods import Period
from haucan.reporting.structure import load_structure
from haucan.reporting.validation import rules_for

_OPERATORS = {
    Operator.EQUAL_TO: "==",
    Operator.NOT_EQUAL_TO: "!=",
    Operator.GREATER_THAN: ">",
    Operator.GREATER_THAN_OR_EQUAL_TO: ">=",
    Operator.LESS_THAN: "<",
    Operator.LESS_THAN_OR_EQUAL_TO: "<=",
}

Checks = list[tuple[ValidationRule, Expression, Expression]]


def checks_of(rule: AlertRule) -> Checks:
    if rule.data_set is None:
        return []
    chosen = rules_for(load_structure(rule.data_set))
    if rule.validation_rule_id is not None:
        chosen = [c for c in chosen if c[0].pk == rule.validation_rule_id]
    return chosen


def _skip(strategy: str, known: Mapping[Operand, float | None], side: Expression) -> bool:
    present = [known.get(o) is not None for o in side.operands()]
    if not present:
        return False
    if strategy == MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING:
        return not all(present)
    if strategy == MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING:
        return not any(present)
    return False


def _violated(
    check: ValidationRule,
    left: Expression,
    right: Expression,
    known: dict,
    catalog: Catalog,
    days: int,
) -> tuple[float | None, float | None] | None:
    """(left, right) when the check fails, else None."""
    if _skip(check.left_missing, known, left) or _skip(check.right_missing, known, right):
        return None
    if check.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
        has_left = any(known.get(o) is not None for o in left.operands())
        has_right = any(known.get(o) is not None for o in right.operands())
        ok = (
            has_left == has_right
            if check.operator == Operator.COMPULSORY_PAIR
            else not (has_left and has_right)
        )
        return None if ok else (None, None)
    try:
        lv = left.evaluate(known, constants=catalog.constants, days=days)
        rv = right.evaluate(known, constants=catalog.constants, days=days)
    except ExpressionError:
        return None
    if lv is None or rv is None:
        return None
    a, b = float(lv), float(rv)
    return None if COMPARE[_OPERATORS[Operator(check.operator)]](a, b) else (a, b)


def element_ids(checks: Checks, catalog: Catalog) -> set[int]:
    return {
        catalog.elements[o.data_element]
        for _check, left, right in checks
        for o in left.operands() | right.operands()
        if o.data_element in catalog.elements
    }


def evaluate(
    rule: AlertRule,
    checks: Checks,
    units: list[UnitInfo],
    periods: list[Period],
    values: Values,
    catalog: Catalog,
) -> list[Finding]:
    by_pk = {u.pk: u for u in units}
    findings: list[Finding] = []
    for period in periods:
        for unit_id in sorted(values.units_with_values(period.id) & by_pk.keys()):
            cells = values.own(unit_id, period.id)
            for check, left, right in checks:
                operands = left.operands() | right.operands()
                known = operand_values(operands, cells, catalog)
                failed = _violated(check, left, right, known, catalog, period.days)
                if failed is None:
                    continue
                lv, rv = failed
                params = {
                    "rule": rule.name,
                    "unit": by_pk[unit_id].name,
                    "period": period.display_name(),
                    "check": check.instruction or check.name,
                    "left": number(lv),
                    "operator": Operator(check.operator).label,
                    "right": number(rv),
                }
                findings.append(
                    Finding(
                        unit_id=unit_id,
                        period=period.id,
                        key=check.code,
                        message=message_for(rule.message, rule.kind, params),
                        values={"left": lv, "right": rv},
                    )
                )
    return findings
