"""Every change to the unit tree. Each function checks the scope, validates, and writes atomically.

Reorganisations are effective-dated and may not lie in the future: `Unit.path` is today's tree, and
the history in `UnitLink` is what analytics uses to aggregate by the tree of another date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.ids import validate_identifier
from haucan.core.scope import Action, Scope
from haucan.core.text import fold
from haucan.org.models import (
    LinkReason,
    SuccessionKind,
    Unit,
    UnitGroup,
    UnitKind,
    UnitLink,
    UnitSuccession,
)


@dataclass(frozen=True)
class UnitSpec:
    """What is needed to open a unit."""

    name: str
    code: str
    kind: str = UnitKind.COMMAND
    identifier: str | None = None
    short_name: str = ""


def _require_admin(scope: Scope, unit: Unit | None) -> None:
    if not scope.can(Action.ADMINISTER):
        raise PermissionDenied(_("You are not allowed to change the unit tree."))
    if unit is not None and not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))


def _today() -> date:
    return timezone.localdate()


def _check_not_future(day: date) -> None:
    if day > _today():
        raise ValidationFailed(
            _("The effective date %(day)s is in the future; reorganise on or before today.")
            % {"day": day.strftime("%d/%m/%Y")},
            field="effective_on",
        )


def _validated_spec(spec: UnitSpec) -> UnitSpec:
    name = " ".join(spec.name.split())
    if not name:
        raise ValidationFailed(_("The unit needs a name."), field="name")
    code = spec.code.strip()
    if not code or len(code) > 50:
        raise ValidationFailed(_("The unit code must have 1 to 50 characters."), field="code")
    if spec.kind not in UnitKind.values:
        raise ValidationFailed(_("Unknown unit kind '%(kind)s'.") % {"kind": spec.kind})
    identifier = validate_identifier(spec.identifier) if spec.identifier else None
    return UnitSpec(name, code, spec.kind, identifier, spec.short_name.strip())


def _insert_unit(spec: UnitSpec, parent: Unit | None, opened_on: date, reason: str) -> Unit:
    spec = _validated_spec(spec)
    unit = Unit(
        code=spec.code,
        name=spec.name,
        short_name=spec.short_name,
        search_name=fold(f"{spec.name} {spec.short_name} {spec.code}"),
        identifier=spec.identifier,
        kind=spec.kind,
        parent=parent,
        opened_on=opened_on,
        depth=(parent.depth + 1) if parent else 1,
    )
    unit.path = f"{parent.path if parent else '/'}{unit.uid}/"
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise ValidationFailed(
            _("A unit with code '%(code)s' or identifier '%(identifier)s' already exists.")
            % {"code": spec.code, "identifier": spec.identifier or ""},
            field="code",
        ) from None
    UnitLink.objects.create(unit=unit, parent=parent, valid_from=opened_on, reason=reason)
    return unit


@transaction.atomic
def create_unit(
    scope: Scope, *, spec: UnitSpec, parent: Unit | None, opened_on: date | None = None
) -> Unit:
    """Open a unit under `parent` (None makes a root, which only a global admin may do)."""
    opened_on = opened_on or _today()
    if parent is None:
        if not (scope.is_global and scope.can(Action.ADMINISTER)):
            raise PermissionDenied(_("Only an administrator of the whole army can add a root."))
    else:
        _require_admin(scope, parent)
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
        if parent.closed_on is not None:
            raise ValidationFailed(_("The parent unit %(name)s is closed.") % {"name": parent.name})
        if opened_on < parent.opened_on:
            raise ValidationFailed(
                _("The unit cannot open before its parent opened (%(day)s).")
                % {"day": parent.opened_on.strftime("%d/%m/%Y")},
                field="opened_on",
            )
    unit = _insert_unit(spec, parent, opened_on, LinkReason.OPENED)
    audit.record(
        scope, "org.unit.create", unit, {"code": unit.code, "parent": parent and parent.uid}
    )
    return unit


@transaction.atomic
def update_unit(
    scope: Scope,
    unit: Unit,
    *,
    name: str | None = None,
    short_name: str | None = None,
    identifier: str | None = None,
    kind: str | None = None,
) -> Unit:
    """Rename or re-identify a unit (its place in the tree is changed by `move_unit`)."""
    _require_admin(scope, unit)
    spec = _validated_spec(
        UnitSpec(
            name=name if name is not None else unit.name,
            code=unit.code,
            kind=kind or unit.kind,
            identifier=identifier if identifier is not None else unit.identifier,
            short_name=short_name if short_name is not None else unit.short_name,
        )
    )
    before = {"name": unit.name, "identifier": unit.identifier, "kind": unit.kind}
    unit.name, unit.short_name, unit.kind = spec.name, spec.short_name, spec.kind
    unit.identifier = spec.identifier
    unit.search_name = fold(f"{spec.name} {spec.short_name} {spec.code}")
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise ValidationFailed(
            _("Another unit already has the identifier '%(identifier)s'.")
            % {"identifier": spec.identifier},
            field="identifier",
        ) from None
    audit.record(scope, "org.unit.update", unit, {"before": before})
    return unit


def _current_link(unit: Unit) -> UnitLink:
    link = UnitLink.objects.filter(unit=unit, valid_to__isnull=True).first()
    if link is None:  # pragma: no cover - every open unit has one, by construction
        raise ValidationFailed(_("The unit %(name)s has no current link.") % {"name": unit.name})
    return link


def _relink(
    unit: Unit, new_parent: Unit | None, effective_on: date, reason: str, note: str
) -> None:
    """End the unit's current link at `effective_on`, start a new one, and rewrite the subtree."""
    link = _current_link(unit)
    if effective_on <= link.valid_from:
        raise ValidationFailed(
            _(
                "%(name)s has been under its current parent since %(day)s; "
                "a change must be dated after that, or the periods would overlap."
            )
            % {"name": unit.name, "day": link.valid_from.strftime("%d/%m/%Y")},
            field="effective_on",
        )
    link.valid_to = effective_on
    link.save(update_fields=["valid_to"])
    UnitLink.objects.create(
        unit=unit, parent=new_parent, valid_from=effective_on, reason=reason, note=note[:500]
    )
    old_prefix = unit.path
    new_prefix = f"{new_parent.path if new_parent else '/'}{unit.uid}/"
    depth_shift = ((new_parent.depth + 1) if new_parent else 1) - unit.depth
    # One UPDATE rewrites the whole subtree's paths and depths, on SQLite and PostgreSQL alike.
    Unit.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + depth_shift,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()


