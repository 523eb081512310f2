from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from haucan.catalog.models import DataSet
from haucan.core.scope import Scope
from haucan.inventory.models import Location
from haucan.inventory.services import PostResult
from haucan.petroleum.models import Channel, LocationKind, Product, ProductGroup
from haucan.petroleum.seed import ensure_standard_catalog
from haucan.petroleum.services import (
    NoteInput,
    NoteKind,
    NoteLine,
    create_location,
    record_note,
    set_reserve,
)
from haucan.testing import World


@dataclass
class Fuel:
    diesel: Product
    petrol: Product
    diesel_group: ProductGroup
    depot_a: Location  # Trung đoàn 1's fuel point
    tank_a: Location  # a 20 000 l diesel tank under it
    depot_b: Location  # Trung đoàn 2's fuel point


@pytest.fixture
def fuel(world: World) -> Fuel:
    from haucan.demo.catalog import load_catalog, read_catalog

    system = Scope.system("test")
    with transaction.atomic():
        load_catalog(system, read_catalog())
    for data_set in DataSet.objects.filter(domain="petroleum"):
        data_set.units.add(world.regiment_a, world.regiment_b, world.division)
    ensure_standard_catalog(system)
    diesel = Product.objects.get(item__code="DO_005S")
    depot_a = create_location(
        system,
        unit=world.regiment_a,
        code="E1-XD",
        name="Điểm cấp phát E1",
        kind=LocationKind.FUEL_POINT,
    )
    tank_a = create_location(
        system,
        unit=world.regiment_a,
        code="E1-B1",
        name="Bể số 1",
        kind=LocationKind.TANK,
        parent=depot_a,
        capacity=Decimal(20000),
        product=diesel,
    )
    depot_b = create_location(
        system,
        unit=world.regiment_b,
        code="E2-XD",
        name="Điểm cấp phát E2",
        kind=LocationKind.FUEL_POINT,
    )
    set_reserve(system, unit=world.regiment_a, group=diesel.group, quantity=Decimal(5000))
    return Fuel(
        diesel,
        Product.objects.get(item__code="E5_RON92"),
        diesel.group,
        depot_a,
        tank_a,
        depot_b,
    )


NoteFn = Callable[..., object]


def note(
    scope: Scope,
    kind: str,
    location: Location,
    product: Product,
    quantity: str | int,
    day: date,
    **fields: object,
) -> PostResult:
    line_fields = {
        k: fields.pop(k) for k in ("due", "temperature", "density", "price", "base") if k in fields
    }
    return record_note(
        scope,
        NoteInput(
            kind=kind,
            unit=location.unit,
            location=location,
            date=day,
            channel=str(fields.pop("channel", Channel.ROUTINE)),
            lines=[NoteLine(product=product, quantity=Decimal(str(quantity)), **line_fields)],  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        ),
    )


__all__ = ["Fuel", "NoteKind", "note"]
