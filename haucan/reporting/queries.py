"""Reads of reported data that the entry screen, completeness page and other apps call.

Every function takes the actor's Scope (or a Target already resolved with one), and reads in a
fixed number of queries whatever the size of the form or the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.accounts.models import Assignment, Role
from haucan.catalog.models import CategoryOptionCombo, DataElement, DataSet
from haucan.catalog.queries import data_sets_for
from haucan.core.errors import NotFound
from haucan.core.periods import Period, PeriodType, period_of
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.org.queries import scope_filter
from haucan.reporting.models import CompleteRegistration, DataValue, DataValueAudit, Origin
from haucan.reporting.services.values import Target, is_locked

PAST_PERIODS = 12  # how many past periods the entry screen offers


# --- entry screen -----------------------------------------------------------------------------


def entry_forms(scope: Scope) -> list[DataSet]:
    """Forms assigned to a unit in scope whose domain the actor may enter data for."""
    forms = data_sets_for(scope).order_by("name")
    return [f for f in forms if scope.can(Action.ENTER, Domain(f.domain))]


def find_entry_form(scope: Scope, key: str) -> DataSet:
    """The form by uid or code among `entry_forms`, or NotFound."""
    data_set = data_sets_for(scope).filter(Q(uid=key) | Q(code=key)).first() if key else None
    if data_set is None or not scope.can(Action.ENTER, Domain(data_set.domain)):
        raise NotFound(_("Report form not found."))
    return data_set


def entry_units(scope: Scope, data_set: DataSet) -> QuerySet[Unit]:
    """Open units in scope that the form is assigned to, in tree order."""
    return data_set.units.filter(scope_filter(scope), closed_on__isnull=True).order_by("path")


def open_periods(
    data_set: DataSet, *, today: date | None = None, count: int = PAST_PERIODS
) -> list[Period]:
    """The periods a clerk may still enter: the last `count` up to the current one plus the
    form's open future periods, newest first, without those already locked."""
    today = today or timezone.localdate()
    current = period_of(today, PeriodType(data_set.period_type))
    candidates = [current.shift(n) for n in range(data_set.open_future_periods, -count, -1)]
    return [p for p in candidates if not is_locked(data_set, p, today)]


def recent_periods(
    data_set: DataSet, *, today: date | None = None, count: int = PAST_PERIODS
) -> list[Period]:
    """The current period and the `count - 1` before it, newest first (completeness picker)."""
    today = today or timezone.localdate()
    current = period_of(today, PeriodType(data_set.period_type))
    return [current.shift(-n) for n in range(count)]


@dataclass(frozen=True)
class CellValue:
    """What the entry grid shows of one stored cell."""

    value: str
    version: int
    deleted: bool
    stored_by: str
    updated_at: datetime
    comment: str
    follow_up: bool
    origin: str
    source: str

    @property
    def origin_label(self) -> str:
        """The path the value came through, in the active language ("Nhập liệu", "API", …)."""
        return str(Origin(self.origin).label) if self.origin in Origin.values else self.origin


def current_values(scope: Scope, target: Target) -> dict[tuple[int, int], CellValue]:
    """(element id, option combo id) → the stored cell, deleted ones included (for the version)."""
    if not scope.covers_path(target.unit.path):
        raise NotFound(_("Unit not found."))
    rows = DataValue.objects.filter(
        unit=target.unit,
        period=target.period.id,
        attribute_option_combo=target.attribute_option_combo,
        data_element__datasetelement__data_set=target.data_set,
    )
    return {
        (v.data_element_id, v.category_option_combo_id): CellValue(
            v.value,
            v.version,
            v.deleted,
            v.stored_by,
            v.updated_at,
            v.comment,
            v.follow_up,
            v.origin,
            v.source,
        )
        for v in rows
    }


def cell_history(
    scope: Scope,
    target: Target,
    element: DataElement,
    combo: CategoryOptionCombo,
    *,
    limit: int = 50,
) -> list[DataValueAudit]:
    """The audit trail of one cell, newest first."""
    if not scope.covers_path(target.unit.path):
        raise NotFound(_("Unit not found."))
    return list(
        DataValueAudit.objects.filter(
            data_value__unit=target.unit,
            data_value__period=target.period.id,
            data_value__attribute_option_combo=target.attribute_option_combo,
            data_value__data_element=element,
            data_value__category_option_combo=combo,
        ).order_by("-changed_at", "-id")[:limit]
    )


