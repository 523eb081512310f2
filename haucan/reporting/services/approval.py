"""Approval of data up the hierarchy (duyệt số liệu), after DHIS2's bottom-up workflow.

A unit at an approval level may approve once every unit below it, at the next lower approval
level, that has data for the workflow's forms has been approved. Approval at a unit locks entry
for its whole subtree. Unapproving needs a reason and is refused while a level above has approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.catalog.models import CategoryOptionCombo, DataSet
from haucan.catalog.services import default_option_combo
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodError, parse_period
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.reporting.models import ApprovalWorkflow, DataApproval, DataValue


class ApprovalState(StrEnum):
    UNAPPROVABLE = "UNAPPROVABLE"  # not an approval level, or no data below
    WAITING = "UNAPPROVED_WAITING"  # waiting for lower levels
    READY = "UNAPPROVED_READY"  # ready to approve here
    APPROVED_HERE = "APPROVED_HERE"
    APPROVED_ABOVE = "APPROVED_ABOVE"  # approved at a unit higher up


@dataclass(frozen=True)
class ApprovalStatus:
    unit: Unit
    state: ApprovalState
    approved_by: str = ""
    approved_at: object = None
    waiting_for: tuple[str, ...] = ()  # names of lower units not yet approved

    @property
    def label(self) -> str:
        return {
            ApprovalState.UNAPPROVABLE: _("Not approvable here"),
            ApprovalState.WAITING: _("Waiting for lower levels"),
            ApprovalState.READY: _("Ready for approval"),
            ApprovalState.APPROVED_HERE: _("Approved here"),
            ApprovalState.APPROVED_ABOVE: _("Approved above"),
        }[self.state]


def _ancestor_paths(unit: Unit) -> list[str]:
    parts = unit.path_uids()
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def approved_at_or_above(data_set: DataSet, period: str, unit: Unit) -> DataApproval | None:
    """The approval that locks this unit's data for the form and period, if any (one query)."""
    return (
        DataApproval.objects.filter(
            workflow__data_sets=data_set, period=period, unit__path__in=_ancestor_paths(unit)
        )
        .select_related("unit")
        .first()
    )


def _levels(workflow: ApprovalWorkflow) -> list[int]:
    return sorted(workflow.levels.values_list("depth", flat=True))


def _units_with_data(workflow: ApprovalWorkflow, period: str, root: Unit) -> set[str]:
    """Paths of the units in `root`'s subtree that hold values for the workflow's forms."""
    element_ids = DataSet.data_elements.through.objects.filter(
        data_set__approval_workflows=workflow
    ).values("data_element_id")
    return set(
        DataValue.objects.filter(
            period=period,
            deleted=False,
            unit__path__startswith=root.path,
            data_element_id__in=element_ids,
        )
        .values_list("unit__path", flat=True)
        .distinct()
    )


def status_of(
    workflow: ApprovalWorkflow, period: str, unit: Unit, aoc: CategoryOptionCombo | None = None
) -> ApprovalStatus:
    """The approval state of `unit` for a workflow and period."""
    aoc = aoc or default_option_combo()
    approvals = {
        a.unit.path: a
        for a in DataApproval.objects.filter(
            workflow=workflow, period=period, attribute_option_combo=aoc
        )
        .filter(unit__path__in=_ancestor_paths(unit))
        .select_related("unit")
    }
    here = approvals.pop(unit.path, None)
    if approvals:  # an ancestor's approval outranks one made here
        above = min(approvals.values(), key=lambda a: len(a.unit.path))
        return ApprovalStatus(
            unit, ApprovalState.APPROVED_ABOVE, above.approved_by, above.approved_at
        )
    if here is not None:
        return ApprovalStatus(unit, ApprovalState.APPROVED_HERE, here.approved_by, here.approved_at)
    levels = _levels(workflow)
    if unit.depth not in levels:
        return ApprovalStatus(unit, ApprovalState.UNAPPROVABLE)
    with_data = _units_with_data(workflow, period, unit)
    if not with_data:
        return ApprovalStatus(unit, ApprovalState.UNAPPROVABLE)
    lower = [d for d in levels if d > unit.depth]
    if not lower:
        return ApprovalStatus(unit, ApprovalState.READY)
    next_depth = lower[0]
    # The units at the next approval level below that have data somewhere in their subtree.
    candidates = Unit.objects.filter(path__startswith=unit.path, depth=next_depth)
    needing = [u for u in candidates if any(p.startswith(u.path) for p in with_data)]
    approved = set(
        DataApproval.objects.filter(
            workflow=workflow, period=period, attribute_option_combo=aoc, unit__in=needing
        ).values_list("unit_id", flat=True)
    )
    waiting = tuple(sorted(u.name for u in needing if u.pk not in approved))
    if waiting:
        return ApprovalStatus(unit, ApprovalState.WAITING, waiting_for=waiting)
    return ApprovalStatus(unit, ApprovalState.READY)


