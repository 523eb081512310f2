"""DHIS2-compatible metadata endpoints: `/api/system/info`, `/api/me`, `/api/users` and the
metadata collections (`/api/organisationUnits`, `/api/dataSets`, …), each also with `.json`.

Every object type is described once below (a dict of DHIS2 property -> `Prop`), and one generic
list/detail handler serves them all, so `fields=`, `filter=`, `order=` and paging (`page`,
`pageSize` default 50 and at most 1000, `paging=false`) behave the same everywhere.

Scope: units are those in `request.scope`; report forms are those assigned in the scope (all for a
designer); users are those whose assignments all lie in the scope (all for a global
administrator). Catalog objects that are not tied to units (elements, combos, indicators, rules)
are readable by anyone who may view data. Outside the scope an object does not exist: 404. A
reference to a unit outside the scope (the parent of the actor's top unit) is written as null.
Loading a page costs a fixed number of queries: a count, the page, and one per prefetched
relation the selected fields need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from haucan.accounts.models import Assignment, Role, User
from haucan.catalog.models import (
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    Indicator,
    Option,
    OptionSet,
    Section,
    SectionElement,
    ValidationRule,
)
from haucan.catalog.queries import data_sets_for
from haucan.core.access import AccessRule, declare
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Scope
from haucan.exchange import metadata_render as render
from haucan.exchange import openapi as doc
from haucan.exchange.fields import (
    REGISTRY,
    Context,
    ObjectType,
    Prop,
    Selection,
    prefetches,
    project,
    project_all,
    register,
    selection_for,
)
from haucan.exchange.filters import filter_queryset, order_queryset
from haucan.org.models import Level, Unit, UnitGroup
from haucan.org.queries import scope_filter, scope_roots, units_in_scope

router = Router(tags=["metadata"])

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# --- Value helpers ------------------------------------------------------------------------------


def _timestamp(value: datetime | date | None) -> str | None:
    """DHIS2 writes local timestamps without an offset, to the millisecond."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"{value.isoformat()}T00:00:00.000"


def _fetch(path: str, queryset: Callable[[Scope], QuerySet[Any]] | None = None) -> Any:
    """A PrefetchFn for one relation, optionally with a (scoped or ordered) queryset."""

    def build(scope: Scope, prefix: str) -> list[str | Prefetch]:
        if queryset is None:
            return [prefix + path]
        return [Prefetch(prefix + path, queryset=queryset(scope))]

    return build


def _attr(name: str, lookup: str | None = None, *, owner: bool = True) -> Prop:
    return Prop(lambda o, c: getattr(o, name), lookup=lookup or name, owner=owner)


def _identifiable(*, timestamps: bool = True) -> dict[str, Prop]:
    props = {
        "id": _attr("uid"),
        "code": _attr("code"),
        "name": _attr("name"),
        "displayName": Prop(lambda o, c: o.name, lookup="name", owner=False),
    }
    if timestamps:
        props["created"] = Prop(lambda o, c: _timestamp(o.created_at), lookup="created_at")
        props["lastUpdated"] = Prop(lambda o, c: _timestamp(o.updated_at), lookup="updated_at")
    return props


def _short_name() -> dict[str, Prop]:
    return {
        "shortName": Prop(lambda o, c: o.short_name or o.name, lookup="short_name"),
        "displayShortName": Prop(
            lambda o, c: o.short_name or o.name, lookup="short_name", owner=False
        ),
    }


def _visible_data_sets(scope: Scope) -> QuerySet[DataSet]:
    """Forms assigned in the scope; a designer sees every form."""
    if scope.can_any(Action.DESIGN):
        return DataSet.objects.all()
    return data_sets_for(scope)


def _scoped_units(scope: Scope) -> QuerySet[Unit]:
    return units_in_scope(scope)


def _parent_in_scope(unit: Unit, ctx: Context) -> Unit | None:
    parent = unit.parent
    if parent is None or not ctx.scope.covers_path(parent.path):
        return None
    return parent


# --- Object types -------------------------------------------------------------------------------

