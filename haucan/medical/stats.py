"""Treatment statistics from episodes: pure functions over plain rows, no database.

Conventions (docs/adr/0050-medical-episodes-and-statistics.md):
- A patient is *present at the end of day d* when admit_day <= d < discharge_day (still open: up to
  today). The inpatients of a day are those present at its end.
- *Inpatient days* of a period are the end-of-day census summed over its days, plus one day for a
  stay that begins and ends on the same day inside the period. Summed over periods they add up to
  the stay's length, max(1, discharge_day − admit_day), so a stay crossing a month boundary is
  split between the months and never counted twice.
- *Bed-days* are the beds in force on each day (planned or set-up), summed over the days: a bed
  change in the middle of a month weighs by the days it was in force, and a later change never
  rewrites an earlier period.
- *Occupancy* = inpatient days ÷ bed-days × 100; *average length of stay* = the total length of
  the stays that ended in the period ÷ their number (TT 37/2019 indicator); *mortality* and
  *transfer rates* = deaths (transfers) ÷ stays ended in the period × 100.
Days after `today` are never counted: a period in progress is measured up to today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

ENDED_HOME = {"home", "left"}


@dataclass(frozen=True)
class Stay:
    admit_day: date
    discharge_day: date | None
    option: str  # the catalog's patient-category option (BN_…)
    kind: str = ""  # discharge kind, "" while open
    outcome: str = ""
    emergency: bool = False
    chapter: str = ""
    died_within_24h: bool = False

    def length(self, today: date) -> int:
        end = self.discharge_day or today
        return max(1, (end - self.admit_day).days)


@dataclass(frozen=True)
class BedSpan:
    """Beds in force from `valid_from` until the next span of the same department."""

    department: int
    valid_from: date
    planned: int
    set_up: int


def _days(start: date, end: date) -> Iterable[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def beds_by_day(spans: Sequence[BedSpan], start: date, end: date) -> dict[date, tuple[int, int]]:
    """(planned, set-up) beds of all departments together on each day of [start, end]."""
    by_department: dict[int, list[BedSpan]] = {}
    for span in sorted(spans, key=lambda s: (s.department, s.valid_from)):
        by_department.setdefault(span.department, []).append(span)
    total = {d: (0, 0) for d in _days(start, end)}
    for rows in by_department.values():
        for i, span in enumerate(rows):
            until = rows[i + 1].valid_from - timedelta(days=1) if i + 1 < len(rows) else end
            lo, hi = max(span.valid_from, start), min(until, end)
            for d in _days(lo, hi):
                planned, set_up = total[d]
                total[d] = (planned + span.planned, set_up + span.set_up)
    return total


def census(stays: Iterable[Stay], day: date) -> Counter[str]:
    """Inpatients present at the end of `day`, by category option."""
    out: Counter[str] = Counter()
    for s in stays:
        if s.admit_day <= day and (s.discharge_day is None or s.discharge_day > day):
            out[s.option] += 1
    return out


def inpatient_days(stays: Iterable[Stay], start: date, end: date, today: date) -> int:
    last = min(end, today)
    total = 0
    for s in stays:
        if s.discharge_day is not None and s.discharge_day == s.admit_day:
            total += 1 if start <= s.admit_day <= last else 0
            continue
        stop = (s.discharge_day - timedelta(days=1)) if s.discharge_day else today
        lo, hi = max(s.admit_day, start), min(stop, last)
        if hi >= lo:
            total += (hi - lo).days + 1
    return total


@dataclass
class DayFigures:
    """The values of the daily treatment form for one day."""

    admitted: Counter[str] = field(default_factory=Counter)
    discharged: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    transferred: int = 0
    died: int = 0
    emergencies: int = 0
    surgeries: int = 0
    planned_beds: int = 0
    set_up_beds: int = 0


def day_figures(
    stays: Sequence[Stay],
    start: date,
    end: date,
    beds: dict[date, tuple[int, int]],
    surgeries: dict[date, int] | None = None,
) -> dict[date, DayFigures]:
    """The daily form for each day of [start, end] in one sweep over the stays (difference
    arrays): O(stays + days), so a year of a large hospital is one pass."""
    days = list(_days(start, end))
    index = {d: i for i, d in enumerate(days)}
    out = {d: DayFigures() for d in days}
    delta: dict[str, list[int]] = {}
    for s in stays:
        if s.admit_day in index:
            figures = out[s.admit_day]
            figures.admitted[s.option] += 1
            figures.emergencies += s.emergency
        if s.discharge_day is not None and s.discharge_day in index:
            figures = out[s.discharge_day]
            if s.kind == "transfer":
                figures.transferred += 1
            elif s.kind == "died":
                figures.died += 1
            else:
                figures.discharged[s.option] += 1
        # present on [admit_day, discharge_day - 1] clipped to the range
        lo = max(s.admit_day, start)
        hi = (s.discharge_day - timedelta(days=1)) if s.discharge_day else end
        hi = min(hi, end)
        if hi >= lo:
            arr = delta.setdefault(s.option, [0] * (len(days) + 1))
            arr[index[lo]] += 1
            arr[index[hi] + 1] -= 1
    for option, arr in delta.items():
        running = 0
        for i, d in enumerate(days):
            running += arr[i]
            if running:
                out[d].present[option] = running
    for d in days:
        out[d].planned_beds, out[d].set_up_beds = beds.get(d, (0, 0))
        out[d].surgeries = (surgeries or {}).get(d, 0)
    return out


@dataclass
class PeriodFigures:
    admitted: Counter[str]
    outcomes: Counter[str]
    discharged: int  # every stay that ended in the period (home, transfer, died, left)
    transferred: int
    died: int
    died_within_24h: int
    present_at_end: int
    inpatient_days: int
    planned_bed_days: int
    set_up_bed_days: int
    stay_days_of_ended: int
    by_chapter: Counter[str]
    emergencies: int

    @property
    def occupancy_planned(self) -> float | None:
        return _ratio(self.inpatient_days, self.planned_bed_days)

    @property
    def occupancy_set_up(self) -> float | None:
        return _ratio(self.inpatient_days, self.set_up_bed_days)

    @property
    def average_stay(self) -> float | None:
        return self.stay_days_of_ended / self.discharged if self.discharged else None

    @property
    def mortality_rate(self) -> float | None:
        return _ratio(self.died, self.discharged)

    @property
    def transfer_rate(self) -> float | None:
        return _ratio(self.transferred, self.discharged)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def period_figures(
    stays: Sequence[Stay],
    start: date,
    end: date,
    today: date,
    beds: dict[date, tuple[int, int]],
) -> PeriodFigures:
    last = min(end, today)
    admitted: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    chapters: Counter[str] = Counter()
    discharged = transferred = died = died_24 = stay_days = emergencies = 0
    for s in stays:
        if start <= s.admit_day <= last:
            admitted[s.option] += 1
            chapters[s.chapter] += 1
            emergencies += s.emergency
        if s.discharge_day is not None and start <= s.discharge_day <= last:
            discharged += 1
            outcomes[s.outcome] += 1
            transferred += s.kind == "transfer"
            died += s.kind == "died"
            died_24 += s.died_within_24h
            stay_days += s.length(today)
    planned = sum(beds.get(d, (0, 0))[0] for d in _days(start, last))
    set_up = sum(beds.get(d, (0, 0))[1] for d in _days(start, last))
    present = sum(census(stays, last).values()) if last >= start else 0
    return PeriodFigures(
        admitted=admitted,
        outcomes=outcomes,
        discharged=discharged,
        transferred=transferred,
        died=died,
        died_within_24h=died_24,
        present_at_end=present,
        inpatient_days=inpatient_days(stays, start, end, today),
        planned_bed_days=planned,
        set_up_bed_days=set_up,
        stay_days_of_ended=stay_days,
        by_chapter=chapters,
        emergencies=emergencies,
    )