def _check(scope: Scope, workflow: ApprovalWorkflow, period: str, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    domains = {Domain(d) for d in workflow.data_sets.values_list("domain", flat=True)}
    if not domains or not all(scope.can(Action.APPROVE, d) for d in domains):
        raise PermissionDenied(_("You are not allowed to approve this data."))
    try:
        parsed = parse_period(period)
    except PeriodError as exc:
        raise ValidationFailed(str(exc), field="period") from None
    if parsed.type.value != workflow.period_type:
        raise ValidationFailed(
            _("The workflow %(wf)s approves %(type)s periods.")
            % {"wf": workflow.name, "type": workflow.period_type},
            field="period",
        )


@transaction.atomic
def approve(scope: Scope, workflow: ApprovalWorkflow, period: str, unit: Unit) -> DataApproval:
    """Approve `unit`'s data for the period; this locks entry for its whole subtree."""
    _check(scope, workflow, period, unit)
    aoc = default_option_combo()
    status = status_of(workflow, period, unit, aoc)
    if status.state != ApprovalState.READY:
        if status.state == ApprovalState.WAITING:
            raise Conflict(
                _("Cannot approve yet: waiting for %(units)s.")
                % {"units": ", ".join(status.waiting_for[:10])}
            )
        raise Conflict(
            _("%(unit)s cannot be approved: %(state)s.")
            % {"unit": unit.name, "state": status.label}
        )
    try:
        with transaction.atomic():
            approval = DataApproval.objects.create(
                workflow=workflow,
                period=period,
                unit=unit,
                attribute_option_combo=aoc,
                approved_at=timezone.now(),
                approved_by=scope.username,
            )
    except IntegrityError:
        raise Conflict(_("This data has just been approved by someone else.")) from None
    audit.record(scope, "reporting.approve", unit, {"workflow": workflow.code, "period": period})
    return approval


@transaction.atomic
def unapprove(
    scope: Scope, workflow: ApprovalWorkflow, period: str, unit: Unit, *, reason: str
) -> None:
    """Withdraw the approval at `unit`; refused while a higher level has approved."""
    _check(scope, workflow, period, unit)
    if not reason.strip():
        raise ValidationFailed(_("Give a reason for withdrawing the approval."), field="reason")
    aoc = default_option_combo()
    status = status_of(workflow, period, unit, aoc)
    if status.state == ApprovalState.APPROVED_ABOVE:
        raise Conflict(_("A higher level has approved this data; it must unapprove first."))
    deleted, _rows = DataApproval.objects.filter(
        workflow=workflow, period=period, unit=unit, attribute_option_combo=aoc
    ).delete()
    if not deleted:
        raise Conflict(_("This data is not approved here."))
    audit.record(
        scope,
        "reporting.unapprove",
        unit,
        {"workflow": workflow.code, "period": period, "reason": reason.strip()},
    )


def overview(
    scope: Scope, workflow: ApprovalWorkflow, period: str, root: Unit
) -> list[ApprovalStatus]:
    """The state of every unit at an approval level inside `root`'s subtree, top-down."""
    if not scope.covers_path(root.path):
        raise NotFound(_("Unit not found."))
    levels = _levels(workflow)
    units = Unit.objects.filter(path__startswith=root.path, depth__in=levels).order_by("path")
    return [status_of(workflow, period, u) for u in units[:500]]


def status_for_form(data_set: DataSet, period: str, unit: Unit) -> ApprovalStatus | None:
    """The approval state shown on the entry screen, or None when no workflow covers the form."""
    workflow = ApprovalWorkflow.objects.filter(
        data_sets=data_set, period_type=data_set.period_type
    ).first()
    return status_of(workflow, period, unit) if workflow is not None else None