ORGANISATION_UNITS = register(
    ObjectType(
        "organisationUnits",
        {
            **_identifiable(),
            **_short_name(),
            "level": _attr("depth"),
            "path": Prop(lambda o, c: "/" + "/".join(o.path_uids()), lookup="path"),
            "openingDate": Prop(lambda o, c: _timestamp(o.opened_on), lookup="opened_on"),
            "closedDate": Prop(lambda o, c: _timestamp(o.closed_on), lookup="closed_on"),
            "parent": Prop(
                _parent_in_scope,
                kind="ref",
                target="organisationUnits",
                lookup="parent",
                prefetch=_fetch("parent"),
            ),
            "children": Prop(
                lambda o, c: o.children.all(),
                kind="list",
                target="organisationUnits",
                lookup="children",
                owner=False,
                prefetch=_fetch("children"),
            ),
            "leaf": Prop(
                lambda o, c: not o.children.all(), owner=False, prefetch=_fetch("children")
            ),
            "dataSets": Prop(
                lambda o, c: o.data_sets.all(),
                kind="list",
                target="dataSets",
                lookup="data_sets",
                owner=False,
                prefetch=_fetch("data_sets", lambda s: DataSet.objects.order_by("name")),
            ),
            "organisationUnitGroups": Prop(
                lambda o, c: o.groups.all(),
                kind="list",
                target="organisationUnitGroups",
                lookup="groups",
                owner=False,
                prefetch=_fetch("groups"),
            ),
        },
    )
)

register(
    ObjectType(
        "organisationUnitGroups",
        {
            **_identifiable(timestamps=False),
            "organisationUnits": Prop(
                lambda o, c: o.units.all(),
                kind="list",
                target="organisationUnits",
                lookup="units",
                prefetch=_fetch("units", _scoped_units),
            ),
        },
    )
)


def _level_uid(depth: int) -> str:
    # Levels have no uid of their own; this one is stable and shaped like a DHIS2 uid.
    return f"Lvl{depth:08d}"


def _level_depth(uid: str) -> int:
    if not uid.startswith("Lvl") or not uid[3:].isdigit():
        raise ValueError(uid)
    return int(uid[3:])


register(
    ObjectType(
        "organisationUnitLevels",
        {
            "id": Prop(lambda o, c: _level_uid(o.depth), lookup="depth", convert=_level_depth),
            "code": _attr("code"),
            "name": _attr("name"),
            "displayName": Prop(lambda o, c: o.name, lookup="name", owner=False),
            "level": _attr("depth"),
        },
        default_fields="id,displayName,level",
    )
)

register(
    ObjectType(
        "categoryOptions",
        {
            **_identifiable(),
            **_short_name(),
            "startDate": Prop(lambda o, c: _timestamp(o.start_date), lookup="start_date"),
            "endDate": Prop(lambda o, c: _timestamp(o.end_date), lookup="end_date"),
        },
    )
)

register(
    ObjectType(
        "categories",
        {
            **_identifiable(),
            "dataDimensionType": _attr("dimension_type"),
            "categoryOptions": Prop(
                lambda o, c: [m.option for m in o.memberships.all()],
                kind="list",
                target="categoryOptions",
                lookup="options",
                prefetch=_fetch(
                    "memberships",
                    lambda s: CategoryMembership.objects.select_related("option").order_by(
                        "sort_order"
                    ),
                ),
                via="memberships__option",
            ),
        },
    )
)

register(
    ObjectType(
        "categoryCombos",
        {
            **_identifiable(),
            "dataDimensionType": _attr("dimension_type"),
            "isDefault": _attr("is_default"),
            "categories": Prop(
                lambda o, c: [m.category for m in o.memberships.all()],
                kind="list",
                target="categories",
                lookup="categories",
                prefetch=_fetch(
                    "memberships",
                    lambda s: CategoryComboMembership.objects.select_related("category").order_by(
                        "sort_order"
                    ),
                ),
                via="memberships__category",
            ),
            "categoryOptionCombos": Prop(
                lambda o, c: o.option_combos.all(),
                kind="list",
                target="categoryOptionCombos",
                lookup="option_combos",
                owner=False,
                prefetch=_fetch(
                    "option_combos", lambda s: CategoryOptionCombo.objects.order_by("sort_order")
                ),
            ),
        },
    )
)

