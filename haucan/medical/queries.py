"""Reads of the medical module: the hospital board, the army roll-up, the treatment report and the
care-chain patient lists (every one of those audited)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.core.scope import Domain, Scope
from haucan.core.snapshot import one_snapshot
from haucan.core.text import fold
from haucan.medical.care import audit_patient_read, facilities_in_scope, require_care_chain
from haucan.medical.models import (
    BedCount,
    Department,
    Episode,
    EpisodeMove,
    Facility,
    StaffOnDuty,
)
from haucan.medical.models.episodes import CATEGORY_OPTION
from haucan.medical.services.publish import day_figures_sql, load_beds, load_stays
from haucan.medical.services.supplies import SupplyStatus, supply_status
from haucan.medical.stats import (
    PeriodFigures,
    Stay,
    beds_by_day,
    period_figures,
)

TREND_DAYS = 30


@dataclass
class DepartmentRow:
    department: Department
    planned: int
    set_up: int
    occupied: int
    staff: dict[str, int] = field(default_factory=dict)

    @property
    def free(self) -> int:
        return max(0, self.set_up - self.occupied)

    @property
    def occupancy(self) -> float | None:
        return self.occupied / self.planned * 100 if self.planned else None


@dataclass
class Board:
    facility: Facility
    today: date
    departments: list[DepartmentRow]
    admitted: int
    discharged: int
    transferred_out: int
    died: int
    moved: int
    trend: list[tuple[date, float | None, float | None]]  # day, % of planned, % of set-up beds
    alerts: list[Alert]
    supplies: list[SupplyStatus] = field(default_factory=list)  # key medicines

    @property
    def planned(self) -> int:
        return sum(r.planned for r in self.departments)

    @property
    def set_up(self) -> int:
        return sum(r.set_up for r in self.departments)

    @property
    def occupied(self) -> int:
        return sum(r.occupied for r in self.departments)

    @property
    def free(self) -> int:
        return sum(r.free for r in self.departments)

    @property
    def staff_total(self) -> int:
        return sum(sum(r.staff.values()) for r in self.departments)


def _beds_today(facility: Facility, today: date) -> dict[int, tuple[int, int]]:
    rows = (
        BedCount.objects.filter(department__facility=facility, valid_from__lte=today)
        .order_by("department_id", "valid_from")
        .values_list("department_id", "planned", "set_up")
    )
    out: dict[int, tuple[int, int]] = {}
    for dept, planned, set_up in rows:
        out[dept] = (planned, set_up)  # the latest row in force wins
    return out


def open_medical_alerts(units_path: str, limit: int = 10) -> list[Alert]:
    return list(
        Alert.objects.filter(unit__path__startswith=units_path, domain=Domain.MEDICAL)
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("unit")
        .order_by("-severity", "-opened_at")[:limit]
    )


def board(facility: Facility, today: date | None = None) -> Board:
    """Everything on the hospital's morning-meeting screen, in a fixed number of queries, all
    of them in one snapshot: an admission committed between two of them showed on the board as
    admitted today but not yet an inpatient (seen in the board's browser test on PostgreSQL)."""
    with one_snapshot():
        return _board(facility, today or timezone.localdate())


def _board(facility: Facility, today: date) -> Board:
    departments = list(Department.objects.filter(facility=facility, active=True))
    beds = _beds_today(facility, today)
    occupied = dict(
        Episode.objects.filter(facility=facility, discharge_day__isnull=True)
        .values_list("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    staff: dict[int, dict[str, int]] = defaultdict(dict)
    for dept, category, n in StaffOnDuty.objects.filter(
        department__facility=facility, day=today
    ).values_list("department_id", "category", "headcount"):
        staff[dept][category] = n
    moved = EpisodeMove.objects.filter(episode__facility=facility, day=today).count()
    start = today - timedelta(days=TREND_DAYS - 1)
    bed_days = beds_by_day(load_beds(facility), start, today)
    series = day_figures_sql(facility, start, today, bed_days)
    trend = []
    for day, figures in series.items():
        present = sum(figures.present.values())
        trend.append(
            (
                day,
                present / figures.planned_beds * 100 if figures.planned_beds else None,
                present / figures.set_up_beds * 100 if figures.set_up_beds else None,
            )
        )
    now = series[today]
    rows = [
        DepartmentRow(
            d, *beds.get(d.pk, (0, 0)), occupied=occupied.get(d.pk, 0), staff=staff.get(d.pk, {})
        )
        for d in departments
    ]
    return Board(
        facility=facility,
        today=today,
        departments=rows,
        admitted=sum(now.admitted.values()),
        discharged=sum(now.discharged.values()),
        transferred_out=now.transferred,
        died=now.died,
        moved=moved,
        trend=trend,
        alerts=open_medical_alerts(facility.unit.path),
        supplies=supply_status(facility, today, key_only=True),
    )


@dataclass
class ArmyRow:
    facility: Facility
    planned: int
    set_up: int
    occupied: int
    admitted: int
    discharged: int

    @property
    def occupancy(self) -> float | None:
        return self.occupied / self.planned * 100 if self.planned else None

    @property
    def free(self) -> int:
        return max(0, self.set_up - self.occupied)


def army_board(scope: Scope, today: date | None = None) -> list[ArmyRow]:
    """One row per facility of the scope (the medical department's roll-up)."""
    today = today or timezone.localdate()
    facilities = list(facilities_in_scope(scope))
    ids = [f.pk for f in facilities]
    beds: dict[tuple[int, int], tuple[int, int]] = {}
    for fac, dept, planned, set_up in (
        BedCount.objects.filter(department__facility_id__in=ids, valid_from__lte=today)
        .order_by("department_id", "valid_from")
        .values_list("department__facility_id", "department_id", "planned", "set_up")
    ):
        beds[(fac, dept)] = (planned, set_up)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (fac, _dept), (planned, set_up) in beds.items():
        totals[fac][0] += planned
        totals[fac][1] += set_up
    counts = {
        row["facility_id"]: row
        for row in Episode.objects.filter(facility_id__in=ids)
        .filter(Q(discharge_day__isnull=True) | Q(admit_day=today) | Q(discharge_day=today))
        .values("facility_id")
        .annotate(
            occupied=Count("id", filter=Q(discharge_day__isnull=True)),
            admitted=Count("id", filter=Q(admit_day=today)),
            discharged=Count("id", filter=Q(discharge_day=today)),
        )
    }
    out = []
    for f in facilities:
        c = counts.get(f.pk, {})
        out.append(
            ArmyRow(
                f,
                totals[f.pk][0],
                totals[f.pk][1],
                c.get("occupied", 0),
                c.get("admitted", 0),
                c.get("discharged", 0),
            )
        )
    return out


@dataclass
class DepartmentFigures:
    department: Department
    inpatient_days: int
    planned_bed_days: int
    set_up_bed_days: int

    @property
    def occupancy_planned(self) -> float | None:
        return self.inpatient_days / self.planned_bed_days * 100 if self.planned_bed_days else None

    @property
    def occupancy_set_up(self) -> float | None:
        return self.inpatient_days / self.set_up_bed_days * 100 if self.set_up_bed_days else None


@dataclass
class TreatmentReport:
    facility: Facility
    start: date
    end: date
    figures: PeriodFigures
    departments: list[DepartmentFigures]
    by_category: Counter[str]


def _department_stays(facility: Facility, start: date, end: date) -> dict[int, list[Stay]]:
    """Each stay cut into its departments' segments at the internal transfers."""
    episodes = list(
        Episode.objects.filter(facility=facility, admit_day__lte=end)
        .filter(Q(discharge_day__isnull=True) | Q(discharge_day__gte=start))
        .values_list("pk", "admit_day", "discharge_day", "category", "admission_department_id")
    )
    moves: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for ep, day, to in (
        EpisodeMove.objects.filter(episode_id__in=[e[0] for e in episodes])
        .order_by("moved_at")
        .values_list("episode_id", "day", "to_department_id")
    ):
        moves[ep].append((day, to))
    out: dict[int, list[Stay]] = defaultdict(list)
    for pk, admit, discharge, category, dept in episodes:
        option = CATEGORY_OPTION[category]
        seg_start, seg_dept = admit, dept
        for day, to in moves.get(pk, []):
            if day > seg_start:
                out[seg_dept].append(Stay(seg_start, day, option, "moved"))
                seg_start = day
            seg_dept = to
        out[seg_dept].append(Stay(seg_start, discharge, option))
    return out


def treatment_report(
    facility: Facility, start: date, end: date, today: date | None = None
) -> TreatmentReport:
    """The treatment figures of any period (day, month, quarter, year) for the facility and its
    departments, computed from the episodes."""
    from haucan.medical.stats import inpatient_days

    today = today or timezone.localdate()
    stays = load_stays(facility, start, end)
    spans = load_beds(facility)
    last = max(start, min(end, today))
    figures = period_figures(stays, start, end, today, beds_by_day(spans, start, last))
    rows = []
    segments = _department_stays(facility, start, end)
    for dept in Department.objects.filter(facility=facility):
        dept_beds = beds_by_day([s for s in spans if s.department == dept.pk], start, last)
        days = [d for d in dept_beds if d <= min(end, today)]
        rows.append(
            DepartmentFigures(
                dept,
                inpatient_days(segments.get(dept.pk, []), start, end, today),
                sum(dept_beds[d][0] for d in days),
                sum(dept_beds[d][1] for d in days),
            )
        )
    return TreatmentReport(facility, start, end, figures, rows, figures.admitted)


def patients_present(scope: Scope, facility: Facility, *, search: str = "") -> QuerySet[Episode]:
    """The open stays with the patients' identities: care chain only, audited by the caller via
    `list_present`."""
    require_care_chain(scope, facility)
    qs = (
        Episode.objects.filter(facility=facility, discharged_at__isnull=True)
        .select_related("patient", "department")
        .order_by("department__code", "admitted_at")
    )
    if search.strip():
        needle = fold(search)
        qs = qs.filter(
            Q(patient__search_name__contains=needle) | Q(patient__code__icontains=search.strip())
        )
    return qs


def list_present(
    scope: Scope, facility: Facility, *, search: str = "", limit: int = 200
) -> list[Episode]:
    episodes = list(patients_present(scope, facility, search=search)[:limit])
    audit_patient_read(scope, facility, "present", [e.key for e in episodes])
    return episodes


def recent_discharges(scope: Scope, facility: Facility, limit: int = 50) -> list[Episode]:
    require_care_chain(scope, facility)
    episodes = list(
        Episode.objects.filter(facility=facility, discharged_at__isnull=False)
        .select_related("patient", "department")
        .order_by("-discharged_at")[:limit]
    )
    audit_patient_read(scope, facility, "discharged", [e.key for e in episodes])
    return episodes
