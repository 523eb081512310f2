from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.dashboards import services
from haucan.dashboards.models import Dashboard, Visualization
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.reporting.tests.conftest import Form, fuel_form  # noqa: F401 - shared fixture
from haucan.testing import World

ALL_ROLES = ["commander", "specialist", "clerk", "viewer", "approver"]


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


@dataclass
class Board:
    dashboard: Dashboard
    by_unit: Visualization  # PET_ISSUED per child of the selected unit, column chart
    total: Visualization  # PET_ISSUED of the selected unit, KPI
    pivot: Visualization  # PET_ISSUED and PET_STOCK per child, pivot table


@pytest.fixture
def issued(world: World, fuel_form: Form, scope_of) -> dict[str, str]:  # noqa: F811
    """Each clerk types PET_ISSUED for their own regiment last month: 1.234,5 and 250."""
    period = last_month()
    for name, unit, value in (
        ("clerk_a", world.regiment_a, "1234,5"),
        ("clerk_b", world.regiment_b, "250"),
    ):
        scope = scope_of(name)
        target = resolve_target(scope, fuel_form.data_set, unit, period)
        save_values(scope, target, [CellInput("PET_ISSUED", value)])
    return {"period": period}


@pytest.fixture
def board(world: World, fuel_form: Form) -> Board:  # noqa: F811
    system = Scope.system("test")
    pe = [last_month()]

    def vis(code: str, type_: str, dx: list[str], ou: str, rows: list[str], cols: list[str]):
        created = services.create_visualization(
            system,
            services.VisualizationSpec(
                code=code,
                name=f"Xuất xăng dầu {code}",
                type=type_,
                query={"dx": dx, "pe": pe, "ou": [ou], "rows": rows, "columns": cols},
                domain="petroleum",
            ),
        )
        services.share(system, created, roles=ALL_ROLES)
        return created

    by_unit = vis("V_BY_UNIT", "column", ["PET_ISSUED"], "USER_ORGUNIT_CHILDREN", ["ou"], ["dx"])
    total = vis("V_TOTAL", "kpi", ["PET_ISSUED"], "USER_ORGUNIT", [], ["dx"])
    pivot = vis(
        "V_PIVOT", "pivot", ["PET_ISSUED", "PET_STOCK"], "USER_ORGUNIT_CHILDREN", ["ou"], ["dx"]
    )
    dashboard = services.create_dashboard(
        system, code="DB_TEST", name="Bảng điều hành xăng dầu", domain="petroleum"
    )
    for item in (total, by_unit, pivot):
        services.add_item(system, dashboard, item, width=6)
    services.share(system, dashboard, roles=ALL_ROLES)
    return Board(dashboard, by_unit, total, pivot)
