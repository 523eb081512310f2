"""Reads of the unit tree that other apps may call. Every function takes the actor's Scope."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.core.text import fold
from haucan.org.models import Level, Unit, UnitLink


def scope_filter(scope: Scope, prefix: str = "") -> Q:
    """A Q that keeps rows whose unit lies in the scope; `prefix` reaches the unit ("unit__")."""
    if scope.is_global:
        return Q()
    condition = Q(pk__in=[])
    for root in scope.root_paths:
        condition |= Q(**{f"{prefix}path__startswith": root})
    return condition


def units_in_scope(scope: Scope, *, include_closed: bool = True) -> QuerySet[Unit]:
    units = Unit.objects.filter(scope_filter(scope))
    if not include_closed:
        units = units.filter(closed_on__isnull=True)
    return units


def get_unit(scope: Scope, key: str | int) -> Unit:
    """The unit by uid, code or primary key, or NotFound (also when it lies outside the scope)."""
    lookup = Q(uid=key) | Q(code=key)
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        lookup |= Q(pk=int(key))
    unit = units_in_scope(scope).filter(lookup).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def get_units(scope: Scope, keys: Iterable[str]) -> dict[str, Unit]:
    """`get_unit` for several keys in one query: key -> unit, or NotFound if any is missing."""
    wanted = set(keys)
    if not wanted:
        return {}
    pks = {int(k) for k in wanted if k.isdigit()}
    rows = units_in_scope(scope).filter(Q(uid__in=wanted) | Q(code__in=wanted) | Q(pk__in=pks))
    found: dict[str, Unit] = {}
    for unit in rows.order_by("path"):  # the first by path wins, as in get_unit
        for key in (unit.uid, unit.code, str(unit.pk)):
            if key in wanted:
                found.setdefault(key, unit)
    if len(found) < len(wanted):
        raise NotFound(_("Unit not found."))
    return found


def scope_roots(scope: Scope) -> list[Unit]:
    """The top units the actor can see: the assigned subtrees' roots, or the tree's roots."""
    if scope.is_global:
        return list(Unit.objects.filter(parent__isnull=True))
    return list(Unit.objects.filter(path__in=scope.root_paths).order_by("path"))


def children(scope: Scope, unit: Unit, *, include_closed: bool = False) -> list[Unit]:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    rows = Unit.objects.filter(parent=unit)
    if not include_closed:
        rows = rows.filter(closed_on__isnull=True)
    return list(rows.order_by("name"))


def subtree(scope: Scope, unit: Unit) -> QuerySet[Unit]:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    return Unit.objects.filter(path__startswith=unit.path)


def ancestors(unit: Unit) -> list[Unit]:
    """From the root down to the unit's parent, in today's tree (one query)."""
    uids = unit.path_uids()[:-1]
    by_uid = {u.uid: u for u in Unit.objects.filter(uid__in=uids)}
    return [by_uid[uid] for uid in uids if uid in by_uid]


def visible_ancestors(scope: Scope, unit: Unit) -> list[Unit]:
    return [u for u in ancestors(unit) if scope.covers_path(u.path)]


def search_units(scope: Scope, text: str, *, limit: int = 50) -> list[Unit]:
    """Units whose name, short name or code contains every word of `text`, ignoring diacritics."""
    words = fold(text).split()
    if not words:
        return []
    rows = units_in_scope(scope)
    for word in words:
        rows = rows.filter(search_name__contains=word)
    return list(rows.order_by("depth", "name")[:limit])


def level_names() -> dict[int, str]:
    return dict(Level.objects.values_list("depth", "name"))


def unit_history(scope: Scope, unit: Unit) -> list[UnitLink]:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    return list(unit.links.select_related("parent").order_by("valid_from"))


def parents_as_of(day: date) -> dict[int, int | None]:
    """unit id -> parent id for every unit that was open on `day`, from the link history."""
    links = UnitLink.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )
    return dict(links.values_list("unit_id", "parent_id"))


def paths_as_of(day: date) -> dict[int, tuple[int, ...]]:
    """unit id -> ids from the root down to the unit, in the tree as it was on `day`."""
    parents = parents_as_of(day)
    paths: dict[int, tuple[int, ...]] = {}

    def path_of(unit_id: int) -> tuple[int, ...]:
        known = paths.get(unit_id)
        if known is not None:
            return known
        chain = [unit_id]
        parent = parents.get(unit_id)
        while parent is not None and parent not in paths and len(chain) < 64:
            chain.append(parent)
            parent = parents.get(parent)
        base = paths[parent] if parent is not None and parent in paths else ()
        for uid in reversed(chain):
            base = (*base, uid)
            paths[uid] = base
        return paths[unit_id]

    for unit_id in parents:
        path_of(unit_id)
    return paths


def descendants_as_of(scope: Scope, unit: Unit, day: date) -> list[int]:
    """Ids of the units that were inside `unit`'s subtree on `day` (the unit included)."""
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    return [uid for uid, path in paths_as_of(day).items() if unit.pk in path]


def open_child_counts(units: Sequence[Unit]) -> dict[int, int]:
    """unit id -> number of open children, for many units in one query (tree browser toggles)."""
    rows = (
        Unit.objects.filter(parent__in=[u.pk for u in units], closed_on__isnull=True)
        .values("parent_id")
        .annotate(count=Count("id"))
    )
    return {row["parent_id"]: row["count"] for row in rows}


@dataclass(frozen=True)
class TreeRow:
    """One line of a tree drawn depth-first: the unit, its depth from 0, and its parent then."""

    unit: Unit
    depth: int
    parent_id: int | None


def tree_as_of(scope: Scope, day: date) -> list[TreeRow]:
    """The scope's units that were open on `day`, depth-first in the tree as it was that day.

    The scope is today's: a unit is listed when it lies in the actor's subtrees now and existed on
    `day`; it is drawn under the parent it had then (when that parent is listed too).
    """
    parents = parents_as_of(day)
    units = {u.pk: u for u in units_in_scope(scope) if u.pk in parents}
    kids: dict[int | None, list[Unit]] = {}
    for unit_id, unit in units.items():
        parent_id = parents[unit_id]
        kids.setdefault(parent_id if parent_id in units else None, []).append(unit)
    rows: list[TreeRow] = []
    stack = [(u, 0) for u in sorted(kids.get(None, []), key=lambda u: u.name, reverse=True)]
    while stack:
        unit, depth = stack.pop()
        rows.append(TreeRow(unit, depth, parents[unit.pk]))
        below = sorted(kids.get(unit.pk, []), key=lambda u: u.name, reverse=True)
        stack.extend((child, depth + 1) for child in below)
    return rows
