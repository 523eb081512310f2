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
from haucan.reporting.models import DataValue, Origin


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
    audit.record(scope, "reporting.values.bulk_insert", None, {"count": total, "origin": origin})
    return total