register(
    ObjectType(
        "categoryOptionCombos",
        {
            **_identifiable(timestamps=False),
            "categoryCombo": Prop(
                lambda o, c: o.combo,
                kind="ref",
                target="categoryCombos",
                lookup="combo",
                prefetch=_fetch("combo"),
            ),
            "categoryOptions": Prop(
                lambda o, c: o.options.all(),
                kind="list",
                target="categoryOptions",
                lookup="options",
                prefetch=_fetch("options"),
            ),
            "ignoreApproval": Prop(lambda o, c: False, owner=False),
        },
    )
)

register(
    ObjectType(
        "options",
        {
            "id": _attr("uid"),
            "code": _attr("code"),
            "name": _attr("name"),
            "displayName": Prop(lambda o, c: o.name, lookup="name", owner=False),
            "sortOrder": _attr("sort_order"),
        },
    )
)

register(
    ObjectType(
        "optionSets",
        {
            **_identifiable(),
            "valueType": _attr("value_type"),
            "options": Prop(
                lambda o, c: o.options.all(),
                kind="list",
                target="options",
                lookup="options",
                prefetch=_fetch("options", lambda s: Option.objects.order_by("sort_order")),
            ),
        },
    )
)

register(
    ObjectType(
        "dataElements",
        {
            **_identifiable(),
            **_short_name(),
            "formName": _attr("form_name"),
            "description": _attr("description"),
            "valueType": _attr("value_type"),
            "aggregationType": _attr("aggregation_type"),
            "domainType": Prop(lambda o, c: "AGGREGATE"),
            "zeroIsSignificant": _attr("zero_is_significant"),
            "categoryCombo": Prop(
                lambda o, c: o.category_combo,
                kind="ref",
                target="categoryCombos",
                lookup="category_combo",
                prefetch=_fetch("category_combo"),
            ),
            "optionSet": Prop(
                lambda o, c: o.option_set,
                kind="ref",
                target="optionSets",
                lookup="option_set",
                prefetch=_fetch("option_set"),
            ),
            "dataSets": Prop(
                lambda o, c: o.dataset_set.all(),
                kind="list",
                target="dataSets",
                lookup="dataset",
                owner=False,
                prefetch=_fetch("dataset_set", _visible_data_sets),
            ),
        },
    )
)

register(
    ObjectType(
        "dataSetElements",
        {
            "dataElement": Prop(
                lambda o, c: o.data_element,
                kind="ref",
                target="dataElements",
                lookup="data_element",
                prefetch=_fetch("data_element"),
            ),
            "dataSet": Prop(
                lambda o, c: o.data_set,
                kind="ref",
                target="dataSets",
                lookup="data_set",
                prefetch=_fetch("data_set"),
            ),
            "categoryCombo": Prop(
                lambda o, c: o.category_combo,
                kind="ref",
                target="categoryCombos",
                lookup="category_combo",
                prefetch=_fetch("category_combo"),
            ),
        },
        default_fields="dataElement",
    )
)

register(
    ObjectType(
        "sections",
        {
            "id": _attr("uid"),
            "name": _attr("name"),
            "displayName": Prop(lambda o, c: o.name, lookup="name", owner=False),
            "description": _attr("description"),
            "sortOrder": _attr("sort_order"),
            "dataElements": Prop(
                lambda o, c: [m.data_element for m in o.members.all()],
                kind="list",
                target="dataElements",
                lookup="data_elements",
                prefetch=_fetch(
                    "members",
                    lambda s: SectionElement.objects.select_related("data_element").order_by(
                        "sort_order"
                    ),
                ),
                via="members__data_element",
            ),
        },
    )
)

