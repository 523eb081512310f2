"""The fixed test world shared by every app's tests (DESIGN.md §10).

A small tree: Bộ Quốc phòng → Quân khu 4 → Sư đoàn 324 → Trung đoàn 1 / Trung đoàn 2, each regiment
with one battalion. The personas: `clerk_a` enters data for Trung đoàn 1, `clerk_b` for its sibling
Trung đoàn 2 (the outsider), `commander` leads the division above both, `specialist` designs the
petroleum catalog army-wide, and `admin` administers everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
from haucan.catalog.models import CategoryCombo, DataElement, DataSet, DataSetElement, ValueType
from haucan.catalog.services import create_category_combo, ensure_default_combo
from haucan.core.scope import Domain, Scope
from haucan.org.models import Unit
from haucan.org.services import UnitSpec, create_unit

PASSWORD = "Haucan-test-2024"
OPENED = date(2020, 1, 1)


@dataclass
class World:
    ministry: Unit
    region: Unit
    division: Unit
    regiment_a: Unit
    regiment_b: Unit
    battalion_a: Unit
    battalion_b: Unit
    clerk_a: User
    clerk_b: User
    commander: User
    specialist: User
    admin: User

    def user(self, name: str) -> User:
        user: User = getattr(self, name)
        return user


def build_world() -> World:
    system = Scope.system("test world")

    def unit(name: str, code: str, parent: Unit | None, identifier: str) -> Unit:
        return create_unit(
            system,
            spec=UnitSpec(name=name, code=code, identifier=identifier),
            parent=parent,
            opened_on=OPENED,
        )

    ministry = unit("Bộ Quốc phòng", "BQP", None, "000.00.00.G07")
    region = unit("Quân khu 4", "QK4", ministry, "000.00.04.G07")
    division = unit("Sư đoàn 324", "F324", region, "000.04.24.G07")
    regiment_a = unit("Trung đoàn 1", "F324-E1", division, "004.24.01.G07")
    regiment_b = unit("Trung đoàn 2", "F324-E2", division, "004.24.02.G07")
    battalion_a = unit("Tiểu đoàn 1", "F324-E1-D1", regiment_a, "024.01.01.G07")
    battalion_b = unit("Tiểu đoàn 4", "F324-E2-D4", regiment_b, "024.02.04.G07")

    def user(name: str, full_name: str, *, superuser: bool = False) -> User:
        return create_user(
            system,
            username=name,
            password=PASSWORD,
            full_name=full_name,
            is_superuser=superuser,
            check_password=False,
        )

    clerk_a = user("clerk_a", "Nguyễn Văn An")
    clerk_b = user("clerk_b", "Trần Văn Bình")
    commander = user("commander", "Lê Văn Cường")
    specialist = user("specialist", "Phạm Thị Dung")
    admin = user("admin", "Hoàng Văn Em", superuser=True)
    assign(system, clerk_a, regiment_a, "clerk")
    assign(system, clerk_b, regiment_b, "clerk")
    assign(system, commander, division, "commander")
    assign(system, specialist, ministry, "specialist", Domain.PETROLEUM)
    assign(system, admin, ministry, "admin")
    return World(
        ministry,
        region,
        division,
        regiment_a,
        regiment_b,
        battalion_a,
        battalion_b,
        clerk_a,
        clerk_b,
        commander,
        specialist,
        admin,
    )


@dataclass
class FuelForm:
    data_set: DataSet
    stock: DataElement  # LAST, disaggregated by fuel group (FUEL_1 = A92, FUEL_2 = Diesel)
    issued: DataElement  # SUM, number
    note: DataElement  # text


def build_fuel_form(units: Iterable[Unit]) -> FuelForm:
    """A small monthly petroleum form assigned to `units`, shared by the reporting and analytics
    tests."""
    system = Scope.system("test")
    default = ensure_default_combo()
    fuel = create_category_combo(
        system,
        code="FUEL",
        name="Nhóm xăng dầu",
        categories=[("FUEL_GROUP", "Nhóm xăng dầu", [("A92", "Xăng A92"), ("DO", "Diesel")])],
    )

    def element(
        code: str, name: str, value_type: str, aggregation: str, combo: CategoryCombo
    ) -> DataElement:
        return DataElement.objects.create(
            code=code,
            name=name,
            domain="petroleum",
            value_type=value_type,
            aggregation_type=aggregation,
            category_combo=combo,
        )

    stock = element("PET_STOCK", "Tồn cuối kỳ", ValueType.INTEGER_ZERO_OR_POSITIVE, "LAST", fuel)
    issued = element("PET_ISSUED", "Xuất trong kỳ", ValueType.NUMBER, "SUM", default)
    note = element("PET_NOTE", "Ghi chú", ValueType.TEXT, "NONE", default)
    data_set = DataSet.objects.create(
        code="PET_MONTHLY",
        name="Báo cáo xăng dầu tháng",
        domain="petroleum",
        period_type="Monthly",
        category_combo=default,
        timely_days=10,
        expiry_days=0,
    )
    DataSetElement.objects.bulk_create(
        DataSetElement(data_set=data_set, data_element=e) for e in (stock, issued, note)
    )
    data_set.units.add(*units)
    return FuelForm(data_set, stock, issued, note)
