from __future__ import annotations

import pytest

from haucan.testing import FuelForm, World, build_fuel_form

Form = FuelForm  # the name the reporting tests use


@pytest.fixture
def fuel_form(world: World) -> FuelForm:
    """A monthly petroleum form assigned to both regiments."""
    return build_fuel_form([world.regiment_a, world.regiment_b])
