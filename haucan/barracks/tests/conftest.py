from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from haucan.barracks.classifications import seed
from haucan.barracks.models import (
    BuildingType,
    ConditionLevel,
    DurabilityClass,
    LandPurpose,
    LandSite,
)
from haucan.barracks.services.buildings import BuildingInput, register_building
from haucan.barracks.services.land import SiteInput, create_site
from haucan.core.scope import Scope
from haucan.demo.catalog import load_catalog, read_catalog
from haucan.org.models import Unit
from haucan.testing import World


@pytest.fixture(autouse=True)
def _classifications(request: pytest.FixtureRequest) -> None:
    """Migration 0002 seeds the classification tables, but a transactional test before this one
    (a browser test, anywhere in the suite) flushes them: seed again, which is a no-op otherwise."""
    uses_db = "db" in request.fixturenames or "transactional_db" in request.fixturenames
    if not uses_db and request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue(
        "transactional_db" if "transactional_db" in request.fixturenames else "db"
    )
    seed(LandPurpose, BuildingType, DurabilityClass, ConditionLevel)


@pytest.fixture
def barracks_forms(db: None) -> None:
    """The demo catalog's forms, among them the four barracks forms the registry publishes."""
    load_catalog(Scope.system("test catalog"), read_catalog())


@pytest.fixture
def make_site(world: World) -> Callable[..., LandSite]:
    counter = iter(range(1, 1000))

    def make(
        unit: Unit | None = None,
        *,
        total: str = "10000",
        purposes: dict[str, str] | None = None,
        opened_on: date = date(2020, 1, 1),
        **extra: Any,
    ) -> LandSite:
        n = next(counter)
        return create_site(
            Scope.system("test"),
            SiteInput(
                code=extra.pop("code", f"KD-{n:03d}"),
                name=extra.pop("name", f"Khu đất số {n}"),
                unit=unit or world.regiment_a,
                opened_on=opened_on,
                total_area=Decimal(total),
                purpose_areas=purposes if purposes is not None else {"DOANH_TRAI": total},
                **extra,
            ),
        )

    return make


@pytest.fixture
def make_building() -> Callable[..., Any]:
    counter = iter(range(1, 10000))

    def make(site: LandSite, **values: Any) -> Any:
        n = next(counter)
        spec: dict[str, Any] = {
            "site": site,
            "code": f"CT-{n:04d}",
            "name": f"Nhà số {n}",
            "type": BuildingType.objects.get(code=values.pop("type", "NHA_O")),
            "durability": DurabilityClass.objects.get(code=values.pop("durability", "III")),
            "condition": ConditionLevel.objects.get(code=values.pop("condition", "TOT")),
            "year_built": 2010,
            "year_in_service": 2011,
            "built_area": Decimal("100"),
            "floors": 2,
            "capacity": 40,
        }
        spec.update(values)
        return register_building(Scope.system("test"), BuildingInput(**spec))

    return make
