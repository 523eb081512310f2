"""The grouped-count path (short ranges: today's report, the board) equals the sweep over stays."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from haucan.medical.models import Episode, Patient
from haucan.medical.services.publish import day_figures_sql, load_stays
from haucan.medical.stats import day_figures
from haucan.medical.tests.conftest import MedicalWorld, at


def test_grouped_counts_equal_the_sweep_on_random_stays(med: MedicalWorld) -> None:
    rng = random.Random(5)
    today = timezone.localdate()
    base = today - timedelta(days=40)
    categories = ["officer", "insured", "civilian", "defence_worker"]
    for n in range(120):
        admit_day = base + timedelta(days=rng.randint(0, 40))
        length = rng.choice([None, 0, 0, 1, 2, 5, 9, 20])
        discharge_day = None if length is None else admit_day + timedelta(days=length)
        if discharge_day is not None and discharge_day > today:
            discharge_day = None
        patient = Patient.objects.create(
            facility=med.hospital,
            code=f"R{n}",
            full_name="R",
            search_name="r",
            category=rng.choice(categories),
        )
        Episode.objects.create(
            facility=med.hospital,
            key=f"R{n}",
            patient=patient,
            category=patient.category,
            admitted_at=at(admit_day),
            admit_day=admit_day,
            admission_department=med.internal,
            department=med.internal,
            icd10="A09",
            icd_chapter="I",
            emergency=n % 4 == 0,
            discharged_at=at(discharge_day, 12) if discharge_day else None,
            discharge_day=discharge_day,
            discharge_kind=rng.choice(["home", "transfer", "died", "left"])
            if discharge_day
            else "",
            outcome="improved" if discharge_day else "",
            source="demo",
        )
    start, end = today - timedelta(days=20), today
    swept = day_figures(load_stays(med.hospital, start, end), start, end, {})
    grouped = day_figures_sql(med.hospital, start, end)
    for day in swept:
        a, b = swept[day], grouped[day]
        assert (dict(a.admitted), dict(a.discharged), dict(a.present)) == (
            dict(b.admitted),
            dict(b.discharged),
            dict(b.present),
        ), day
        assert (a.transferred, a.died, a.emergencies) == (b.transferred, b.died, b.emergencies)
