"""Run validation rules against the values of one form, unit and period (DHIS2's rule engine)."""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from haucan.catalog.models import (
    Constant,
    Importance,
    MissingValueStrategy,
    Operator,
    ValidationRule,
)
from haucan.core.expressions import (
    Expression,
    ExpressionError,
    Operand,
    format_operand,
    parse_expression,
)
from haucan.reporting.models import DataValue
from haucan.reporting.structure import FormStructure

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    Operator.EQUAL_TO: lambda a, b: abs(a - b) < 1e-9,
    Operator.NOT_EQUAL_TO: lambda a, b: abs(a - b) >= 1e-9,
    Operator.GREATER_THAN: op.gt,
    Operator.GREATER_THAN_OR_EQUAL_TO: op.ge,
    Operator.LESS_THAN: op.lt,
    Operator.LESS_THAN_OR_EQUAL_TO: op.le,
}


@dataclass(frozen=True)
class Violation:
    rule: ValidationRule
    left: float | None
    right: float | None
    operands: tuple[tuple[str, float | None], ...]  # (operand text, value) for the message

    @property
    def is_high(self) -> bool:
        return self.rule.importance == Importance.HIGH


def rules_for(structure: FormStructure) -> list[tuple[ValidationRule, Expression, Expression]]:
    """The rules of the form's period type whose operands all name elements of the form."""
    chosen = []
    for rule in ValidationRule.objects.filter(period_type=structure.data_set.period_type):
        try:
            left, right = parse_expression(rule.left), parse_expression(rule.right)
        except ExpressionError:
            continue  # a broken rule is refused when saved; skip any that slipped in
        operands = left.operands() | right.operands()
        if operands and all(o.data_element in structure.element_by_key for o in operands):
            chosen.append((rule, left, right))
    return chosen


def _operand_values(
    structure: FormStructure, values: list[DataValue], operands: frozenset[Operand]
) -> dict[Operand, float | None]:
    by_element: dict[int, dict[int, float | None]] = {}
    for dv in values:
        if not dv.deleted:
            by_element.setdefault(dv.data_element_id, {})[dv.category_option_combo_id] = (
                dv.numeric_value
            )
    result: dict[Operand, float | None] = {}
    for operand in operands:
        element = structure.element_by_key[operand.data_element]
        cells = by_element.get(element.pk, {})
        if operand.category_option_combo:
            coc = structure.combo_by_key.get(operand.category_option_combo)
            result[operand] = cells.get(coc.pk) if coc else None
        else:
            numbers = [v for v in cells.values() if v is not None]
            result[operand] = sum(numbers) if numbers else None
    return result


def _skip(strategy: str, operand_values: Mapping[Operand, float | None], side: Expression) -> bool:
    present = [operand_values.get(o) is not None for o in side.operands()]
    if not present:
        return False
    if strategy == MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING:
        return not all(present)
    if strategy == MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING:
        return not any(present)
    return False


def run_rules(structure: FormStructure, values: list[DataValue], days: int) -> list[Violation]:
    """Evaluate every applicable rule; return those that fail."""
    constants = dict(Constant.objects.values_list("code", "value"))
    constants.update(Constant.objects.values_list("uid", "value"))
    violations: list[Violation] = []
    for rule, left, right in rules_for(structure):
        operand_values = _operand_values(structure, values, left.operands() | right.operands())
        if _skip(rule.left_missing, operand_values, left) or _skip(
            rule.right_missing, operand_values, right
        ):
            continue
        if rule.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
            has_left = any(operand_values.get(o) is not None for o in left.operands())
            has_right = any(operand_values.get(o) is not None for o in right.operands())
            ok = (
                (has_left == has_right)
                if rule.operator == Operator.COMPULSORY_PAIR
                else not (has_left and has_right)
            )
            lv = rv = None
        else:
            lv = _number(left.evaluate(operand_values, constants=constants, days=days))
            rv = _number(right.evaluate(operand_values, constants=constants, days=days))
            ok = lv is None or rv is None or _COMPARE[rule.operator](lv, rv)
        if not ok:
            shown = tuple(
                (format_operand(o), v)
                for o, v in sorted(operand_values.items(), key=lambda kv: str(kv[0]))
            )
            violations.append(Violation(rule, lv, rv, shown))
    return violations


def _number(value: float | bool | None) -> float | None:
    if value is None:
        return None
    return float(value)
