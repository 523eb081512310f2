"""The medical module as a source of report values: the treatment forms computed from episodes.

After every admission, discharge, bed change or outpatient count the affected days (and months)
of the facility are recomputed from its episodes and published, in the same transaction, through
`publish_source_values` (origin=source, audited, seen by analytics at the next query, read-only on
the entry screen). A facility with `publishes_reports=False` fills the same forms by hand.

- QY_THU_DUNG_NGAY (daily, hospitals): admissions, discharges and inpatients by patient category,
  transfers, deaths, emergencies, surgeries, planned and set-up beds of the day.
- QY_BENH_XA_THANG (monthly, infirmaries): visits and treated patients by category, inpatient
  days, transfers up the line, beds and bed occupancy against planned beds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from haucan.catalog.models import DataSet
from haucan.catalog.services import default_option_combo
from haucan.core.errors import Conflict
from haucan.core.periods import Period, PeriodType, period_of, periods_between
from haucan.core.scope import Scope
from haucan.medical.models import BedCount, Episode, Facility, OutpatientCount
from haucan.medical.models.episodes import CATEGORY_OPTION, REPORT_OPTIONS
from haucan.medical.stats import (
    BedSpan,
    DayFigures,
    PeriodFigures,
    Stay,
    beds_by_day,
    day_figures,
    period_figures,
)
from haucan.reporting.models import Origin
from haucan.reporting.services.sources import Key, publish_source_values
from haucan.reporting.services.values import CellInput, Target, save_values
from haucan.reporting.structure import load_structure

log = logging.getLogger(__name__)

SOURCE = "medical"
DAILY_FORM = "QY_THU_DUNG_NGAY"
INFIRMARY_FORM = "QY_BENH_XA_THANG"
FORMS = (DAILY_FORM, INFIRMARY_FORM)
# Below this many days the daily figures come from grouped counts; above, from one sweep.
SHORT_RANGE_DAYS = 45

STAY_FIELDS = (
    "admit_day",
    "discharge_day",
    "category",
    "discharge_kind",
    "outcome",
    "emergency",
    "icd_chapter",
    "died_within_24h",
)


def load_stays(facility: Facility, start: date, end: date) -> list[Stay]:
    """The stays of the facility that overlap [start, end], as plain rows. Two queries, each on
    the (facility, discharge_day) index: the open stays and those that ended on or after
    `start` (one query with an OR would scan every stay the facility ever had)."""
    facility_stays = Episode.objects.filter(facility=facility)
    # No admit_day condition in SQL for the open stays: SQLite would then pick the admit_day
    # index and read every stay; the few open stays admitted after `end` are dropped below.
    open_rows = facility_stays.filter(discharge_day__isnull=True).values_list(*STAY_FIELDS)
    closed_rows = facility_stays.filter(discharge_day__gte=start, admit_day__lte=end).values_list(
        *STAY_FIELDS
    )
    return [
        Stay(a, d, CATEGORY_OPTION[c], k, o, e, ch, d24)
        for a, d, c, k, o, e, ch, d24 in (*open_rows, *closed_rows)
        if a <= end
    ]


def load_beds(facility: Facility, department: int | None = None) -> list[BedSpan]:
    qs = BedCount.objects.filter(department__facility=facility)
    if department is not None:
        qs = qs.filter(department_id=department)
    return [
        BedSpan(d, v, p, s)
        for d, v, p, s in qs.values_list("department_id", "valid_from", "planned", "set_up")
    ]


def load_outpatients(
    facility: Facility, start: date, end: date
) -> tuple[dict[date, int], dict[str, int]]:
    """Surgeries per day, and visits per category option over the range."""
    surgeries: dict[date, int] = defaultdict(int)
    visits: dict[str, int] = defaultdict(int)
    rows = OutpatientCount.objects.filter(facility=facility, day__gte=start, day__lte=end)
    for day, category, v, s in rows.values_list("day", "category", "visits", "surgeries"):
        surgeries[day] += s
        visits[CATEGORY_OPTION[category]] += v
    return surgeries, visits


def daily_values(f: DayFigures) -> dict[Key, int | float | None]:
    values: dict[Key, int | float | None] = {}
    for option in REPORT_OPTIONS:
        values[("DTN_THU_DUNG", option)] = f.admitted.get(option, 0)
        values[("DTN_RA_VIEN", option)] = f.discharged.get(option, 0)
        values[("DTN_DANG_DIEU_TRI", option)] = f.present.get(option, 0)
    values.update(
        {
            ("DTN_CHUYEN_VIEN", None): f.transferred,
            ("DTN_TU_VONG", None): f.died,
            ("DTN_CAP_CUU", None): f.emergencies,
            ("DTN_PHAU_THUAT", None): f.surgeries,
            ("DTN_GIUONG_KE_HOACH", None): f.planned_beds,
            ("DTN_GIUONG_THUC_KE", None): f.set_up_beds,
        }
    )
    return values


def infirmary_values(
    f: PeriodFigures, visits: dict[str, int], planned_beds_at_end: int
) -> dict[Key, int | float | None]:
    values: dict[Key, int | float | None] = {}
    for option in REPORT_OPTIONS:
        values[("BX_LUOT_KHAM", option)] = visits.get(option, 0)
        values[("BX_DIEU_TRI", option)] = f.admitted.get(option, 0)
    occupancy = f.occupancy_planned
    values.update(
        {
            ("BX_NGAY_DIEU_TRI", None): f.inpatient_days,
            ("BX_CHUYEN_TUYEN", None): f.transferred,
            ("BX_GIUONG", None): planned_beds_at_end,
            ("BX_CONG_SUAT_GIUONG", None): None if occupancy is None else round(occupancy, 1),
        }
    )
    return values


@dataclass
class Computed:
    """What the source derives for a facility over a range: {(form code, period id): values}."""

    values: dict[tuple[str, str], dict[Key, int | float | None]] = field(default_factory=dict)


def assigned_forms(facility: Facility) -> dict[str, DataSet]:
    return {ds.code: ds for ds in DataSet.objects.filter(code__in=FORMS, units=facility.unit_id)}


def compute(
    facility: Facility, start: date, end: date, forms: dict[str, DataSet], today: date
) -> Computed:
    """Every value of the facility's treatment forms for the days and months touching
    [start, end] (end never after today)."""
    out = Computed()
    if DAILY_FORM in forms:
        beds = beds_by_day(load_beds(facility), start, end)
        surgeries, _visits = load_outpatients(facility, start, end)
        if (end - start).days < SHORT_RANGE_DAYS:
            by_day = day_figures_sql(facility, start, end, beds)
            for day, figures in by_day.items():
                figures.surgeries = surgeries.get(day, 0)
        else:
            by_day = day_figures(load_stays(facility, start, end), start, end, beds, surgeries)
        for day, figures in by_day.items():
            out.values[(DAILY_FORM, period_of(day, PeriodType.DAILY).id)] = daily_values(figures)
    if INFIRMARY_FORM in forms:
        months = periods_between(start, end, PeriodType.MONTHLY)
        first, last = months[0].start, min(months[-1].end, today)
        stays = load_stays(facility, first, last)
        beds = beds_by_day(load_beds(facility), first, last)
        for month in months:
            month_last = min(month.end, today)
            monthly = [
                s
                for s in stays
                if s.admit_day <= month_last
                and (s.discharge_day is None or s.discharge_day >= month.start)
            ]
            month_figures = period_figures(monthly, month.start, month.end, today, beds)
            _surgeries, visits = load_outpatients(facility, month.start, month_last)
            planned_end = beds.get(month_last, (0, 0))[0]
            out.values[(INFIRMARY_FORM, month.id)] = infirmary_values(
                month_figures, visits, planned_end
            )
    return out


def publish_days(
    scope: Scope, facility: Facility, start: date, end: date | None = None
) -> list[str]:
    """Recompute and publish the facility's forms from `start` to `end` (default: today).
    Returns the periods that could not be written (locked or approved): those keep their values
    and are named in the log."""
    if not facility.publishes_reports:
        return []
    today = timezone.localdate()
    end = min(end or today, today)
    if start > end:
        return []
    forms = assigned_forms(facility)
    if not forms:
        return []
    computed = compute(facility, start, end, forms, today)
    skipped: list[str] = []
    for (form_code, period_id), values in computed.values.items():
        try:
            with transaction.atomic():
                publish_source_values(
                    scope,
                    source=SOURCE,
                    data_set=forms[form_code],
                    unit=facility.unit,
                    period_id=period_id,
                    values=values,
                )
        except Conflict as exc:
            skipped.append(period_id)
            log.info("medical source: %s %s not written: %s", form_code, period_id, exc.message)
    return skipped


def recompute(
    scope: Scope,
    facility: Facility,
    start: date,
    end: date,
    *,
    override_reason: str = "",
) -> int:
    """Rebuild a long range at once (a year, after an import or in the demo): one sweep over the
    episodes, then one write per period with the form's structure loaded once. An administrator's
    scope with a reason also writes locked periods. Returns the periods written."""
    if not facility.publishes_reports:
        return 0
    today = timezone.localdate()
    end = min(end, today)
    forms = assigned_forms(facility)
    if not forms or start > end:
        return 0
    computed = compute(facility, start, end, forms, today)
    stored = _stored(facility, forms, start, end)
    structures = {code: load_structure(ds) for code, ds in forms.items()}
    aoc = default_option_combo()
    written = 0
    with transaction.atomic():
        for (form_code, period_id), values in computed.values.items():
            wanted = {(de, coc or "default"): float(v) for (de, coc), v in values.items() if v}
            key = (form_code, period_id)
            if key in stored and stored[key] == wanted:
                continue  # unchanged: nothing to write
            ds = forms[form_code]
            period: Period = _parse(period_id)
            cells = [
                CellInput(data_element=de, category_option_combo=coc, value=_text(v))
                for (de, coc), v in values.items()
            ]
            try:
                with transaction.atomic():
                    save_values(
                        scope,
                        Target(ds, facility.unit, period, aoc),
                        cells,
                        origin=Origin.SOURCE,
                        source=SOURCE,
                        override_reason=override_reason,
                        structure=structures[form_code],
                    )
            except Conflict as exc:  # approved (or locked without an override): left as is
                log.info("medical source: %s %s not written: %s", form_code, period_id, exc.message)
                continue
            written += 1
    return written


def _stored(
    facility: Facility, forms: dict[str, DataSet], start: date, end: date
) -> dict[tuple[str, str], dict[tuple[str, str], float]]:
    """The values stored for the facility's forms over the range, by (form, period), in one
    query, so that a recompute writes only the periods whose values changed."""
    from haucan.reporting.models import DataValue

    by_element = {}
    for code, ds in forms.items():
        for de in ds.data_elements.values_list("code", flat=True):
            by_element[de] = code
    out: dict[tuple[str, str], dict[tuple[str, str], float]] = defaultdict(dict)
    rows = DataValue.objects.filter(
        unit=facility.unit,
        data_element__code__in=list(by_element),
        period_start__gte=periods_between(start, end, PeriodType.MONTHLY)[0].start,
        period_end__lte=end + timedelta(days=31),
        deleted=False,
    ).values_list("data_element__code", "category_option_combo__code", "period", "numeric_value")
    for de, coc, period, number in rows:
        found = out[(by_element[de], period)]  # present, even when all its values are zero
        if number:
            found[(de, coc)] = float(number)
    return out


def _parse(period_id: str) -> Period:
    from haucan.core.periods import parse_period

    return parse_period(period_id)


def _text(value: int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
    return str(value)


def days_back(day: date, n: int) -> date:
    return day - timedelta(days=n)


def day_figures_sql(
    facility: Facility, start: date, end: date, beds: dict[date, tuple[int, int]] | None = None
) -> dict[date, DayFigures]:
    """The same figures as `stats.day_figures`, from grouped counts in the database instead of
    one row per stay: for a few days (today's report after an admission, the board's 30-day
    trend) this reads a few hundred grouped rows instead of every stay present. The census of
    each day is the census on the eve of `start` plus the admissions minus the stays ended since
    (a stay admitted and ended on the same day is never present at the end of a day)."""
    from django.db.models import Count, Q

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    out = {d: DayFigures() for d in days}
    base = Episode.objects.filter(facility=facility)
    eve: dict[str, int] = defaultdict(int)
    # Open stays grouped by admission day (index on facility, discharge_day): a few hundred rows.
    for admit_day, category, n in (
        base.filter(discharge_day__isnull=True)
        .values_list("admit_day", "category")
        .annotate(n=Count("id"))
        .values_list("admit_day", "category", "n")
    ):
        if admit_day < start:
            eve[CATEGORY_OPTION[category]] += n
    for category, n in (
        base.filter(discharge_day__gte=start, admit_day__lt=start)
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    ):
        eve[CATEGORY_OPTION[category]] += n
    change: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, category, n, emergencies in (
        base.filter(admit_day__gte=start, admit_day__lte=end)
        .values_list("admit_day", "category")
        .annotate(n=Count("id"), e=Count("id", filter=Q(emergency=True)))
        .values_list("admit_day", "category", "n", "e")
    ):
        option = CATEGORY_OPTION[category]
        out[day].admitted[option] += n
        out[day].emergencies += emergencies
        change[day][option] += n
    for ended_on, category, kind, n in (
        base.filter(discharge_day__gte=start, discharge_day__lte=end)
        .values_list("discharge_day", "category", "discharge_kind")
        .annotate(n=Count("id"))
        .values_list("discharge_day", "category", "discharge_kind", "n")
    ):
        assert ended_on is not None  # filtered on a range of discharge days
        option = CATEGORY_OPTION[category]
        figures = out[ended_on]
        if kind == "transfer":
            figures.transferred += n
        elif kind == "died":
            figures.died += n
        else:
            figures.discharged[option] += n
        change[ended_on][option] -= n
    running = dict(eve)
    for day in days:
        for option, delta in change.get(day, {}).items():
            running[option] = running.get(option, 0) + delta
        out[day].present.update({o: n for o, n in running.items() if n})
        out[day].planned_beds, out[day].set_up_beds = (beds or {}).get(day, (0, 0))
    return out
