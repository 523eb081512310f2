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
from haucan.alerts.evaluation.context import Catalog, Known, OperandReader, UnitInfo, Values
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


def element_names(rule: AlertRule) -> set[str] | None:
    """The codes or uids of the elements the rule's two sides name (None: they do not parse),
    without the catalog or the norms: what an arrival checks before evaluating anything."""
    try:
        left = parse_expression(left_text(rule))
        right = parse_expression(NORM_RE.sub("0", rule.compare_to))
    except ExpressionError:
        return None
    return {o.data_element for o in left.operands() | right.operands()}


@dataclass(frozen=True)
class Prepared:
    left: Expression
    right: Expression
    element_ids: frozenset[int]
    left_fn: Compiled
    right_fn: Compiled


def compile_rule(rule: AlertRule, catalog: Catalog, on: date) -> Prepared:
    """Parse both sides (norms filled in for `on`); unknown elements are a clear error.

    Once per rule version and day in an evaluation (`catalog` keeps it): its prefetch and its
    evaluation both need the rule compiled."""
    key = (rule.pk, rule.version, on)
    if rule.pk is not None and key in catalog.compiled:
        return catalog.compiled[key]
    prepared = _compile(rule, catalog, on)
    if rule.pk is not None:
        catalog.compiled[key] = prepared
    return prepared


def _compile(rule: AlertRule, catalog: Catalog, on: date) -> Prepared:
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
    reader = OperandReader(operands, catalog)
    form = links.form_of(rule, compiled.element_ids, catalog)
    own_link, sum_link = links.linker(form), links.linker(form, own_values=False)
    is_leaf = values.units.is_leaf
    upper = [t for t in targets if not is_leaf(t.pk)]
    prefetch(values, upper, periods, operands, catalog)
    template = template_for(rule.message, rule.kind)
    operator_label = Comparison(rule.operator).label
    for period in periods:
        read = reader.at(values, period.id)  # a leaf's own values
        days, period_name = period.days, None
        for target in targets:
            leaf = is_leaf(target.pk)
            known: Known | None
            if leaf:
                known = read(target.pk)
            else:  # a unit above: its subtree's aggregate, from analytics
                aggregate = values.aggregates.get((target.pk, period.id))
                known = None if aggregate is None else {o: aggregate.get(o) for o in operands}
                if known is not None and all(v is None for v in known.values()):
                    known = None
            if known is None:
                continue
            try:
                lv = _number(compiled.left_fn(known, days))
                rv = _number(compiled.right_fn(known, days))
            except ExpressionError:
                continue
            if lv is None or rv is None or not compare(lv, rv):
                continue
            period_name = period_name or period.display_name()
            params = {
                "rule": rule.name,
                "unit": target.name,
                "period": period_name,
                "value": number(lv),
                "operator": operator_label,
                "limit": number(rv),
            }
            link = own_link if leaf else sum_link
            findings.append(
                Finding(
                    unit_id=target.pk,
                    period=period.id,
                    key="",
                    template=template,
                    params=params,
                    values={"value": round(lv, 6), "limit": round(rv, 6)},
                    link=link(target.uid, period.id),
                )
            )
    return findings
