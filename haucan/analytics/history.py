"""Aggregate by the tree as it was: decompose a unit's past subtree into rollup-ready pieces.

Rollups follow today's tree. On a date D, only units whose parent changed since D ("moved",
including units that did not exist on D) make the past tree differ, and only the ancestors of
those units, today or on D, have a different set of descendants ("unstable"). A target's past
subtree is therefore its stable pieces, each read from its rollup plus its own values, and its
unstable units, each contributing only its own values. Reorganisations are rare, so the pieces
are few and the query stays a rollup lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from haucan.org.models import Unit, UnitLink


@dataclass(frozen=True)
class Component:
    unit_id: int
    with_descendants: bool  # True: rollup + own values; False: own values only


class TreeHistory:
    """Parent links that differ from today's, loaded once per query."""

    def __init__(self, earliest: date) -> None:
        # Units with a closed link, a reorganisation, or opened after the earliest day asked for.
        changed = set(
            UnitLink.objects.filter(
                Q(valid_to__isnull=False) | ~Q(reason="opened") | Q(valid_from__gt=earliest)
            ).values_list("unit_id", flat=True)
        )
        self.links: dict[int, list[tuple[date, date | None, int | None]]] = {}
        for unit_id, start, end, parent in UnitLink.objects.filter(unit_id__in=changed).values_list(
            "unit_id", "valid_from", "valid_to", "parent_id"
        ):
            self.links.setdefault(unit_id, []).append((start, end, parent))
        self.current_parent: dict[int, int | None] = dict(
            Unit.objects.filter(pk__in=changed).values_list("pk", "parent_id")
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.links)

    def _parent_at(self, unit_id: int, day: date) -> tuple[bool, int | None]:
        """(existed on day, parent on day) for a unit with history."""
        for start, end, parent in self.links[unit_id]:
            if start <= day and (end is None or day < end):
                return True, parent
        return False, None

    def moved(self, day: date) -> dict[int, tuple[bool, int | None]]:
        """Units whose parent on `day` is not today's parent: unit -> (existed, parent then)."""
        result = {}
        for unit_id in self.links:
            existed, parent = self._parent_at(unit_id, day)
            if not existed or parent != self.current_parent.get(unit_id):
                result[unit_id] = (existed, parent)
        return result


def _ancestor_ids(unit_ids: set[int]) -> dict[int, list[int]]:
    """Today's strict ancestors (root first) of each unit, from the materialised paths."""
    rows = list(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    uids = {uid for _pk, path in rows for uid in path.strip("/").split("/")}
    ids = dict(Unit.objects.filter(uid__in=uids).values_list("uid", "pk"))
    return {pk: [ids[uid] for uid in path.strip("/").split("/")[:-1]] for pk, path in rows}


def components(history: TreeHistory, targets: list[int], day: date) -> dict[int, list[Component]]:
    """For each target unit, the pieces of its subtree as it was on `day`."""
    moved = history.moved(day)
    if not moved:
        return {t: [Component(t, True)] for t in targets}
    unstable: set[int] = set()
    chains = _ancestor_ids(set(moved) | {p for _e, p in moved.values() if p is not None})
    for unit_id, (existed, _parent) in moved.items():
        unstable.update(chains.get(unit_id, []))
        walker = moved[unit_id][1] if existed else None
        steps = 0
        # Walk up the past tree: today's chain of the past parent, jumping at moved ancestors.
        while walker is not None and steps < 64:
            steps += 1
            unstable.add(walker)
            if walker in moved:
                walker = moved[walker][1] if moved[walker][0] else None
                continue
            if walker not in chains:
                chains.update(_ancestor_ids({walker}))
            chain = chains.get(walker, [])
            walker = None
            for ancestor in reversed(chain):
                unstable.add(ancestor)
                if ancestor in moved:
                    walker = moved[ancestor][1] if moved[ancestor][0] else None
                    break
    # Past children of unstable units: today's children, minus those that moved away or did not
    # exist, plus those that were under it on `day`.
    children: dict[int, set[int]] = {u: set() for u in unstable}
    for child, parent in Unit.objects.filter(parent_id__in=unstable).values_list("pk", "parent_id"):
        if child not in moved and parent is not None:
            children[parent].add(child)
    for unit_id, (existed, past) in moved.items():
        if existed and past is not None and past in children:
            children[past].add(unit_id)

    result: dict[int, list[Component]] = {}
    for target in targets:
        if target in moved and not moved[target][0]:
            result[target] = []  # the unit did not exist on that day
            continue
        if target not in unstable:
            result[target] = [Component(target, True)]
            continue
        pieces: list[Component] = []
        stack = [target]
        while stack:
            unit_id = stack.pop()
            if unit_id in unstable:
                pieces.append(Component(unit_id, False))
                stack.extend(children.get(unit_id, ()))
            else:
                pieces.append(Component(unit_id, True))
        result[target] = pieces
    return result


def members_today(unit_ids: list[int]) -> dict[int, set[int]]:
    """Every unit inside each given unit's subtree today (the unit included)."""
    from haucan.analytics.models import UnitAncestor

    result = {u: {u} for u in unit_ids}
    for unit_id, ancestor_id in UnitAncestor.objects.filter(ancestor_id__in=unit_ids).values_list(
        "unit_id", "ancestor_id"
    ):
        result[ancestor_id].add(unit_id)
    return result


def members(pieces: list[Component]) -> set[int]:
    """The units a list of pieces covers."""
    whole = [p.unit_id for p in pieces if p.with_descendants]
    found = {p.unit_id for p in pieces}
    for subtree in members_today(whole).values():
        found |= subtree
    return found
