"""Validation rules as alerts: the form's rules (haucan.reporting.validation, DHIS2's semantics for
operators and missing values) run on each unit's own values, one alert per violated rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from haucan.alerts.evaluation import links
from haucan.alerts.evaluation.compiled import Compiled, compile_expression
from haucan.alerts.evaluation.context import Catalog, Known, OperandReader, UnitInfo, Values
from haucan.alerts.evaluation.threshold import COMPARE
from haucan.alerts.messages import number, template_for
from haucan.alerts.models import AlertRule
from haucan.alerts.sync import Finding
from haucan.catalog.models import MissingValueStrategy, Operator, ValidationRule
from haucan.core.expressions import Expression, ExpressionError, Operand, parse_expression
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


def checks_of(rule: AlertRule, memo: dict[int, Checks] | None = None) -> Checks:
    """The rule's validation checks; `memo` keeps each form's checks for one evaluation."""
    if rule.data_set is None:
        return []
    memo = {} if memo is None else memo
    if rule.data_set.pk not in memo:
        # Only the form's rows that validation rules name: rules_for asks no more of the form,
        # and the whole layout (sections, greyed cells) took most of an arrival's validation.
        named = {
            o.data_element
            for texts in ValidationRule.objects.filter(
                period_type=rule.data_set.period_type
            ).values_list("left", "right")
            for text in texts
            for o in _operands(text)
        }
        memo[rule.data_set.pk] = rules_for(load_structure(rule.data_set, element_keys=named))
    chosen = memo[rule.data_set.pk]
    if rule.validation_rule_id is not None:
        chosen = [c for c in chosen if c[0].pk == rule.validation_rule_id]
    return chosen


def _operands(text: str) -> frozenset[Operand]:
    try:
        return parse_expression(text).operands()
    except ExpressionError:
        return frozenset()  # rules_for skips a broken rule


Skip = Callable[[Mapping[Operand, float | None]], bool]


def _never(known: Mapping[Operand, float | None]) -> bool:
    return False


def _skipper(strategy: str, side: frozenset[Operand]) -> Skip:
    """Whether a side's missing values skip the check (DHIS2's missing value strategies),
    decided once per check: an evaluation asks it for every unit."""
    operands = tuple(side)
    if not operands:
        return _never
    if strategy == MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING:
        return lambda known: any(known.get(o) is None for o in operands)
    if strategy == MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING:
        return lambda known: all(known.get(o) is None for o in operands)
    return _never


@dataclass(frozen=True)
class _Prepared:
    check: ValidationRule
    left: frozenset[Operand]
    right: frozenset[Operand]
    left_fn: Compiled
    right_fn: Compiled
    operator: str
    skip_left: Skip
    skip_right: Skip

    @classmethod
    def of(
        cls, check: ValidationRule, left: Expression, right: Expression, catalog: Catalog
    ) -> _Prepared:
        left_ops, right_ops = left.operands(), right.operands()
        return cls(
            check,
            left_ops,
            right_ops,
            compile_expression(left, catalog.constants),
            compile_expression(right, catalog.constants),
            _OPERATORS.get(Operator(check.operator), "=="),
            _skipper(check.left_missing, left_ops),
            _skipper(check.right_missing, right_ops),
        )


def _violated(
    p: _Prepared, known: Mapping[Operand, float | None], days: int
) -> tuple[float | None, float | None] | None:
    """(left, right) when the check fails, else None (DHIS2's semantics)."""
    if p.skip_left(known) or p.skip_right(known):
        return None
    check = p.check
    if check.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
        has_left = any(known.get(o) is not None for o in p.left)
        has_right = any(known.get(o) is not None for o in p.right)
        ok = (
            has_left == has_right
            if check.operator == Operator.COMPULSORY_PAIR
            else not (has_left and has_right)
        )
        return None if ok else (None, None)
    try:
        lv, rv = p.left_fn(known, days), p.right_fn(known, days)
    except ExpressionError:
        return None
    if lv is None or rv is None:
        return None
    a, b = float(lv), float(rv)
    return None if COMPARE[p.operator](a, b) else (a, b)


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
    prepared = [_Prepared.of(check, left, right, catalog) for check, left, right in checks]
    form = rule.data_set.code if rule.data_set else ""
    link = links.linker(form)
    elements = element_ids(checks, catalog)
    operands = {o for p in prepared for o in p.left | p.right}
    reader = OperandReader((o for o in operands if o.data_element in catalog.elements), catalog)
    nothing: Known = dict.fromkeys(operands)  # a unit with values of none of the operands
    template = template_for(rule.message, rule.kind)
    for period in periods:
        read = reader.at(values, period.id)
        period_name = None
        for unit_id in sorted(values.units_with(period.id, elements) & by_pk.keys()):
            known = read(unit_id) or nothing
            for p in prepared:
                check = p.check
                failed = _violated(p, known, period.days)
                if failed is None:
                    continue
                lv, rv = failed
                period_name = period_name or period.display_name()
                params = {
                    "rule": rule.name,
                    "unit": by_pk[unit_id].name,
                    "period": period_name,
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
                        template=template,
                        params=params,
                        values={"left": lv, "right": rv},
                        link=link(by_pk[unit_id].uid, period.id),
                    )
                )
    return findings