def _check_move(unit: Unit, new_parent: Unit, effective_on: date) -> None:
    if unit.closed_on is not None:
        raise ValidationFailed(
            _("%(name)s was closed on %(day)s; a closed unit cannot be moved.")
            % {"name": unit.name, "day": unit.closed_on.strftime("%d/%m/%Y")}
        )
    if new_parent.closed_on is not None:
        raise ValidationFailed(
            _("The new parent %(name)s is closed.") % {"name": new_parent.name}, field="parent"
        )
    if new_parent.path.startswith(unit.path):
        raise ValidationFailed(
            _("%(unit)s cannot be moved under %(parent)s, which lies inside it.")
            % {"unit": unit.name, "parent": new_parent.name},
            field="parent",
        )
    if new_parent.opened_on > effective_on:
        raise ValidationFailed(
            _("The new parent %(name)s opens only on %(day)s.")
            % {"name": new_parent.name, "day": new_parent.opened_on.strftime("%d/%m/%Y")},
            field="effective_on",
        )


@transaction.atomic
def move_unit(
    scope: Scope, unit: Unit, new_parent: Unit, *, effective_on: date, note: str = ""
) -> Unit:
    """Put `unit` (and its subtree) under `new_parent` from `effective_on`; history is kept."""
    _require_admin(scope, unit)
    _require_admin(scope, new_parent)
    _check_not_future(effective_on)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.select_for_update().get(pk=new_parent.pk)
    _check_move(unit, new_parent, effective_on)
    if unit.parent_id == new_parent.pk:
        raise ValidationFailed(
            _("%(unit)s is already under %(parent)s.")
            % {"unit": unit.name, "parent": new_parent.name}
        )
    old_parent = unit.parent.uid if unit.parent else None
    _relink(unit, new_parent, effective_on, LinkReason.MOVED, note)
    audit.record(
        scope,
        "org.unit.move",
        unit,
        {"from": old_parent, "to": new_parent.uid, "effective_on": effective_on.isoformat()},
    )
    return unit


def _close(unit: Unit, closed_on: date) -> None:
    if unit.closed_on is not None:
        raise ValidationFailed(_("%(name)s is already closed.") % {"name": unit.name})
    if closed_on <= unit.opened_on:
        raise ValidationFailed(
            _("%(name)s cannot close before it opened.") % {"name": unit.name}, field="closed_on"
        )
    if Unit.objects.filter(parent=unit, closed_on__isnull=True).exists():
        raise ValidationFailed(
            _("%(name)s still has open units under it; move or close them first.")
            % {"name": unit.name}
        )
    link = _current_link(unit)
    if closed_on <= link.valid_from:
        raise ValidationFailed(
            _("%(name)s cannot close before its last change on %(day)s.")
            % {"name": unit.name, "day": link.valid_from.strftime("%d/%m/%Y")},
            field="closed_on",
        )
    link.valid_to = closed_on
    link.save(update_fields=["valid_to"])
    unit.closed_on = closed_on
    unit.save(update_fields=["closed_on", "updated_at"])