def registration(scope: Scope, target: Target) -> CompleteRegistration | None:
    """The submission record of the report (complete or reopened), if any."""
    if not scope.covers_path(target.unit.path):
        raise NotFound(_("Unit not found."))
    return CompleteRegistration.objects.filter(
        data_set=target.data_set,
        period=target.period.id,
        unit=target.unit,
        attribute_option_combo=target.attribute_option_combo,
    ).first()


# --- completeness -----------------------------------------------------------------------------


@dataclass
class Tally:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0

    @property
    def submitted_rate(self) -> float | None:
        return 100.0 * self.submitted / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return 100.0 * self.on_time / self.expected if self.expected else None


@dataclass(frozen=True)
class Clerk:
    username: str
    name: str
    phone: str


@dataclass(frozen=True)
class Defaulter:
    """A unit that has not submitted, or submitted late."""

    unit: Unit
    status: str  # "missing" | "late"
    completed_at: datetime | None
    clerks: tuple[Clerk, ...]


@dataclass
class Completeness:
    data_set: DataSet
    period: Period
    root: Unit
    total: Tally
    children: list[tuple[Unit, Tally]] = field(default_factory=list)
    defaulters: list[Defaulter] = field(default_factory=list)


def completeness(scope: Scope, data_set: DataSet, period: Period, root: Unit) -> Completeness:
    """Expected, submitted and on-time reports of a form for a period in `root`'s subtree.

    Expected: units of the subtree that the form is assigned to and that were open during the
    period. The children rows count their own subtrees the same way. Five queries in all."""
    if not scope.covers_path(root.path) or not scope.can(Action.VIEW, Domain(data_set.domain)):
        raise NotFound(_("Unit not found."))
    expected_units = list(
        data_set.units.filter(path__startswith=root.path, opened_on__lte=period.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=period.start))
        .order_by("path")
    )
    done = {
        unit_id: (on_time, completed_at)
        for unit_id, on_time, completed_at in CompleteRegistration.objects.filter(
            data_set=data_set,
            period=period.id,
            is_complete=True,
            unit__in=[u.pk for u in expected_units],
        ).values_list("unit_id", "on_time", "completed_at")
    }
    children = [
        c
        for c in Unit.objects.filter(parent=root).order_by("name")
        if c.opened_on <= period.end and (c.closed_on is None or c.closed_on > period.start)
    ]
    tallies = {c.pk: Tally() for c in children}
    total = Tally()
    late_or_missing: list[Unit] = []
    for unit in expected_units:
        submitted = unit.pk in done
        on_time = submitted and done[unit.pk][0]
        counted = [total] + [tallies[c.pk] for c in children if unit.path.startswith(c.path)]
        for tally in counted:
            tally.expected += 1
            tally.submitted += submitted
            tally.on_time += on_time
        if not on_time:
            late_or_missing.append(unit)
    clerks: dict[int, list[Clerk]] = {}
    for a in (
        Assignment.objects.filter(unit__in=[u.pk for u in late_or_missing], role=Role.CLERK)
        .select_related("user")
        .order_by("user__username")
    ):
        clerks.setdefault(a.unit_id, []).append(
            Clerk(a.user.username, a.user.display_name(), a.user.phone)
        )
    defaulters = [
        Defaulter(
            unit,
            "late" if unit.pk in done else "missing",
            done[unit.pk][1] if unit.pk in done else None,
            tuple(clerks.get(unit.pk, ())),
        )
        for unit in late_or_missing
    ]
    defaulters.sort(key=lambda d: (d.status != "missing", d.unit.name))  # missing ones first
    return Completeness(
        data_set,
        period,
        root,
        total,
        [(c, tallies[c.pk]) for c in children if tallies[c.pk].expected],
        defaulters,
    )


def completeness_forms(scope: Scope) -> list[DataSet]:
    """Forms in scope whose domain the actor may view."""
    return [
        f for f in data_sets_for(scope).order_by("name") if scope.can(Action.VIEW, Domain(f.domain))
    ]
