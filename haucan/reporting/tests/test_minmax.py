from __future__ import annotations

import pytest

from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.reporting.models import MinMaxLimit
from haucan.reporting.services.minmax import bounds, generate_limits, set_limit
from haucan.reporting.services.values import CellInput, resolve_target, save_values


def test_bounds_by_sd_and_by_mad():
    history = [10.0, 12.0, 11.0, 13.0, 9.0]
    assert bounds(history, "sd", 2) == pytest.approx((8.1716, 13.8284), abs=1e-3)
    # One wild value barely moves the MAD bounds but stretches the SD ones.
    wild = [*history, 500.0]
    sd_bounds, mad_bounds = bounds(wild, "sd", 2), bounds(wild, "mad", 3)
    assert sd_bounds is not None and mad_bounds is not None
    sd_high, mad_high = sd_bounds[1], mad_bounds[1]
    assert sd_high > 400 and mad_high < 20
    assert bounds([1.0, 2.0], "sd", 2) is None
    with pytest.raises(ValidationFailed):
        bounds(history, "magic", 2)


def test_generated_limits_warn_at_entry(world, scope_of, fuel_form):
    clerk = scope_of("clerk_a")
    for month, value in zip(
        ["202301", "202302", "202303", "202304", "202305"], [10, 12, 11, 13, 9], strict=True
    ):
        target = resolve_target(clerk, fuel_form.data_set, world.regiment_a, month)
        save_values(clerk, target, [CellInput("PET_ISSUED", str(value))])
    created = generate_limits(scope_of("specialist"), fuel_form.data_set, world.division)
    assert created == 1
    target = resolve_target(clerk, fuel_form.data_set, world.regiment_a, "202306")
    result = save_values(clerk, target, [CellInput("PET_ISSUED", "95")])
    warning = result.out_of_range[0]
    assert (warning.value, round(warning.maximum, 2)) == (95.0, 13.83)
    assert save_values(clerk, target, [CellInput("PET_ISSUED", "11")]).out_of_range == []


def test_manual_limits_survive_regeneration_and_clerks_cannot_set_them(world, scope_of, fuel_form):
    coc = fuel_form.issued.category_combo.option_combos.get()
    set_limit(scope_of("specialist"), fuel_form.issued, world.regiment_a, coc.pk, 0, 50)
    generate_limits(scope_of("specialist"), fuel_form.data_set, world.division)
    limit = MinMaxLimit.objects.get()
    assert (limit.maximum, limit.generated) == (50, False)
    with pytest.raises(PermissionDenied):
        set_limit(scope_of("clerk_a"), fuel_form.issued, world.regiment_a, coc.pk, 0, 5)
