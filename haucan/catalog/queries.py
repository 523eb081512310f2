"""Reads of the catalog that other apps call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from haucan.catalog.models import (
    CategoryCombo,
    CategoryComboMembership,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    Identified,
    Norm,
    NormSet,
    Section,
    SectionElement,
)
from haucan.core.errors import NotFound
from haucan.core.scope import Action, Scope
from haucan.core.text import fold
from haucan.org.queries import scope_filter


def data_sets_for(scope: Scope) -> QuerySet[DataSet]:
    """Forms assigned to at least one unit in the scope."""
    if scope.is_global:
        return DataSet.objects.all()
    return DataSet.objects.filter(
        pk__in=DataSet.units.through.objects.filter(scope_filter(scope, "unit__")).values(
            "dataset_id"
        )
    )


def get_data_set(scope: Scope, key: str) -> DataSet:
    data_set = data_sets_for(scope).filter(Q(uid=key) | Q(code=key)).first()
    if data_set is None and scope.can(Action.DESIGN):
        data_set = DataSet.objects.filter(Q(uid=key) | Q(code=key)).first()
    if data_set is None:
        raise NotFound(_("Report form not found."))
    return data_set


def norm_value(norm_set_code: str, item_code: str, on: date) -> Norm | None:
    """The norm in force for an item on a date, so past reports use the norms of their time."""
    return (
        Norm.objects.filter(norm_set__code=norm_set_code, item_code=item_code, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )


# --- Reads for the catalog pages ------------------------------------------------------------

CatalogObject = TypeVar("CatalogObject", bound=Identified)


def search_catalog(
    queryset: QuerySet[CatalogObject], text: str = "", *, limit: int = 500
) -> list[CatalogObject]:
    """The objects whose name or code contains every word of `text`, ignoring diacritics.

    Catalogs hold hundreds of objects, not millions, so the folding is done in Python: the
    database's LIKE cannot ignore Vietnamese diacritics on SQLite.
    """
    words = fold(text).split()
    rows = list(queryset.order_by("name"))
    if words:
        rows = [o for o in rows if all(w in fold(f"{o.name} {o.code}") for w in words)]
    return rows[:limit]


def get_catalog_object(model: type[CatalogObject], key: str) -> CatalogObject:
    """A catalog object by uid or code (catalog metadata is not tied to units), or NotFound."""
    found = model._default_manager.filter(Q(uid=key) | Q(code=key)).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def data_sets_overview(scope: Scope) -> QuerySet[DataSet]:
    """The forms the actor may see (designers: all), with their element and section counts."""
    rows = DataSet.objects.all() if scope.can_any(Action.DESIGN) else data_sets_for(scope)
    return rows.annotate(
        element_count=Count("members", distinct=True),
        section_count=Count("sections", distinct=True),
    )


def visible_data_set(scope: Scope, key: str) -> DataSet:
    """A form the actor may see: assigned in their scope, or any form for a designer."""
    if scope.can_any(Action.DESIGN):
        return get_catalog_object(DataSet, key)
    return get_data_set(scope, key)


@dataclass(frozen=True)
class FormLayout:
    sections: list[tuple[Section, list[DataElement]]]
    unsectioned: list[DataElement]
    unit_count: int


def data_set_layout(scope: Scope, data_set: DataSet) -> FormLayout:
    """The form's sections with their elements in order, the elements in no section, and how
    many of the actor's units it is assigned to."""
    sections = list(
        data_set.sections.prefetch_related(
            Prefetch("members", queryset=SectionElement.objects.select_related("data_element"))
        )
    )
    placed: set[int] = set()
    layout: list[tuple[Section, list[DataElement]]] = []
    for section in sections:
        elements = [m.data_element for m in section.members.all()]
        placed.update(e.pk for e in elements)
        layout.append((section, elements))
    unsectioned = [
        m.data_element
        for m in data_set.members.select_related("data_element").order_by("data_element__name")
        if m.data_element_id not in placed
    ]
    unit_count = data_set.units.filter(scope_filter(scope)).count()
    return FormLayout(layout, unsectioned, unit_count)


def category_combos() -> QuerySet[CategoryCombo]:
    """Every combination with its categories and generated option combos, prefetched."""
    return CategoryCombo.objects.prefetch_related(
        Prefetch(
            "memberships",
            queryset=CategoryComboMembership.objects.select_related("category").order_by(
                "sort_order"
            ),
        ),
        Prefetch("option_combos", queryset=CategoryOptionCombo.objects.order_by("sort_order")),
    )


def norm_sets() -> QuerySet[NormSet]:
    return NormSet.objects.annotate(norm_count=Count("norms"))


def norms_of(norm_set: NormSet) -> list[Norm]:
    """Every row of a norm set, item by item and oldest first, so supersessions read in order."""
    return list(norm_set.norms.order_by("item_code", "valid_from"))
