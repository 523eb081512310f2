"""The DHIS2 object types of the metadata API: each type is a dict of DHIS2 property -> `Prop`
(how to read it, its lookup for `filter=`/`order=`, what to prefetch), registered once in
`haucan.exchange.fields.REGISTRY`. `metadata_api` serves them all with one list/detail handler.

Scope is applied here where a property leads to units (a parent outside the scope is null, a
group lists only the units in scope) and in `metadata_api` for the collections themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from haucan.accounts.models import Assignment, Role, User
from haucan.catalog.models import (
    CategoryComboMembership,
    CategoryMembership,
    CategoryOptionCombo,
    DataSet,
    DataSetElement,
    Option,
    Section,
    SectionElement,
)
from haucan.catalog.queries import data_sets_for
from haucan.core.scope import Action, Scope
from haucan.exchange.fields import (
    Context,
    ObjectType,
    Prop,
    register,
)
from haucan.org.models import Unit
from haucan.org.queries import scope_filter, scope_roots, units_in_scope

# --- Value helpers ------------------------------------------------------------------------------


def timestamp(value: datetime | date | None) -> str | None:
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
        props["created"] = Prop(lambda o, c: timestamp(o.created_at), lookup="created_at")
        props["lastUpdated"] = Prop(lambda o, c: timestamp(o.updated_at), lookup="updated_at")
    return props


def _short_name() -> dict[str, Prop]:
    return {
        "shortName": Prop(lambda o, c: o.short_name or o.name, lookup="short_name"),
        "displayShortName": Prop(
            lambda o, c: o.short_name or o.name, lookup="short_name", owner=False
        ),
    }


def visible_data_sets(scope: Scope) -> QuerySet[DataSet]:
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
            "openingDate": Prop(lambda o, c: timestamp(o.opened_on), lookup="opened_on"),
            "closedDate": Prop(lambda o, c: timestamp(o.closed_on), lookup="closed_on"),
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
            "startDate": Prop(lambda o, c: timestamp(o.start_date), lookup="start_date"),
            "endDate": Prop(lambda o, c: timestamp(o.end_date), lookup="end_date"),
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
                prefetch=_fetch("dataset_set", visible_data_sets),
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


def scoped_assignments(scope: Scope) -> QuerySet[Assignment]:
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
        prefetch=_fetch("assignments", scoped_assignments),
        via="assignments__unit",
    ),
    "userRoles": Prop(_roles, owner=False, prefetch=_fetch("assignments", scoped_assignments)),
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
