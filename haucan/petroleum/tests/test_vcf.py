"""The 15 °C correction against Table 54B entries (ρ15 in kg/m³, t in °C, VCF to 4 decimals).

The points are entries of the 1980 Table 54B as commonly reproduced in depot handbooks (diesel
840 kg/m³ at 30 °C reads 0.9873; 850 at 25 °C reads 0.9917) and, for the other classes, the
values the 1980 equations give, which the printed table rounds to.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from haucan.petroleum.vcf import OutOfRange, density15_from_observed, vcf, volume15


@pytest.mark.parametrize(
    ("density", "temperature", "expected"),
    [
        (840.0, 30.0, "0.9873"),  # diesel, fuel-oil class
        (850.0, 25.0, "0.9917"),
        (840.0, 15.0, "1.0000"),
        (840.0, 5.0, "1.0084"),  # colder than 15 °C: the volume at 15 °C is larger
        (750.0, 30.0, "0.9819"),  # petrol, gasoline class
        (730.0, 35.0, "0.9748"),
        (800.0, 20.0, "0.9953"),  # jet fuel class
        (780.0, 25.0, "0.9895"),  # transition zone
    ],
)
def test_vcf_matches_table_54b(density: float, temperature: float, expected: str) -> None:
    assert vcf(temperature, density) == Decimal(expected)


def test_observed_density_is_corrected_to_15_degrees() -> None:
    # A hydrometer reads 832.3 kg/m³ at 30 °C in diesel of 842.0 kg/m³ at 15 °C.
    observed = 842.0 * float(vcf(30.0, 842.0))
    assert density15_from_observed(30.0, observed) == Decimal("842.0")


def test_volume_at_15_degrees_is_whole_litres() -> None:
    assert volume15(Decimal(10000), 30.0, 840.0) == Decimal(9873)


@pytest.mark.parametrize(("temperature", "density"), [(75.0, 840.0), (20.0, 500.0)])
def test_values_outside_the_table_are_refused(temperature: float, density: float) -> None:
    with pytest.raises(OutOfRange):
        vcf(temperature, density)
