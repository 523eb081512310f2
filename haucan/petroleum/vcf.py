"""Volume correction to 15 °C in the style of ASTM D1250 / API MPMS 11.1 (1980), Table 54B.

Table 54B ("generalized products") gives the volume correction factor VCF that converts a volume
measured at the observed temperature t to the volume at 15 °C, from the density at 15 °C, ρ15:

    α15 = K0 / ρ15² + K1 / ρ15                  (thermal expansion coefficient at 15 °C)
    VCF = exp(−α15 · Δt · (1 + 0.8 · α15 · Δt)),  Δt = t − 15 °C

with the constants of the product class, chosen by ρ15 (kg/m³):

    gasolines     610.5 ≤ ρ15 < 770.5   K0 = 346.4228   K1 = 0.4388
    transition    770.5 ≤ ρ15 < 787.5   α15 = −0.00336312 + 2680.3206 / ρ15²
    jet fuels     787.5 ≤ ρ15 < 839.0   K0 = 594.5418   K1 = 0
    fuel oils     839.0 ≤ ρ15 ≤ 1075    K0 = 186.9696   K1 = 0.4862

Table 53B is the inverse use: a hydrometer reads the density at t, and ρ15 is found by iterating
ρ15 = ρt / VCF(t, ρ15) (the hydrometer glass correction is ignored, as on the depots' paper
forms). Like the printed table, the factor is rounded to 4 decimals; the equations reproduce the
printed entries to ±0.0001 over −20…60 °C (tests/test_vcf.py cites the points checked). The 2004
revision of MPMS 11.1 changes the class boundaries slightly and adds an ITS-90 temperature shift;
its results differ from the 1980 table by less than 0.0002 for fuels at depot temperatures.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

DENSITY_MIN = 610.5  # kg/m³ at 15 °C: the range the table covers
DENSITY_MAX = 1075.0
TEMPERATURE_MIN = -20.0  # °C: what a depot in Viet Nam can plausibly measure
TEMPERATURE_MAX = 60.0


class OutOfRange(ValueError):
    pass


def alpha15(density15: float) -> float:
    """The thermal expansion coefficient at 15 °C of the product class of `density15`."""
    if not DENSITY_MIN <= density15 <= DENSITY_MAX:
        raise OutOfRange(f"density {density15} kg/m³ outside {DENSITY_MIN}–{DENSITY_MAX}")
    if density15 < 770.5:
        return 346.4228 / density15**2 + 0.4388 / density15
    if density15 < 787.5:
        return -0.00336312 + 2680.3206 / density15**2
    if density15 < 839.0:
        return 594.5418 / density15**2
    return 186.9696 / density15**2 + 0.4862 / density15


def vcf_raw(temperature: float, density15: float) -> float:
    if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
        raise OutOfRange(f"temperature {temperature} °C outside the table")
    a = alpha15(density15)
    delta = temperature - 15.0
    return math.exp(-a * delta * (1.0 + 0.8 * a * delta))


def vcf(temperature: float, density15: float) -> Decimal:
    """Table 54B: the factor to 15 °C, rounded to 4 decimals like the printed table."""
    return Decimal(repr(vcf_raw(temperature, density15))).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def density15_from_observed(temperature: float, observed_density: float) -> Decimal:
    """Table 53B-style: the density at 15 °C from a hydrometer reading at `temperature`,
    rounded to 0.1 kg/m³."""
    density = observed_density
    for _step in range(20):
        following = observed_density / vcf_raw(temperature, min(max(density, 610.5), 1075.0))
        if abs(following - density) < 1e-6:
            break
        density = following
    if not DENSITY_MIN <= density <= DENSITY_MAX:
        raise OutOfRange(f"density {density} kg/m³ at 15 °C outside the table")
    return Decimal(repr(density)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def volume15(volume: Decimal, temperature: float, density15: float) -> Decimal:
    """The volume at 15 °C in whole litres (the unit of the ledger and of the reports)."""
    return (volume * vcf(temperature, density15)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