register(
    ObjectType(
        "dataSets",
        {
            **_identifiable(),
            **_short_name(),
            "description": _attr("description"),
            "periodType": _attr("period_type"),
            "timelyDays": _attr("timely_days"),
            "expiryDays": _attr("expiry_days"),
            "openFuturePeriods": _attr("open_future_periods"),
            "categoryCombo": Prop(
                lambda o, c: o.category_combo,
                kind="ref",
                target="categoryCombos",
                lookup="category_combo",
                prefetch=_fetch("category_combo"),
            ),
            "dataSetElements": Prop(
                lambda o, c: o.members.all(),
                kind="list",
                target="dataSetElements",
                lookup="members",
                prefetch=_fetch("members", lambda s: DataSetElement.objects.order_by("pk")),
            ),
            "organisationUnits": Prop(
                lambda o, c: o.units.all(),
                kind="list",
                target="organisationUnits",
                lookup="units",
                prefetch=_fetch("units", _scoped_units),
            ),
            "sections": Prop(
                lambda o, c: o.sections.all(),
                kind="list",
                target="sections",
                lookup="sections",
                owner=False,
                prefetch=_fetch("sections", lambda s: Section.objects.order_by("sort_order")),
            ),
        },
    )
)

register(
    ObjectType(
        "indicators",
        {
            **_identifiable(),
            **_short_name(),
            "description": _attr("description"),
            "numerator": _attr("numerator"),
            "numeratorDescription": _attr("numerator_description"),
            "denominator": _attr("denominator"),
            "denominatorDescription": _attr("denominator_description"),
            "decimals": _attr("decimals"),
            "annualized": Prop(lambda o, c: False),
            # DHIS2 keeps the factor on a separate indicator type; ours is on the indicator.
            "indicatorType": Prop(
                lambda o, c: {"factor": o.factor, "number": o.factor == 1}, lookup=None
            ),
        },
    )
)


def _side(expression: str, strategy: str) -> dict[str, str]:
    return {"expression": expression, "missingValueStrategy": strategy}


register(
    ObjectType(
        "validationRules",
        {
            **_identifiable(),
            "description": _attr("description"),
            "instruction": _attr("instruction"),
            "importance": _attr("importance"),
            "periodType": _attr("period_type"),
            "operator": _attr("operator"),
            "leftSide": Prop(lambda o, c: _side(o.left, o.left_missing), lookup=None),
            "rightSide": Prop(lambda o, c: _side(o.right, o.right_missing), lookup=None),
        },
    )
)


def user_uid(user_id: int) -> str:
    """Users have no uid column; this one is stable, reversible and shaped like a DHIS2 uid."""
    return f"u{user_id:010d}"


def _user_pk(uid: str) -> int:
    if not uid.startswith("u") or not uid[1:].isdigit():
        raise ValueError(uid)
    return int(uid[1:])


def _scoped_assignments(scope: Scope) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(scope_filter(scope, "unit__"))
        .select_related("unit")
        .order_by("unit__path", "role")
    )


def _assigned_units(user: User, ctx: Context) -> list[Unit]:
    seen: dict[int, Unit] = {}
    for assignment in user.assignments.all():
        seen.setdefault(assignment.unit_id, assignment.unit)
    return list(seen.values())


def _roles(user: User, ctx: Context) -> list[dict[str, str]]:
    roles = sorted({a.role for a in user.assignments.all()})
    return [{"id": role, "name": str(Role(role).label)} for role in roles]


_USER_PROPS: dict[str, Prop] = {
    "id": Prop(lambda o, c: user_uid(o.pk), lookup="pk", convert=_user_pk),
    "username": _attr("username"),
    "name": Prop(lambda o, c: o.display_name(), lookup="full_name"),
    "displayName": Prop(lambda o, c: o.display_name(), lookup="full_name", owner=False),
    "firstName": _attr("first_name"),
    "surname": _attr("last_name"),
    "email": _attr("email"),
    "disabled": Prop(lambda o, c: not o.is_active, lookup=None),
    "organisationUnits": Prop(
        _assigned_units,
        kind="list",
        target="organisationUnits",
        lookup="assignments__unit",
        prefetch=_fetch("assignments", _scoped_assignments),
        via="assignments__unit",
    ),
    "userRoles": Prop(_roles, owner=False, prefetch=_fetch("assignments", _scoped_assignments)),
}
register(ObjectType("users", _USER_PROPS, default_fields="id,displayName"))


def _authorities(user: User, ctx: Context) -> list[str]:
    found = sorted(f"{domain}:{action}" for domain, action in ctx.scope.permissions)
    return ["ALL", *found] if ctx.scope.is_admin else found


