"""Effective-dated rates and norms, read from the catalog's norm tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from haucan.catalog.queries import norm_value
from haucan.petroleum.models import EquipmentType, LossRate, Product


def loss_rate(product: Product, stage: str, on: date) -> Decimal:
    """The maximum loss rate (%) of the product at the stage on the date; 0 when none is set
    (every loss then needs an explanation)."""
    mapping = LossRate.objects.filter(product=product, stage=stage).first()
    if mapping is None:
        return Decimal(0)
    norm = norm_value(mapping.norm_set_code, mapping.norm_item_code, on)
    return norm.value if norm is not None else Decimal(0)


def consumption_norm(equipment_type: EquipmentType, on: date) -> Decimal | None:
    """Litres per 100 km, per km or per hour (see `equipment_type.basis`) in force on the date."""
    norm = norm_value(equipment_type.norm_set_code, equipment_type.norm_item_code, on)
    return norm.value if norm is not None else None