@transaction.atomic
def close_unit(scope: Scope, unit: Unit, *, closed_on: date) -> Unit:
    """Close a unit that has no open units below it. Its data and history stay."""
    _require_admin(scope, unit)
    _check_not_future(closed_on)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _close(unit, closed_on)
    audit.record(scope, "org.unit.close", unit, {"closed_on": closed_on.isoformat()})
    return unit


@transaction.atomic
def merge_units(
    scope: Scope, sources: Sequence[Unit], target: Unit, *, effective_on: date, note: str = ""
) -> Unit:
    """Merge `sources` into `target`: their children move to it, and they close."""
    _require_admin(scope, target)
    _check_not_future(effective_on)
    if not sources:
        raise ValidationFailed(_("Choose at least one unit to merge."))
    target = Unit.objects.select_for_update().get(pk=target.pk)
    for source in sources:
        _require_admin(scope, source)
        source = Unit.objects.select_for_update().get(pk=source.pk)
        if source.pk == target.pk or target.path.startswith(source.path):
            raise ValidationFailed(
                _("%(unit)s cannot be merged into %(target)s, which is itself or lies inside it.")
                % {"unit": source.name, "target": target.name}
            )
        for child in Unit.objects.filter(parent=source, closed_on__isnull=True):
            _check_move(child, target, effective_on)
            _relink(child, target, effective_on, LinkReason.MERGED, note)
        source.refresh_from_db()
        _close(source, effective_on)
        UnitSuccession.objects.create(
            predecessor=source,
            successor=target,
            kind=SuccessionKind.MERGE,
            effective_on=effective_on,
        )
        audit.record(
            scope, "org.unit.merge", source, {"into": target.uid, "effective_on": str(effective_on)}
        )
    return target


@transaction.atomic
def split_unit(
    scope: Scope,
    unit: Unit,
    *,
    into: Sequence[UnitSpec],
    children: dict[str, int] | None = None,
    effective_on: date,
    note: str = "",
) -> list[Unit]:
    """Split `unit` into new sibling units. `children` maps a child's uid to the index in `into`
    of the new unit that takes it; the old unit closes once its children have moved."""
    _require_admin(scope, unit)
    _check_not_future(effective_on)
    if len(into) < 2:
        raise ValidationFailed(_("A split needs at least two new units."))
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.closed_on is not None:
        raise ValidationFailed(_("%(name)s is already closed.") % {"name": unit.name})
    parent = unit.parent
    created = [_insert_unit(spec, parent, effective_on, LinkReason.SPLIT) for spec in into]
    assignment = children or {}
    open_children = list(Unit.objects.filter(parent=unit, closed_on__isnull=True))
    for child in open_children:
        index = assignment.get(child.uid)
        if index is None or not 0 <= index < len(created):
            raise ValidationFailed(
                _("Say which new unit takes %(name)s.") % {"name": child.name}, field="children"
            )
        _check_move(child, created[index], effective_on)
        _relink(child, created[index], effective_on, LinkReason.SPLIT, note)
    unit.refresh_from_db()
    _close(unit, effective_on)
    for successor in created:
        UnitSuccession.objects.create(
            predecessor=unit,
            successor=successor,
            kind=SuccessionKind.SPLIT,
            effective_on=effective_on,
        )
    audit.record(
        scope, "org.unit.split", unit, {"into": [u.uid for u in created], "on": str(effective_on)}
    )
    return created


@transaction.atomic
def set_group_members(scope: Scope, group: UnitGroup, units: Sequence[Unit]) -> UnitGroup:
    """Replace the members of a unit group (admins only), checking group-set exclusivity."""
    _require_admin(scope, None)
    for unit in units:
        if not scope.covers_path(unit.path):
            raise NotFound(_("Unit not found."))
    for group_set in group.group_sets.all():
        others = UnitGroup.objects.filter(group_sets=group_set).exclude(pk=group.pk)
        clash = Unit.objects.filter(groups__in=others, pk__in=[u.pk for u in units]).first()
        if clash is not None:
            raise ValidationFailed(
                _("%(unit)s is already in another group of the set %(set)s.")
                % {"unit": clash.name, "set": group_set.name}
            )
    group.units.set(units)
    audit.record(scope, "org.group.members", group, {"count": len(units)})
    return group
