from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from haucan.alerts.models import AlertRule
from haucan.alerts.rules import save_rule
from haucan.catalog.models import ValidationRule
from haucan.catalog.services import default_option_combo
from haucan.core.periods import parse_period
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.org.services import UnitSpec, create_unit
from haucan.reporting.services.values import CellInput, Target, save_values
from haucan.testing import OPENED, FuelForm, World, build_fuel_form

TODAY = date(2026, 11, 20)  # the period checked is November 2026 (202611)
SYSTEM = Scope.system("alerts test")


@pytest.fixture
def battalion_a2(world: World) -> Unit:
    return create_unit(
        SYSTEM,
        spec=UnitSpec(name="Tiểu đoàn 2", code="F324-E1-D2", identifier="024.01.02.G07"),
        parent=world.regiment_a,
        opened_on=OPENED,
    )


@pytest.fixture
def fuel(world: World, battalion_a2: Unit) -> FuelForm:
    return build_fuel_form([world.battalion_a, battalion_a2, world.battalion_b])


Put = Callable[[Unit, str, dict[tuple[str, str | None], float | None]], None]


@pytest.fixture
def put(fuel: FuelForm) -> Put:
    """Save values of the fuel form through the one write path (as a clerk would)."""
    default = default_option_combo()

    def write(unit: Unit, period: str, cells: dict[tuple[str, str | None], float | None]) -> None:
        target = Target(fuel.data_set, unit, parse_period(period), default)
        save_values(
            SYSTEM,
            target,
            [CellInput(de, None if v is None else f"{v:g}", coc) for (de, coc), v in cells.items()],
        )

    return write


@pytest.fixture
def make_rule(fuel: FuelForm) -> Callable[..., AlertRule]:
    def make(**data: object) -> AlertRule:
        base: dict[str, object] = {"domain": "petroleum", "severity": "warning", "lookback": 1}
        base.update(data)
        return save_rule(SYSTEM, base)

    return make


@pytest.fixture
def issued_within_stock(fuel: FuelForm) -> ValidationRule:
    """A monthly validation rule of the fuel form: the issues may not exceed the stock."""
    return ValidationRule.objects.create(
        code="ISSUED_LE_STOCK",
        name="Xuất không vượt tồn",
        period_type="Monthly",
        left="#{PET_ISSUED}",
        operator="less_than_or_equal_to",
        right="#{PET_STOCK}",
    )
