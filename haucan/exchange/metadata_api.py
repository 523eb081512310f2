"""DHIS2-compatible metadata endpoints: `/api/system/info`, `/api/me`, `/api/users` and the
metadata collections (`/api/organisationUnits`, `/api/dataSets`, …), each also with `.json`.

Every object type is described once in `metadata_types` (a dict of DHIS2 property -> `Prop`), and
one generic list/detail handler here serves them all, so `fields=`, `filter=`, `order=` and paging
(`page`, `pageSize` default 50 and at most 1000, `paging=false`) behave the same everywhere.

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
from importlib import metadata
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from haucan.accounts.models import Assignment, User
from haucan.catalog.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    Indicator,
    OptionSet,
    ValidationRule,
)
from haucan.core.access import AccessRule, declare
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Scope
from haucan.exchange import metadata_render as render
from haucan.exchange import openapi as doc
from haucan.exchange.fields import (
    REGISTRY,
    Context,
    ObjectType,
    Selection,
    prefetches,
    project,
    project_all,
    selection_for,
)
from haucan.exchange.filters import filter_queryset, order_queryset
from haucan.exchange.metadata_types import ME, scoped_assignments, timestamp, visible_data_sets
from haucan.org.models import Level, Unit, UnitGroup
from haucan.org.queries import scope_filter, scope_roots, units_in_scope

router = Router(tags=["metadata"])

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

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
    Collection("dataSets", lambda r, s: visible_data_sets(s), "data sets (report forms)"),
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
        "serverDate": timestamp(timezone.now()),
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
        .prefetch_related(Prefetch("assignments", queryset=scoped_assignments(scope)))
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
