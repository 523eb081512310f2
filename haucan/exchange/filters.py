"""DHIS2's `filter=property:operator:value` and `order=property:direction` on a described type.

Operators: eq, !eq (ne), like, !like, ilike, !ilike, $like / like$ (starts / ends with, and their
i- forms), in, !in (`[a,b,c]`), null, !null, empty, gt, ge, lt, le. A property may reach through a
reference or collection (`parent.id:eq:…`, `organisationUnits.id:in:[…]`). Several filters are
ANDed, or ORed with `rootJunction=OR`. An unknown property or operator, or a value that does not
fit the property's type, is a 400 with a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from haucan.core.errors import ValidationFailed
from haucan.exchange.fields import REGISTRY, ObjectType, Prop

# operator -> (Django lookup, negated); None marks the operators handled specially.
_OPERATORS: dict[str, tuple[str, bool] | None] = {
    "eq": ("exact", False),
    "!eq": ("exact", True),
    "ne": ("exact", True),
    "neq": ("exact", True),
    "like": ("contains", False),
    "!like": ("contains", True),
    "ilike": ("icontains", False),
    "!ilike": ("icontains", True),
    "$like": ("startswith", False),
    "!$like": ("startswith", True),
    "$ilike": ("istartswith", False),
    "!$ilike": ("istartswith", True),
    "like$": ("endswith", False),
    "!like$": ("endswith", True),
    "ilike$": ("iendswith", False),
    "!ilike$": ("iendswith", True),
    "gt": ("gt", False),
    "ge": ("gte", False),
    "lt": ("lt", False),
    "le": ("lte", False),
    "in": ("in", False),
    "!in": ("in", True),
    "null": None,
    "!null": None,
    "empty": None,
    "!empty": None,
}
_TEXT_LOOKUPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}


@dataclass(frozen=True)
class ResolvedProperty:
    lookup: str
    prop: Prop
    to_many: bool  # the path crosses a collection, so rows may repeat


def resolve_property(object_type: ObjectType, dotted: str) -> ResolvedProperty:
    """`parent.id` -> the ORM path `parent__uid`, walking the described types."""
    current = object_type
    parts = dotted.split(".")
    path: list[str] = []
    to_many = False
    for index, name in enumerate(parts):
        prop = current.props.get(name)
        if prop is None or prop.lookup is None:
            raise ValidationFailed(
                _("Unknown or unfilterable property '%(p)s' on %(type)s.")
                % {"p": dotted, "type": object_type.name}
            )
        path.append(prop.lookup)
        to_many = to_many or prop.kind == "list"
        last = index == len(parts) - 1
        if prop.kind == "value":
            if not last:
                raise ValidationFailed(
                    _("Unknown or unfilterable property '%(p)s' on %(type)s.")
                    % {"p": dotted, "type": object_type.name}
                )
            return ResolvedProperty("__".join(path), prop, to_many)
        current = REGISTRY[prop.target]
    # A bare reference compares by id, as DHIS2 does (`parent:eq:uid`).
    id_prop = current.props["id"]
    assert id_prop.lookup is not None
    path.append(id_prop.lookup)
    return ResolvedProperty("__".join(path), id_prop, to_many)


def _model_field(model: type[models.Model], lookup: str) -> models.Field[Any, Any] | None:
    field: Any = None
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if field is not None and field.is_relation:
        return model._meta.pk
    return field


def _coerce(model: type[models.Model], resolved: ResolvedProperty, raw: str) -> Any:
    if resolved.prop.convert is not None:
        return resolved.prop.convert(raw)
    field = _model_field(model, resolved.lookup)
    if field is None or isinstance(field, models.CharField | models.TextField):
        return raw
    if isinstance(field, models.BooleanField):
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise ValidationError("not a boolean")
        return lowered == "true"
    return field.to_python(raw)


def _condition(model: type[models.Model], object_type: ObjectType, text: str) -> tuple[Q, bool]:
    prop_name, sep, rest = text.partition(":")
    if not sep or not prop_name:
        raise ValidationFailed(_("A filter is property:operator:value; got '%(f)s'.") % {"f": text})
    operator, _sep, value = rest.partition(":")
    if operator not in _OPERATORS:
        raise ValidationFailed(
            _("Unknown filter operator '%(op)s' in '%(f)s'.") % {"op": operator, "f": text}
        )
    resolved = resolve_property(object_type, prop_name)
    spec = _OPERATORS[operator]
    if spec is None:
        if operator in ("null", "!null"):
            condition = Q(**{f"{resolved.lookup}__isnull": True})
        else:
            condition = Q(**{f"{resolved.lookup}__isnull": True}) | Q(**{resolved.lookup: ""})
        return (~condition if operator.startswith("!") else condition), resolved.to_many
    lookup, negated = spec
    try:
        if lookup == "in":
            items = [v.strip() for v in value.strip().strip("[]").split(",") if v.strip()]
            coerced: Any = [_coerce(model, resolved, item) for item in items]
        elif lookup in _TEXT_LOOKUPS:
            coerced = value
        else:
            coerced = _coerce(model, resolved, value)
    except (ValidationError, ValueError, TypeError):
        raise ValidationFailed(
            _("The value '%(v)s' does not fit property '%(p)s'.") % {"v": value, "p": prop_name}
        ) from None
    condition = Q(**{f"{resolved.lookup}__{lookup}": coerced})
    return (~condition if negated else condition), resolved.to_many


def filter_queryset(
    queryset: models.QuerySet[Any],
    object_type: ObjectType,
    filters: Sequence[str],
    root_junction: str = "AND",
) -> models.QuerySet[Any]:
    """Apply every `filter=` value (ANDed, or ORed with rootJunction=OR)."""
    junction = (root_junction or "AND").upper()
    if junction not in ("AND", "OR"):
        raise ValidationFailed(_("rootJunction must be AND or OR."))
    conditions: list[Q] = []
    distinct = False
    for text in filters:
        if not text:
            continue
        condition, to_many = _condition(queryset.model, object_type, text)
        conditions.append(condition)
        distinct = distinct or to_many
    if not conditions:
        return queryset
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = (combined | condition) if junction == "OR" else (combined & condition)
    queryset = queryset.filter(combined)
    if distinct:
        # Crossing a collection may repeat a row; keep one per object.
        queryset = queryset.model._default_manager.filter(pk__in=queryset.values("pk"))
    return queryset


def order_queryset(
    queryset: models.QuerySet[Any], object_type: ObjectType, order: Sequence[str]
) -> models.QuerySet[Any]:
    """`order=name:asc,level:desc` (also iasc/idesc); the primary key breaks ties for paging."""
    keys: list[Any] = []
    for text in order:
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            name, _sep, direction = item.partition(":")
            direction = (direction or "asc").lower()
            if direction not in ("asc", "desc", "iasc", "idesc"):
                raise ValidationFailed(_("Unknown order direction '%(d)s'.") % {"d": direction})
            resolved = resolve_property(object_type, name)
            if resolved.to_many:
                raise ValidationFailed(
                    _("Cannot order by the collection property '%(p)s'.") % {"p": name}
                )
            keys.append(f"-{resolved.lookup}" if direction.endswith("desc") else resolved.lookup)
    if not keys:
        keys = list(queryset.model._meta.ordering or [])
    return queryset.order_by(*keys, "pk")
