from haucan.barracks.models.buildings import Assessment, Building, BuildingGrade, Repair
from haucan.barracks.models.classification import (
    BuildingType,
    ConditionLevel,
    DurabilityClass,
    LandPurpose,
)
from haucan.barracks.models.land import (
    AreaEvent,
    AreaEventKind,
    CaseDocument,
    CaseKind,
    CaseStatus,
    CaseStep,
    LandCase,
    LandCertificate,
    LandSite,
    LandTransfer,
    PartyKind,
    TransferKind,
)

__all__ = [
    "AreaEvent",
    "AreaEventKind",
    "Assessment",
    "Building",
    "BuildingGrade",
    "BuildingType",
    "CaseDocument",
    "CaseKind",
    "CaseStatus",
    "CaseStep",
    "ConditionLevel",
    "DurabilityClass",
    "LandCase",
    "LandCertificate",
    "LandPurpose",
    "LandSite",
    "LandTransfer",
    "PartyKind",
    "Repair",
    "TransferKind",
]
