"""Performance ratio of a PV system against plane-of-array irradiance (IEC 61724 style).

The performance ratio is ``PR = Yf / Yr`` with the final yield ``Yf = E / P0`` in kWh/kWp and
the reference yield ``Yr = H / G_STC`` in hours, where ``H`` is the POA irradiation in kWh/m²
and ``G_STC = 1 kW/m²``.
"""

from __future__ import annotations

from datetime import datetime

from pvout.energy import Rule, energy_kwh, integrate, specific_yield
from pvout.series import IrradianceSeries, PowerSeries, align

__all__ = [
    "STC_IRRADIANCE",
    "insolation_kwh_m2",
    "instantaneous_performance_ratio",
    "performance_ratio",
    "reference_yield",
]

STC_IRRADIANCE = 1000.0
"""Irradiance at standard test conditions in W/m²."""


def insolation_kwh_m2(irradiance: IrradianceSeries, rule: Rule = "trapezoid") -> float:
    """Return the irradiation (insolation) in kWh/m² of an irradiance series in W/m²."""
    return integrate(irradiance, rule) / 1000.0


def reference_yield(irradiance: IrradianceSeries, rule: Rule = "trapezoid") -> float:
    """Return the reference yield in hours: irradiation divided by the STC irradiance."""
    return insolation_kwh_m2(irradiance, rule) / (STC_IRRADIANCE / 1000.0)


def performance_ratio(
    power: PowerSeries,
    irradiance: IrradianceSeries,
    nominal_kwp: float,
    rule: Rule = "trapezoid",
) -> float:
    """Return the performance ratio over the timestamps both series have in common.

    Raises :class:`ValueError` if the common period received no irradiation.
    """
    power, irradiance = align(power, irradiance)
    reference = reference_yield(irradiance, rule)
    if reference <= 0:
        raise ValueError("no irradiation in the common period; performance ratio undefined")
    return specific_yield(energy_kwh(power, rule), nominal_kwp) / reference


def instantaneous_performance_ratio(
    power: PowerSeries,
    irradiance: IrradianceSeries,
    nominal_kwp: float,
    min_irradiance: float = 50.0,
) -> list[tuple[datetime, float]]:
    """Return ``(timestamp, PR)`` per common sample whose irradiance is >= ``min_irradiance``.

    The per-sample ratio is ``P / (P0 * G / G_STC)``; low-irradiance samples are skipped
    because the ratio is dominated by noise there.
    """
    if nominal_kwp <= 0:
        raise ValueError(f"nominal power must be positive, got {nominal_kwp} kWp")
    power, irradiance = align(power, irradiance)
    floor = max(min_irradiance, 1e-9)
    return [
        (stamp, kw / (nominal_kwp * w_m2 / STC_IRRADIANCE))
        for (stamp, kw), (_, w_m2) in zip(power, irradiance)
        if w_m2 >= floor
    ]