ME = register(
    ObjectType(
        "me",
        {
            **_USER_PROPS,
            # The actor's own view: the top units of the (possibly token-narrowed) scope.
            "organisationUnits": Prop(
                lambda o, c: scope_roots(c.scope),
                kind="list",
                target="organisationUnits",
                lookup=None,
            ),
            "authorities": Prop(_authorities, owner=False),
            "userCredentials": Prop(lambda o, c: {"username": o.username}, owner=False),
        },
        default_fields=(
            "id,username,name,displayName,firstName,surname,email,"
            "organisationUnits[id,name],userRoles,authorities"
        ),
    )
)


# --- Collections ------------------------------------------------------------------------------


def _visible_users(scope: Scope) -> QuerySet[User]:
    """Users with an assignment in the scope and none outside it; a global actor sees all."""
    if scope.is_global:
        return User.objects.all()
    outside = Assignment.objects.exclude(scope_filter(scope, "unit__")).values("user_id")
    inside = Assignment.objects.filter(scope_filter(scope, "unit__")).values("user_id")
    return User.objects.filter(pk__in=inside).exclude(pk__in=outside)


def _organisation_units(request: HttpRequest, scope: Scope) -> QuerySet[Unit]:
    units = units_in_scope(scope)
    level = request.GET.get("level")
    if level:
        if not level.isdigit():
            raise ValidationFailed(_("level must be a whole number."))
        units = units.filter(depth=int(level))
    if request.GET.get("userOnly", "").lower() == "true":
        units = units.filter(pk__in=[u.pk for u in scope_roots(scope)])
    return units


@dataclass(frozen=True)
class Collection:
    type_name: str
    queryset: Callable[[HttpRequest, Scope], QuerySet[Any]]
    label: str  # for the OpenAPI summaries
    detail: bool = True

    @property
    def object_type(self) -> ObjectType:
        return REGISTRY[self.type_name]


def _all(model: Any) -> Callable[[HttpRequest, Scope], QuerySet[Any]]:
    return lambda request, scope: model.objects.all()


COLLECTIONS = [
    Collection("organisationUnits", _organisation_units, "organisation units"),
    Collection("organisationUnitGroups", _all(UnitGroup), "organisation unit groups"),
    Collection("organisationUnitLevels", _all(Level), "organisation unit levels", detail=False),
    Collection("dataElements", _all(DataElement), "data elements"),
    Collection("dataSets", lambda r, s: _visible_data_sets(s), "data sets (report forms)"),
    Collection("categoryOptions", _all(CategoryOption), "category options"),
    Collection("categories", _all(Category), "categories"),
    Collection("categoryCombos", _all(CategoryCombo), "category combinations"),
    Collection("categoryOptionCombos", _all(CategoryOptionCombo), "category option combinations"),
    Collection("optionSets", _all(OptionSet), "option sets"),
    Collection("indicators", _all(Indicator), "indicators"),
    Collection("validationRules", _all(ValidationRule), "validation rules"),
    Collection("users", lambda r, s: _visible_users(s), "users"),
]


# --- Request handling ----------------------------------------------------------------------------


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied(_("You are not allowed to read metadata."))
    return scope


def _positive_int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationFailed(
            _("%(name)s must be a whole number of at least 1; got '%(value)s'.")
            % {"name": name, "value": raw}
        )
    return int(raw)


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.build_absolute_uri(request.path)}?{query.urlencode()}"


def _load(queryset: QuerySet[Any], selection: Selection, scope: Scope) -> QuerySet[Any]:
    return queryset.prefetch_related(*prefetches(selection, scope))


