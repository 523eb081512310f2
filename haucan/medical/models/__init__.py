"""Models of the military medicine module (quân y)."""

from haucan.medical.models.epidemic import CaseReport, Outbreak, OutbreakDay
from haucan.medical.models.episodes import (
    DischargeKind,
    EntrySource,
    Episode,
    EpisodeMove,
    Outcome,
    OutpatientCount,
    Patient,
    PatientCategory,
    Sex,
)
from haucan.medical.models.facilities import (
    BedCount,
    BedPolicy,
    Department,
    Facility,
    StaffCategory,
    StaffOnDuty,
    Tier,
)
from haucan.medical.models.supplies import SupplyGroup, SupplyItem

__all__ = [
    "BedCount",
    "BedPolicy",
    "CaseReport",
    "Department",
    "DischargeKind",
    "EntrySource",
    "Episode",
    "EpisodeMove",
    "Facility",
    "Outbreak",
    "OutbreakDay",
    "Outcome",
    "OutpatientCount",
    "Patient",
    "PatientCategory",
    "Sex",
    "StaffCategory",
    "StaffOnDuty",
    "SupplyGroup",
    "SupplyItem",
    "Tier",
]
