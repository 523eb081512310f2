"""Turn the items of an analytics query into catalog objects, periods and units (scope-checked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from django.db.models import Model, Q
from django.utils.translation import gettext as _

from haucan.catalog.models import (
    Category,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    Indicator,
)
from haucan.core.errors import NotFound, ValidationFailed
from haucan.core.expressions import Expression, ExpressionError, parse_expression
from haucan.core.periods import Period, PeriodError, is_relative, parse_period, resolve_relative
from haucan.core.scope import Scope
from haucan.org import queries as org_queries
from haucan.org.models import Unit, UnitGroup

M = TypeVar("M", bound=Model)

RATE_METRICS = ("REPORTING_RATE", "REPORTING_RATE_ON_TIME", "ACTUAL_REPORTS", "EXPECTED_REPORTS")


@dataclass(frozen=True)
class DxItem:
    id: str
    name: str
    kind: str  # "element" | "operand" | "indicator" | "rate"
    element: DataElement | None = None
    coc: CategoryOptionCombo | None = None
    indicator: Indicator | None = None
    numerator: Expression | None = None
    denominator: Expression | None = None
    data_set: DataSet | None = None
    metric: str = ""


@dataclass
class Catalog:
    """Elements and option combos referenced by the query, by id and by uid/code."""

    elements: dict[int, DataElement] = field(default_factory=dict)
    element_by_key: dict[str, DataElement] = field(default_factory=dict)
    coc_by_key: dict[str, CategoryOptionCombo] = field(default_factory=dict)


def _by_key(model: type[M], keys: Sequence[str]) -> dict[str, M]:
    found: dict[str, M] = {}
    for obj in model._default_manager.filter(Q(uid__in=keys) | Q(code__in=keys)):
        found[getattr(obj, "uid")] = obj  # noqa: B009 - every catalog model has uid and code
        found[getattr(obj, "code")] = obj  # noqa: B009
    return found


def resolve_dx(items: Sequence[str], catalog: Catalog) -> list[DxItem]:
    if not items:
        raise ValidationFailed(_("Choose at least one data item (dx)."))
    heads = [item.split(".", 1)[0] for item in items]
    tails = [item.split(".", 1)[1] for item in items if "." in item]
    elements = _by_key(DataElement, heads)
    missing = [h for h in heads if h not in elements]
    indicators = _by_key(Indicator, missing) if missing else {}
    data_sets = _by_key(DataSet, missing) if missing else {}
    cocs = _by_key(CategoryOptionCombo, tails) if tails else {}
    resolved: list[DxItem] = []
    for item in items:
        head, _sep, tail = item.partition(".")
        if tail in RATE_METRICS and head in data_sets:
            ds: DataSet = data_sets[head]
            resolved.append(
                DxItem(f"{ds.uid}.{tail}", f"{ds.name} ({tail})", "rate", data_set=ds, metric=tail)
            )
        elif head in elements:
            element: DataElement = elements[head]
            catalog.elements[element.pk] = element
            if tail:
                coc = cocs.get(tail)
                if coc is None or coc.combo_id != element.category_combo_id:
                    raise ValidationFailed(
                        _("'%(item)s': unknown option combination '%(coc)s'.")
                        % {"item": item, "coc": tail}
                    )
                resolved.append(
                    DxItem(
                        f"{element.uid}.{coc.uid}",
                        f"{element.name} {coc.name}",
                        "operand",
                        element=element,
                        coc=coc,
                    )
                )
            else:
                resolved.append(DxItem(element.uid, element.name, "element", element=element))
        elif head in indicators and not tail:
            indicator: Indicator = indicators[head]
            try:
                numerator = parse_expression(indicator.numerator)
                denominator = parse_expression(indicator.denominator)
            except ExpressionError as exc:
                raise ValidationFailed(
                    _("The indicator %(name)s has a broken expression: %(err)s")
                    % {"name": indicator.name, "err": exc}
                ) from None
            resolved.append(
                DxItem(
                    indicator.uid,
                    indicator.name,
                    "indicator",
                    indicator=indicator,
                    numerator=numerator,
                    denominator=denominator,
                )
            )
        else:
            raise ValidationFailed(_("Unknown data item '%(item)s'.") % {"item": item})
    _resolve_indicator_operands(resolved, catalog)
    return resolved


def _resolve_indicator_operands(items: list[DxItem], catalog: Catalog) -> None:
    operands = [
        op
        for item in items
        if item.kind == "indicator"
        for expr in (item.numerator, item.denominator)
        if expr is not None
        for op in expr.operands()
    ]
    if not operands:
        return
    elements = _by_key(DataElement, [op.data_element for op in operands])
    cocs = _by_key(
        CategoryOptionCombo,
        [op.category_option_combo for op in operands if op.category_option_combo],
    )
    for op in operands:
        element = elements.get(op.data_element)
        if element is None:
            raise ValidationFailed(
                _("An indicator refers to the unknown data element '%(de)s'.")
                % {"de": op.data_element}
            )
        catalog.elements[element.pk] = element
        catalog.element_by_key[op.data_element] = element
        if op.category_option_combo:
            coc = cocs.get(op.category_option_combo)
            if coc is None:
                raise ValidationFailed(
                    _("An indicator refers to the unknown option combination '%(coc)s'.")
                    % {"coc": op.category_option_combo}
                )
            catalog.coc_by_key[op.category_option_combo] = coc


def resolve_periods(items: Sequence[str], today: date) -> list[Period]:
    if not items:
        raise ValidationFailed(_("Choose at least one period (pe)."))
    periods: list[Period] = []
    for item in items:
        try:
            found = resolve_relative(item, today) if is_relative(item) else [parse_period(item)]
        except PeriodError as exc:
            raise ValidationFailed(str(exc), field="pe") from None
        periods.extend(p for p in found if p not in periods)
    return periods


def resolve_units(scope: Scope, items: Sequence[str]) -> list[Unit]:
    """Units named by uid/code, USER_ORGUNIT[_CHILDREN|_GRANDCHILDREN], LEVEL-n, OU_GROUP-x."""
    if not items:
        raise ValidationFailed(_("Choose at least one unit (ou)."))
    boundaries: list[Unit] = []
    levels: list[int] = []
    groups: list[str] = []
    user_units = ("USER_ORGUNIT", "USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN")
    named = org_queries.get_units(  # every unit named by uid or code, in one query
        scope,
        [i for i in items if i not in user_units and not i.startswith(("LEVEL-", "OU_GROUP-"))],
    )
    for item in items:
        if item == "USER_ORGUNIT":
            boundaries.extend(org_queries.scope_roots(scope))
        elif item in user_units[1:]:
            roots = org_queries.scope_roots(scope)
            depth = 1 if item == "USER_ORGUNIT_CHILDREN" else 2
            for root in roots:
                boundaries.extend(
                    Unit.objects.filter(path__startswith=root.path, depth=root.depth + depth)
                )
        elif item.startswith("LEVEL-"):
            try:
                levels.append(int(item.removeprefix("LEVEL-")))
            except ValueError:
                raise ValidationFailed(_("'%(item)s' is not a level.") % {"item": item}) from None
        elif item.startswith("OU_GROUP-"):
            groups.append(item.removeprefix("OU_GROUP-"))
        else:
            boundaries.append(named[item])
    if not levels and not groups:
        return _dedupe(boundaries)
    inside = boundaries or org_queries.scope_roots(scope)
    condition = Q(pk__in=[])
    for unit in inside:
        condition |= Q(path__startswith=unit.path)
    chosen = Unit.objects.filter(condition)
    if levels:
        chosen = chosen.filter(depth__in=levels)
    if groups:
        found = UnitGroup.objects.filter(Q(uid__in=groups) | Q(code__in=groups))
        if found.count() < len(set(groups)):
            raise NotFound(_("Unit group not found."))
        chosen = chosen.filter(groups__in=found)
    return list(chosen.filter(org_queries.scope_filter(scope)).distinct().order_by("path"))


def _dedupe(units: list[Unit]) -> list[Unit]:
    seen: set[int] = set()
    return [u for u in units if not (u.pk in seen or seen.add(u.pk))]  # type: ignore[func-returns-value]


@dataclass(frozen=True)
class CategoryDimension:
    category: Category
    options: tuple[CategoryOption, ...]


def resolve_category(name: str, items: Sequence[str]) -> CategoryDimension:
    category = Category.objects.filter(Q(uid=name) | Q(code=name)).first()
    if category is None:
        raise ValidationFailed(_("Unknown dimension '%(name)s'.") % {"name": name})
    options = category.ordered_options()
    if items:
        wanted = set(items)
        options = [o for o in options if o.uid in wanted or o.code in wanted]
        if len(options) < len(wanted):
            raise ValidationFailed(
                _("Some options are not in the category %(name)s.") % {"name": category.name}
            )
    return CategoryDimension(category, tuple(options))
