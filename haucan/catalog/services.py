"""Changes to the catalog. Specialists design their own domain; administrators design all."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.catalog.models import (
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DimensionType,
    Indicator,
    MissingValueStrategy,
    Norm,
    NormSet,
    Operator,
    ValidationRule,
)
from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.core.expressions import ExpressionError, parse_expression
from haucan.core.scope import Action, Domain, Scope

DEFAULT_CODE = "default"


def require_design(scope: Scope, domain: str) -> None:
    if not scope.can(Action.DESIGN, Domain(domain)):
        raise PermissionDenied(_("You are not allowed to change the catalog of this domain."))


def check_expression(text: str, field: str) -> None:
    """Parse an expression and turn a syntax error into a message that points at the position."""
    try:
        parse_expression(text)
    except ExpressionError as exc:
        raise ValidationFailed(
            _("%(field)s: %(message)s (at character %(pos)d)")
            % {"field": field, "message": exc.message, "pos": exc.position + 1},
            field=field,
        ) from None


def default_option_combo() -> CategoryOptionCombo:
    """The `default` option combo (one query once it exists), used on every save."""
    coc = CategoryOptionCombo.objects.filter(combo__code=DEFAULT_CODE, code=DEFAULT_CODE).first()
    return coc if coc is not None else ensure_default_combo().option_combos.get()


@transaction.atomic
def ensure_default_combo() -> CategoryCombo:
    """The `default` category, combo and option combo that undisaggregated elements use."""
    existing = CategoryCombo.objects.filter(code=DEFAULT_CODE).first()
    if existing is not None and existing.option_combos.exists():
        return existing
    option, _o = CategoryOption.objects.get_or_create(
        code=DEFAULT_CODE, defaults={"name": "default"}
    )
    category, _c = Category.objects.get_or_create(code=DEFAULT_CODE, defaults={"name": "default"})
    CategoryMembership.objects.get_or_create(category=category, option=option)
    combo, _cc = CategoryCombo.objects.get_or_create(
        code=DEFAULT_CODE, defaults={"name": "default", "is_default": True}
    )
    CategoryComboMembership.objects.get_or_create(combo=combo, category=category)
    generate_option_combos(combo)
    return combo


def generate_option_combos(combo: CategoryCombo) -> list[CategoryOptionCombo]:
    """Create the Cartesian product of the combo's options, reusing existing combos.

    Existing option combos are matched by their set of options, so editing a category never
    produces duplicates (a known DHIS2 pain). Combos that no longer exist become inactive.
    """
    categories = [m.category for m in combo.memberships.select_related("category")]
    option_lists = [c.ordered_options() for c in categories]
    existing = {c.options_key: c for c in combo.option_combos.all()}
    wanted: list[CategoryOptionCombo] = []
    for order, options in enumerate(itertools.product(*option_lists)):
        key = ",".join(str(o.pk) for o in sorted(options, key=lambda o: o.pk))
        name = ", ".join(o.name for o in options)
        coc = existing.pop(key, None)
        if coc is None:
            code = combo.code if combo.code == DEFAULT_CODE else f"{combo.code}_{order + 1}"
            if CategoryOptionCombo.objects.filter(code=code).exists():
                code = f"{combo.code}_{'_'.join(o.code for o in options)}"[:100]
            coc = CategoryOptionCombo.objects.create(
                combo=combo, code=code, name=name, options_key=key, sort_order=order
            )
            coc.options.set(options)
        else:
            CategoryOptionCombo.objects.filter(pk=coc.pk).update(
                name=name, sort_order=order, is_active=True
            )
        wanted.append(coc)
    if existing:
        CategoryOptionCombo.objects.filter(pk__in=[c.pk for c in existing.values()]).update(
            is_active=False
        )
    return wanted


@transaction.atomic
def create_category_combo(
    scope: Scope,
    *,
    code: str,
    name: str,
    categories: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
    dimension_type: str = DimensionType.DISAGGREGATION,
) -> CategoryCombo:
    """Create a combo from (category code, category name, [(option code, option name)]) triples."""
    if not scope.can_any(Action.DESIGN):
        raise PermissionDenied(_("You are not allowed to change the catalog."))
    if not categories:
        raise ValidationFailed(_("A category combination needs at least one category."))
    combo = CategoryCombo.objects.create(code=code, name=name, dimension_type=dimension_type)
    for c_order, (c_code, c_name, options) in enumerate(categories):
        category, _created = Category.objects.get_or_create(
            code=c_code, defaults={"name": c_name, "dimension_type": dimension_type}
        )
        for o_order, (o_code, o_name) in enumerate(options):
            option, _c = CategoryOption.objects.get_or_create(
                code=o_code, defaults={"name": o_name}
            )
            CategoryMembership.objects.get_or_create(
                category=category, option=option, defaults={"sort_order": o_order}
            )
        CategoryComboMembership.objects.create(combo=combo, category=category, sort_order=c_order)
    generate_option_combos(combo)
    audit.record(scope, "catalog.combo.create", combo, {"code": code})
    return combo


def _save(
    scope: Scope, obj: DataElement | DataSet | Indicator | ValidationRule, action: str
) -> None:
    try:
        with transaction.atomic():
            obj.full_clean(exclude=["uid"] if obj.pk is None else None, validate_unique=False)
            obj.save()
    except IntegrityError:
        raise ValidationFailed(
            _("The code '%(code)s' is already used.") % {"code": obj.code}, field="code"
        ) from None
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(f"{field}: {' '.join(messages)}", field=field) from None
    audit.record(scope, action, obj, {"code": obj.code})


@transaction.atomic
def save_data_element(scope: Scope, element: DataElement) -> DataElement:
    """Create or update a data element after checking the designer's domain."""
    require_design(scope, element.domain)
    if element.category_combo_id is None:
        element.category_combo = ensure_default_combo()
    _save(scope, element, "catalog.dataelement.save")
    return element


