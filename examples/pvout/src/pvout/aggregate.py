"""Daily and monthly energy totals and daily performance ratios.

Every interval contributes to the calendar day (or month) of its start timestamp, taken in
``tz`` when given and otherwise in the timestamp's own timezone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import TypeVar

from pvout.energy import Rule, interval_contributions
from pvout.performance import STC_IRRADIANCE
from pvout.series import IrradianceSeries, PowerSeries, TimeSeries, align

__all__ = ["daily_energy", "daily_performance_ratio", "monthly_energy"]

_K = TypeVar("_K")


def _local(stamp: datetime, tz: tzinfo | None) -> datetime:
    """Return ``stamp`` converted to ``tz``, or unchanged when ``tz`` is None."""
    return stamp if tz is None else stamp.astimezone(tz)


def _totals(series: TimeSeries, key: Callable[[datetime], _K], rule: Rule) -> dict[_K, float]:
    """Sum the integrated contributions of ``series`` per ``key(interval start)``."""
    totals: dict[_K, float] = {}
    for stamp, amount in interval_contributions(series, rule):
        bucket = key(stamp)
        totals[bucket] = totals.get(bucket, 0.0) + amount
    return totals


def daily_energy(
    power: PowerSeries, tz: tzinfo | None = None, rule: Rule = "trapezoid"
) -> dict[date, float]:
    """Return the energy in kWh per calendar day, in chronological order."""
    return _totals(power, lambda stamp: _local(stamp, tz).date(), rule)


def monthly_energy(
    power: PowerSeries, tz: tzinfo | None = None, rule: Rule = "trapezoid"
) -> dict[tuple[int, int], float]:
    """Return the energy in kWh per ``(year, month)``, in chronological order."""

    def month(stamp: datetime) -> tuple[int, int]:
        """Return the ``(year, month)`` of ``stamp`` in the target timezone."""
        local = _local(stamp, tz)
        return (local.year, local.month)

    return _totals(power, month, rule)


def daily_performance_ratio(
    power: PowerSeries,
    irradiance: IrradianceSeries,
    nominal_kwp: float,
    tz: tzinfo | None = None,
    rule: Rule = "trapezoid",
) -> dict[date, float]:
    """Return the performance ratio per day; days without irradiation are omitted."""
    if nominal_kwp <= 0:
        raise ValueError(f"nominal power must be positive, got {nominal_kwp} kWp")
    power, irradiance = align(power, irradiance)

    def day(stamp: datetime) -> date:
        """Return the calendar day of ``stamp`` in the target timezone."""
        return _local(stamp, tz).date()

    energy = _totals(power, day, rule)
    irradiation = _totals(irradiance, day, rule)
    return {
        key: (energy[key] / nominal_kwp) / (wh_m2 / STC_IRRADIANCE)
        for key, wh_m2 in irradiation.items()
        if wh_m2 > 0
    }
