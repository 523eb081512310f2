"""Bulk loading of values that are known to be new (the demo army, initial migrations of data).

Ordinary writes use `save_values`, which checks each value and audits it one by one; this path
skips those per-value steps and is audited as one event, so it is for trusted loaders only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from haucan.audit import services as audit
from haucan.core.errors import PermissionDenied
from haucan.core.scope import Scope
from haucan.reporting.models import CompleteRegistration, DataValue, Origin, ValueChange


@dataclass(frozen=True)
class NewValue:
    data_element_id: int
    period: str
    period_start: date
    period_end: date
    unit_id: int
    category_option_combo_id: int
    attribute_option_combo_id: int
    value: str
    numeric_value: float | None
    stored_at: datetime | None = None


@transaction.atomic
def bulk_insert_values(
    scope: Scope, rows: Iterable[NewValue], *, origin: str = Origin.DEMO, batch_size: int = 5000
) -> int:
    """Insert values that do not exist yet; returns the number inserted."""
    if not scope.is_admin:
        raise PermissionDenied("Bulk loading is reserved to the system.")
    now = timezone.now()
    batch: list[DataValue] = []
    total = 0
    for row in rows:
        stamp = row.stored_at or now
        batch.append(
            DataValue(
                data_element_id=row.data_element_id,
                period=row.period,
                period_start=row.period_start,
                period_end=row.period_end,
                unit_id=row.unit_id,
                category_option_combo_id=row.category_option_combo_id,
                attribute_option_combo_id=row.attribute_option_combo_id,
                value=row.value,
                numeric_value=row.numeric_value,
                stored_by=scope.username,
                origin=origin,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        if len(batch) >= batch_size:
            DataValue.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    if batch:
        DataValue.objects.bulk_create(batch)
        total += len(batch)
    # One marker instead of a change row per value: analytics rebuilds its rollups from scratch.
    ValueChange.objects.create(reset=True)
    audit.record(scope, "reporting.values.bulk_insert", None, {"count": total, "origin": origin})
    return total


@dataclass(frozen=True)
class NewCompletion:
    data_set_id: int
    period: str
    unit_id: int
    attribute_option_combo_id: int
    completed_at: datetime
    completed_by: str
    on_time: bool


@transaction.atomic
def bulk_insert_completions(
    scope: Scope, rows: Iterable[NewCompletion], *, batch_size: int = 5000
) -> int:
    """Insert submissions ("Nộp báo cáo") that do not exist yet; returns the number inserted."""
    if not scope.is_admin:
        raise PermissionDenied("Bulk loading is reserved to the system.")
    batch: list[CompleteRegistration] = []
    total = 0
    for row in rows:
        batch.append(
            CompleteRegistration(
                data_set_id=row.data_set_id,
                period=row.period,
                unit_id=row.unit_id,
                attribute_option_combo_id=row.attribute_option_combo_id,
                is_complete=True,
                completed_at=row.completed_at,
                completed_by=row.completed_by,
                on_time=row.on_time,
            )
        )
        if len(batch) >= batch_size:
            CompleteRegistration.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    if batch:
        CompleteRegistration.objects.bulk_create(batch)
        total += len(batch)
    audit.record(scope, "reporting.completions.bulk_insert", None, {"count": total})
    return total
