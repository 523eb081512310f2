"""The fixed test world shared by every app's tests (DESIGN.md §10).

A small tree: Bộ Quốc phòng → Quân khu 4 → Sư đoàn 324 → Trung đoàn 1 / Trung đoàn 2, each regiment
with one battalion. The personas: `clerk_a` enters data for Trung đoàn 1, `clerk_b` for its sibling
Trung đoàn 2 (the outsider), `commander` leads the division above both, `specialist` designs the
petroleum catalog army-wide, and `admin` administers everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from haucan.accounts.models import User
from haucan.accounts.services import assign, create_user
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
