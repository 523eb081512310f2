"""`save_values`: the one path by which every value is written (UI, API, import, module sources).

All cells of a call are checked first, then written in one transaction with their audit rows, so a
bad cell leaves the stored form untouched. A cell sent with the version the client saw is refused
as stale when someone else changed it since, and the conflict carries both values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.catalog.models import CategoryOptionCombo, DataSet
from haucan.catalog.services import default_option_combo
from haucan.core import arrivals
from haucan.core.bulk import update_rows
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import Period, PeriodError, PeriodType, parse_period, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.reporting.models import (
    AuditAction,
    CompleteRegistration,
    DataValue,
    DataValueAudit,
    Origin,
    ValueChange,
)
from haucan.reporting.services.approval import approved_at_or_above
from haucan.reporting.services.minmax import OutOfRange, check_limits
from haucan.reporting.structure import FormStructure, load_structure
from haucan.reporting.values import parse_value


@dataclass(frozen=True)
class CellInput:
    data_element: str  # uid or code
    value: str | None  # None or "" deletes the value
    category_option_combo: str | None = None  # uid or code; None = the default combo
    comment: str | None = None  # None keeps the stored comment
    follow_up: bool | None = None
    expected_version: int | None = None  # the version the client saw; 0 = it saw no value


@dataclass(frozen=True)
class CellError:
    index: int
    data_element: str
    category_option_combo: str | None
    message: str


class InvalidCells(ValidationFailed):
    """One or more cells were refused; nothing was written."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__("; ".join(e.message for e in errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class StaleCell:
    index: int
    data_element: str
    category_option_combo: str
    your_value: str | None
    server_value: str | None
    server_version: int
    stored_by: str


class StaleCells(Conflict):
    """A cell changed on the server since the client read it; nothing was written."""

    def __init__(self, stale: list[StaleCell]) -> None:
        super().__init__(
            _("Someone else changed this value after you opened the form.")
            if len(stale) == 1
            else _("%(n)d values were changed by someone else after you opened the form.")
            % {"n": len(stale)}
        )
        self.stale = stale


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    versions: dict[tuple[int, int], int] = field(default_factory=dict)  # (de, coc) -> version
    # The stored row of every cell of the call (written or unchanged), for the caller to echo.
    rows: dict[tuple[int, int], DataValue] = field(default_factory=dict)
    # Soft warnings: values outside their min-max limits (saved all the same).
    out_of_range: list[OutOfRange] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """The form, unit, period and attribute combo that a set of values belongs to."""

    data_set: DataSet
    unit: Unit
    period: Period
    attribute_option_combo: CategoryOptionCombo


def resolve_target(
    scope: Scope,
    data_set: DataSet,
    unit: Unit,
    period_id: str,
    attribute_option_combo: CategoryOptionCombo | None = None,
    *,
    action: Action = Action.ENTER,
) -> Target:
    """Check that the actor may act on this form, unit and period, and return the target."""
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if not scope.can(action, Domain(data_set.domain)):
        raise PermissionDenied(_("You are not allowed to enter data for this form."))
    if not data_set.units.filter(pk=unit.pk).exists():
        raise ValidationFailed(
            _("The form %(form)s is not assigned to %(unit)s.")
            % {"form": data_set.name, "unit": unit.name},
            field="unit",
        )
    try:
        period = parse_period(period_id)
    except PeriodError as exc:
        raise ValidationFailed(str(exc), field="period") from None
    if period.type != PeriodType(data_set.period_type):
        raise ValidationFailed(
            _("The form %(form)s is reported per %(type)s; %(period)s is not such a period.")
            % {
                "form": data_set.name,
                "type": PeriodType(data_set.period_type).label,
                "period": period.id,
            },
            field="period",
        )
    today = timezone.localdate()
    last_open = period_of_today(data_set, today).shift(data_set.open_future_periods)
    if period.start > last_open.start:
        raise ValidationFailed(
            _("The period %(period)s has not started yet.") % {"period": period.display_name()},
            field="period",
        )
    if unit.opened_on > period.end or (unit.closed_on and unit.closed_on <= period.start):
        raise ValidationFailed(
            _("%(unit)s was not open during %(period)s.")
            % {"unit": unit.name, "period": period.display_name()},
            field="period",
        )
    aoc = attribute_option_combo or default_option_combo()
    if aoc.combo_id != data_set.category_combo_id:
        raise ValidationFailed(_("The attribute option combination does not belong to the form."))
    return Target(data_set, unit, period, aoc)