@transaction.atomic
def save_data_set(scope: Scope, data_set: DataSet) -> DataSet:
    require_design(scope, data_set.domain)
    if data_set.category_combo_id is None:
        data_set.category_combo = ensure_default_combo()
    _save(scope, data_set, "catalog.dataset.save")
    return data_set


@transaction.atomic
def save_indicator(scope: Scope, indicator: Indicator) -> Indicator:
    require_design(scope, indicator.domain)
    check_expression(indicator.numerator, "numerator")
    check_expression(indicator.denominator, "denominator")
    _save(scope, indicator, "catalog.indicator.save")
    return indicator


@transaction.atomic
def save_validation_rule(scope: Scope, rule: ValidationRule) -> ValidationRule:
    require_design(scope, rule.domain)
    check_expression(rule.left, "left")
    check_expression(rule.right, "right")
    if rule.operator not in Operator.values:
        raise ValidationFailed(_("Unknown operator '%(op)s'.") % {"op": rule.operator})
    for strategy in (rule.left_missing, rule.right_missing):
        if strategy not in MissingValueStrategy.values:
            raise ValidationFailed(_("Unknown missing-value strategy '%(s)s'.") % {"s": strategy})
    _save(scope, rule, "catalog.validationrule.save")
    return rule


@transaction.atomic
def add_norm(
    scope: Scope,
    norm_set: NormSet,
    *,
    item_code: str,
    item_name: str,
    unit_of_measure: str,
    value: Decimal | str | float,
    valid_from: date,
    valid_to: date | None = None,
    note: str = "",
) -> Norm:
    """Add one effective-dated norm; its validity may not overlap another row of the same item.

    When the item's open-ended row starts before `valid_from`, it is ended the day before, which
    is how a new norm supersedes an old one."""
    require_design(scope, norm_set.domain)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(
            _("'%(v)s' is not a number.") % {"v": value}, field="value"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(_("A norm must be zero or a positive number."), field="value")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(_("The end date is before the start date."), field="valid_to")
    rows = Norm.objects.select_for_update().filter(norm_set=norm_set, item_code=item_code)
    open_row = rows.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    if open_row is not None:
        open_row.valid_to = date.fromordinal(valid_from.toordinal() - 1)
        open_row.save(update_fields=["valid_to"])
    end = valid_to or date.max
    clash = rows.filter(valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    other = clash.first()
    if other is not None:
        raise ValidationFailed(
            _("%(item)s already has a norm valid from %(start)s that overlaps these dates.")
            % {"item": item_name, "start": other.valid_from.strftime("%d/%m/%Y")},
            field="valid_from",
        )
    norm = Norm.objects.create(
        norm_set=norm_set,
        item_code=item_code,
        item_name=item_name,
        unit_of_measure=unit_of_measure,
        value=amount,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )
    audit.record(scope, "catalog.norm.add", norm_set, {"item": item_code, "value": str(amount)})
    return norm