def list_objects(
    request: HttpRequest, collection: Collection, *, csv: bool = False
) -> dict[str, Any]:
    """One page of a collection in DHIS2's shape: `{"pager": {...}, "<type>": [...]}`. For CSV,
    without `paging`, `page` or `pageSize`, the whole collection (no pager)."""
    scope = _scope(request)
    object_type = collection.object_type
    selection = selection_for(object_type, request.GET.get("fields"))
    queryset = collection.queryset(request, scope)
    queryset = filter_queryset(
        queryset,
        object_type,
        request.GET.getlist("filter"),
        request.GET.get("rootJunction", "AND"),
    )
    queryset = order_queryset(queryset, object_type, request.GET.getlist("order"))
    paged_by_default = not csv or any(k in request.GET for k in ("page", "pageSize"))
    paging = request.GET.get("paging", "true" if paged_by_default else "false").lower()
    if paging not in ("true", "false"):
        raise ValidationFailed(_("paging must be true or false."))
    ctx = Context(scope)
    if paging == "false":
        return {object_type.name: project_all(_load(queryset, selection, scope), selection, ctx)}
    page = _positive_int(request, "page", 1)
    page_size = min(_positive_int(request, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    total = queryset.count()
    page_count = max(1, -(-total // page_size))
    rows = _load(queryset[(page - 1) * page_size : page * page_size], selection, scope)
    pager: dict[str, Any] = {
        "page": page,
        "pageCount": page_count,
        "total": total,
        "pageSize": page_size,
    }
    if page < page_count:
        pager["nextPage"] = _page_url(request, page + 1)
    if page > 1:
        pager["prevPage"] = _page_url(request, min(page - 1, page_count))
    return {"pager": pager, object_type.name: project_all(rows, selection, ctx)}


def get_object(request: HttpRequest, collection: Collection, uid: str) -> dict[str, Any]:
    """One object by uid (or code), with every property unless `fields=` says otherwise."""
    scope = _scope(request)
    uid = uid.removesuffix(".json")
    object_type = collection.object_type
    selection = selection_for(object_type, request.GET.get("fields"), default="*")
    id_prop = object_type.props["id"]
    try:
        key = Q(**{str(id_prop.lookup): id_prop.convert(uid) if id_prop.convert else uid})
    except ValueError:
        key = Q(pk__in=[])
    if "code" in object_type.props:
        key |= Q(code=uid)
    queryset = collection.queryset(request, scope).filter(key)
    found = _load(queryset, selection, scope).first()
    if found is None:
        raise NotFound(_("Object not found: %(uid)s") % {"uid": uid})
    return project(found, selection, Context(scope))


_LIST_PARAMETERS = [
    {
        "name": "fields",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "DHIS2 field selection, e.g. id,name,parent[id,name], *, :owner, !field",
    },
    {
        "name": "filter",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
        "description": "property:operator:value (eq, !eq, like, ilike, in, null, gt, ge, lt, le…)",
    },
    {
        "name": "rootJunction",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["AND", "OR"]},
    },
    {
        "name": "order",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "property:asc|desc|iasc|idesc, comma-separated",
    },
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "pageSize",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    },
    {
        "name": "paging",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
]
_UNIT_PARAMETERS = [
    {
        "name": "level",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "userOnly",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
]
_DETAIL_PARAMETERS = [_LIST_PARAMETERS[0]]


_XML = f"{render.XML_MEDIA_TYPE}; charset=utf-8"
_CSV = f"{render.CSV_MEDIA_TYPE}; charset=utf-8"

# Metadata handlers check VIEW themselves (`_scope`) and limit what they show to the scope.
_READ_METADATA = AccessRule("action", Action.VIEW)


def _list_doc(name: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    page = {
        "type": "object",
        "required": [name],
        "properties": {"pager": doc.PAGER, name: {"type": "array", "items": doc.OBJECT}},
    }
    return doc.responses(
        doc.ok_json(page),
        parameters=parameters,
        description=(
            f"Also at /api/{name}.json, /api/{name}.xml (DXF2) and /api/{name}.csv "
            "(whole list unless page or pageSize is given)."
        ),
    )


def _register(collection: Collection) -> None:
    name = collection.type_name
    parameters = _LIST_PARAMETERS + (_UNIT_PARAMETERS if name == "organisationUnits" else [])

    @declare(_READ_METADATA)
    def list_view(request: HttpRequest) -> dict[str, Any]:
        return list_objects(request, collection)

    for suffix in ("", ".json"):
        router.get(
            f"/{name}{suffix}",
            summary=f"List {collection.label}",
            operation_id=f"list_{name}{'_json' if suffix else ''}",
            openapi_extra=_list_doc(name, parameters),
            include_in_schema=not suffix,
        )(list_view)

    @declare(_READ_METADATA)
    def list_xml(request: HttpRequest) -> HttpResponse:
        page = list_objects(request, collection)
        return HttpResponse(render.xml_list(name, page), content_type=_XML)

    @declare(_READ_METADATA)
    def list_csv(request: HttpRequest) -> HttpResponse:
        # A CSV has no room for a pager: the whole list unless the caller asks for a page.
        page = list_objects(request, collection, csv=True)
        response = HttpResponse(render.csv_rows(page[name]), content_type=_CSV)
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    router.get(f"/{name}.xml", operation_id=f"list_{name}_xml", include_in_schema=False)(list_xml)
    router.get(f"/{name}.csv", operation_id=f"list_{name}_csv", include_in_schema=False)(list_csv)

    if collection.detail:

        @declare(_READ_METADATA)
        def detail_view(request: HttpRequest, uid: str) -> Any:
            for suffix, media_type in ((".xml", _XML), (".csv", _CSV)):
                if uid.endswith(suffix):
                    obj = get_object(request, collection, uid.removesuffix(suffix))
                    if suffix == ".xml":
                        body = render.xml_object(name, obj)
                    else:
                        body = render.csv_rows([obj])
                    return HttpResponse(body, content_type=media_type)
            return get_object(request, collection, uid)

        router.get(
            f"/{name}/{{uid}}",
            summary=f"One of the {collection.label}, by uid (also .json, .xml, .csv)",
            operation_id=f"get_{name}",
            openapi_extra=doc.responses(
                {
                    200: {
                        "description": "OK",
                        "content": {
                            doc.JSON: {"schema": doc.OBJECT},
                            _XML: {"schema": doc.TEXT},
                            _CSV: {"schema": doc.TEXT},
                        },
                    }
                },
                parameters=_DETAIL_PARAMETERS,
            ),
        )(detail_view)


# --- Fixed endpoints ---------------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("haucan")
    except metadata.PackageNotFoundError:
        return "0"


def _system_info(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": _version(),
        "revision": "",
        "serverDate": _timestamp(timezone.now()),
        "serverTimeZoneId": settings.TIME_ZONE,
        "contextPath": request.build_absolute_uri("/").rstrip("/"),
        "systemName": "Hậu Cần Số",
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
    }


_SYSTEM_INFO_DOC = doc.responses(
    doc.ok_json(
        {
            "type": "object",
            "required": ["version", "serverDate", "systemName"],
            "properties": {
                "version": {"type": "string"},
                "serverDate": {"type": "string"},
                "systemName": {"type": "string"},
            },
        }
    ),
    errors=(401,),
)


@router.get(
    "/system/info",
    summary="System information (DHIS2 shape; also .json)",
    operation_id="system_info",
    openapi_extra=_SYSTEM_INFO_DOC,
)
@declare(AccessRule("login"))
def system_info(request: HttpRequest) -> dict[str, Any]:
    return _system_info(request)


@router.get("/system/info.json", operation_id="system_info_json", include_in_schema=False)
@declare(AccessRule("login"))
def system_info_json(request: HttpRequest) -> dict[str, Any]:
    return _system_info(request)


def _me(request: HttpRequest) -> dict[str, Any]:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    if scope.user_id is None:
        raise NotFound(_("User not found."))
    user = (
        User.objects.filter(pk=scope.user_id)
        .prefetch_related(Prefetch("assignments", queryset=_scoped_assignments(scope)))
        .first()
    )
    if user is None:
        raise NotFound(_("User not found."))
    selection = selection_for(ME, request.GET.get("fields"))
    return project(user, selection, Context(scope))


_ME_DOC = doc.responses(
    doc.ok_json(doc.OBJECT), errors=(400, 401, 404), parameters=_DETAIL_PARAMETERS
)


@router.get(
    "/me",
    summary="The signed-in user, their units and authorities (also .json)",
    operation_id="me",
    openapi_extra=_ME_DOC,
)
@declare(AccessRule("login"))
def me(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@router.get("/me.json", operation_id="me_json", include_in_schema=False)
@declare(AccessRule("login"))
def me_json(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


for _collection in COLLECTIONS:
    _register(_collection)
