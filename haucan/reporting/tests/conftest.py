from __future__ import annotations

from dataclasses import dataclass

import pytest

from haucan.catalog.models import DataElement, DataSet, DataSetElement, ValueType
from haucan.catalog.services import create_category_combo, ensure_default_combo
from haucan.core.scope import Scope
from haucan.testing import World


@dataclass
class Form:
    data_set: DataSet
    stock: DataElement  # disaggregated by fuel group
    issued: DataElement
    note: DataElement


@pytest.fixture
def fuel_form(world: World) -> Form:
    """A monthly petroleum form assigned to both regiments."""
    system = Scope.system("test")
    default = ensure_default_combo()
    fuel = create_category_combo(
        system,
        code="FUEL",
        name="Nhóm xăng dầu",
        categories=[("FUEL_GROUP", "Nhóm xăng dầu", [("A92", "Xăng A92"), ("DO", "Diesel")])],
    )
    stock = DataElement.objects.create(
        code="PET_STOCK",
        name="Tồn cuối kỳ",
        domain="petroleum",
        value_type=ValueType.INTEGER_ZERO_OR_POSITIVE,
        aggregation_type="LAST",
        category_combo=fuel,
    )
    issued = DataElement.objects.create(
        code="PET_ISSUED",
        name="Xuất trong kỳ",
        domain="petroleum",
        value_type=ValueType.NUMBER,
        category_combo=default,
    )
    note = DataElement.objects.create(
        code="PET_NOTE",
        name="Ghi chú",
        domain="petroleum",
        value_type=ValueType.TEXT,
        category_combo=default,
    )
    data_set = DataSet.objects.create(
        code="PET_MONTHLY",
        name="Báo cáo xăng dầu tháng",
        domain="petroleum",
        period_type="Monthly",
        category_combo=default,
        timely_days=10,
        expiry_days=0,
    )
    for element in (stock, issued, note):
        DataSetElement.objects.create(data_set=data_set, data_element=element)
    data_set.units.add(world.regiment_a, world.regiment_b)
    return Form(data_set, stock, issued, note)