def period_of_today(data_set: DataSet, today: date) -> Period:
    return period_of(today, PeriodType(data_set.period_type))


def lock_date(data_set: DataSet, period: Period) -> date | None:
    """The first day on which entry is locked, or None when the form never locks."""
    if data_set.expiry_days <= 0:
        return None
    return period.end + timedelta(days=data_set.expiry_days + 1)


def is_locked(data_set: DataSet, period: Period, today: date | None = None) -> bool:
    locked_on = lock_date(data_set, period)
    return locked_on is not None and (today or timezone.localdate()) >= locked_on


def check_writable(
    scope: Scope, target: Target, override_reason: str = "", *, from_source: bool = False
) -> None:
    """Refuse writes to a locked period or a submitted form (an admin may override a lock).

    A module source (`from_source`) is the system of record for its values, so a submission does
    not stop it; locks and approvals do."""
    locked_on = lock_date(target.data_set, target.period)
    today = timezone.localdate()
    if (
        locked_on is not None
        and today >= locked_on
        and not (scope.is_admin and override_reason.strip())
    ):
        raise Conflict(
            _(
                "The period %(period)s is locked since %(day)s; "
                "an administrator can override it with a reason."
            )
            % {
                "period": target.period.display_name(),
                "day": locked_on.strftime("%d/%m/%Y"),
            }
        )
    approval = approved_at_or_above(target.data_set, target.period.id, target.unit)
    if approval is not None:
        raise Conflict(
            _("The data was approved at %(unit)s by %(user)s; it is locked.")
            % {"unit": approval.unit.name, "user": approval.approved_by}
        )
    if from_source:
        return
    registration = CompleteRegistration.objects.filter(
        data_set=target.data_set,
        period=target.period.id,
        unit=target.unit,
        attribute_option_combo=target.attribute_option_combo,
        is_complete=True,
    ).exists()
    if registration:
        raise Conflict(_("The report has been submitted; reopen it before changing values."))


