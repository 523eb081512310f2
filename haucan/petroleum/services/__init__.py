"""Every change of the petroleum module (notes, catalog, plans, activity)."""

from __future__ import annotations

from haucan.petroleum.services.notes import (
    NoteInput,
    NoteKind,
    NoteLine,
    receive_note,
    record_note,
    reverse_note,
    submit_fuel_count,
)
from haucan.petroleum.services.setup import (
    ActivityInput,
    create_location,
    create_product,
    import_activities,
    record_activities,
    set_equipment,
    set_quota,
    set_reserve,
)

__all__ = [
    "ActivityInput",
    "NoteInput",
    "NoteKind",
    "NoteLine",
    "create_location",
    "create_product",
    "import_activities",
    "receive_note",
    "record_activities",
    "record_note",
    "reverse_note",
    "set_equipment",
    "set_quota",
    "set_reserve",
    "submit_fuel_count",
]