def save_values(
    scope: Scope,
    target: Target,
    cells: Sequence[CellInput],
    *,
    origin: str = Origin.UI,
    source: str = "",
    override_reason: str = "",
    structure: FormStructure | None = None,
) -> SaveResult:
    """Validate every cell, then write them all with their audit rows, or nothing at all.

    Two clerks creating the same cell at once collide on the unique key; the loser is retried
    once, and then sees the winner's row (and a stale conflict if it sent a version)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _save_once(scope, target, cells, origin, source, override_reason, structure)
        except IntegrityError:
            if attempt == 2:
                raise Conflict(
                    _("Someone else saved this form at the same moment; try again.")
                ) from None
    raise AssertionError("unreachable")


def _save_once(
    scope: Scope,
    target: Target,
    cells: Sequence[CellInput],
    origin: str,
    source: str,
    override_reason: str,
    structure: FormStructure | None,
) -> SaveResult:
    check_writable(scope, target, override_reason, from_source=origin == Origin.SOURCE)
    structure = structure or load_structure(target.data_set)
    errors: list[CellError] = []
    parsed: list[tuple[int, CellInput, int, int, str | None, float | None]] = []
    for index, cell in enumerate(cells):
        element = structure.element_by_key.get(cell.data_element)
        if element is None:
            errors.append(
                CellError(
                    index,
                    cell.data_element,
                    cell.category_option_combo,
                    _("The data element '%(de)s' is not in the form %(form)s.")
                    % {"de": cell.data_element, "form": target.data_set.name},
                )
            )
            continue
        row = structure.rows_by_element[element.pk]
        coc = (
            structure.combo_by_key.get(cell.category_option_combo)
            if cell.category_option_combo
            else None
        )
        if cell.category_option_combo is None and len(row.combos) == 1:
            coc = row.combos[0]
        if coc is None or coc not in row.combos:
            coc_given = cell.category_option_combo or "default"
            errors.append(
                CellError(
                    index,
                    cell.data_element,
                    cell.category_option_combo,
                    _("%(de)s has no column '%(coc)s'.") % {"de": element.name, "coc": coc_given},
                )
            )
            continue
        if structure.is_greyed(element.pk, coc.pk):
            errors.append(
                CellError(
                    index,
                    cell.data_element,
                    cell.category_option_combo,
                    _("%(de)s / %(coc)s does not apply on this form.")
                    % {"de": element.name, "coc": coc.name},
                )
            )
            continue
        raw = (cell.value or "").strip()
        text: str | None = None
        number: float | None = None
        if raw:
            try:
                value = parse_value(element.value_type, raw, row.options)
            except ValidationFailed as exc:
                errors.append(
                    CellError(
                        index,
                        cell.data_element,
                        cell.category_option_combo,
                        f"{element.label()}: {exc.message}",
                    )
                )
                continue
            text, number = value.text, value.number
            if number == 0 and element.is_numeric and not element.zero_is_significant:
                text, number = None, None  # zeros are not stored unless significant
        parsed.append((index, cell, element.pk, coc.pk, text, number))
    if errors:
        raise InvalidCells(errors)
    return _write(scope, target, parsed, origin, source)


_UPDATED = (
    "value",
    "numeric_value",
    "deleted",
    "comment",
    "follow_up",
    "stored_by",
    "origin",
    "source",
    "updated_at",
    "version",
)


def _write(
    scope: Scope,
    target: Target,
    parsed: list[tuple[int, CellInput, int, int, str | None, float | None]],
    origin: str,
    source: str,
) -> SaveResult:
    now = timezone.now()
    existing = {
        (v.data_element_id, v.category_option_combo_id): v
        for v in DataValue.objects.select_for_update().filter(
            unit=target.unit,
            period=target.period.id,
            attribute_option_combo=target.attribute_option_combo,
            data_element_id__in={p[2] for p in parsed},
        )
    }
    stale: list[StaleCell] = []
    for index, cell, de_id, coc_id, text, _number in parsed:
        if cell.expected_version is None:
            continue
        current = existing.get((de_id, coc_id))
        live = current if current is not None and not current.deleted else None
        server_version = current.version if current is not None else 0
        if server_version != cell.expected_version and (live.value if live else None) != text:
            stale.append(
                StaleCell(
                    index,
                    cell.data_element,
                    cell.category_option_combo or "",
                    cell.value,
                    live.value if live else None,
                    server_version,
                    current.stored_by if current else "",
                )
            )
    if stale:
        raise StaleCells(stale)

    result = SaveResult()
    to_create: list[DataValue] = []
    to_update: list[DataValue] = []
    audits: list[tuple[DataValue, str, str | None, str | None, str]] = []
    numeric_changes: list[tuple[DataValue, float | None]] = []  # (row, its number before)
    for _index, cell, de_id, coc_id, text, number in parsed:
        current = existing.get((de_id, coc_id))
        live_value = current.value if current is not None and not current.deleted else None
        comment_changed = (
            cell.comment is not None and current is not None and cell.comment != current.comment
        )
        follow_changed = (
            cell.follow_up is not None
            and current is not None
            and cell.follow_up != current.follow_up
        )
        if text == live_value and not comment_changed and not follow_changed:
            if text is None and cell.comment is not None and current is None and cell.comment:
                pass  # a comment on an empty cell is stored below
            else:
                result.unchanged += 1
                if current is not None:
                    result.versions[(de_id, coc_id)] = current.version
                    result.rows[(de_id, coc_id)] = current
                continue
        if current is None:
            if text is None and not cell.comment:
                result.unchanged += 1
                continue
            dv = DataValue(
                data_element_id=de_id,
                period=target.period.id,
                period_start=target.period.start,
                period_end=target.period.end,
                unit=target.unit,
                category_option_combo_id=coc_id,
                attribute_option_combo=target.attribute_option_combo,
                value=text or "",
                numeric_value=number,
                comment=cell.comment or "",
                follow_up=bool(cell.follow_up),
                stored_by=scope.username,
                origin=origin,
                source=source,
                created_at=now,
                updated_at=now,
                deleted=text is None,
                version=1,
            )
            to_create.append(dv)
            numeric_changes.append((dv, None))
            audits.append((dv, AuditAction.CREATE, None, text, cell.comment or ""))
            result.created += 1
        else:
            action = AuditAction.UPDATE
            if text is None and live_value is not None:
                action = AuditAction.DELETE
                result.deleted += 1
            elif live_value is None:
                action = AuditAction.CREATE
                result.created += 1
            else:
                result.updated += 1
            numeric_changes.append((current, None if current.deleted else current.numeric_value))
            current.value = text or ""
            current.numeric_value = number
            current.deleted = text is None
            if cell.comment is not None:
                current.comment = cell.comment
            if cell.follow_up is not None:
                current.follow_up = cell.follow_up
            current.stored_by = scope.username
            current.origin = origin
            current.source = source
            current.updated_at = now
            current.version += 1
            to_update.append(current)
            audits.append((current, action, live_value, text, current.comment))
    if to_create:
        DataValue.objects.bulk_create(to_create)
        if to_create[0].pk is None:  # backends without RETURNING: read the ids back
            ids = {
                (v.data_element_id, v.category_option_combo_id): v.pk
                for v in DataValue.objects.filter(
                    unit=target.unit,
                    period=target.period.id,
                    attribute_option_combo=target.attribute_option_combo,
                )
            }
            for dv in to_create:
                dv.pk = ids[(dv.data_element_id, dv.category_option_combo_id)]
    if to_update:
        update_rows(DataValue, to_update, _UPDATED)
    DataValueAudit.objects.bulk_create(
        DataValueAudit(
            data_value=dv,
            action=action,
            previous_value=previous,
            value=value,
            comment=comment,
            changed_by=scope.username,
            changed_at=now,
            origin=origin,
        )
        for dv, action, previous, value, comment in audits
    )
    ValueChange.objects.bulk_create(
        ValueChange(
            data_element_id=dv.data_element_id,
            category_option_combo_id=dv.category_option_combo_id,
            attribute_option_combo_id=dv.attribute_option_combo_id,
            unit_id=dv.unit_id,
            period=dv.period,
            period_start=dv.period_start,
            period_end=dv.period_end,
            old_number=before,
            new_number=after,
        )
        for dv, before in numeric_changes
        if before != (after := None if dv.deleted else dv.numeric_value)
    )
    arrivals.cells_changed(
        (dv.unit_id, dv.period, dv.data_element_id) for dv, _before in numeric_changes
    )
    for dv in (*to_create, *to_update):
        result.versions[(dv.data_element_id, dv.category_option_combo_id)] = dv.version
        result.rows[(dv.data_element_id, dv.category_option_combo_id)] = dv
    result.out_of_range = check_limits(
        target.unit,
        [
            (dv.data_element_id, dv.category_option_combo_id, dv.numeric_value)
            for dv in (*to_create, *to_update)
            if not dv.deleted
        ],
    )
    return result
