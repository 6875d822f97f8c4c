"""Energy from power samples by numerical integration, and specific yield.

Two integration rules are supported:

``"trapezoid"``
    Samples are instantaneous readings. Each pair of *contiguous* samples contributes
    ``(p0 + p1) / 2 * interval``; nothing is interpolated across a gap.
``"rectangle"``
    Each sample is the mean power over the interval that *starts* at its timestamp and
    contributes ``p * interval`` (the usual convention of logger averages).

Each contribution is attributed to the timestamp at which its interval starts, which is what
the daily and monthly aggregation relies on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pvout.series import PowerSeries, TimeSeries

__all__ = ["Rule", "energy_kwh", "integrate", "interval_contributions", "specific_yield"]

Rule = Literal["trapezoid", "rectangle"]


def interval_contributions(
    series: TimeSeries, rule: Rule = "trapezoid"
) -> list[tuple[datetime, float]]:
    """Return ``(interval start, value × hours)`` for every interval covered by ``series``."""
    if rule not in get_args(Rule):
        raise ValueError(f"unknown integration rule {rule!r}; use 'trapezoid' or 'rectangle'")
    hours = series.interval_hours
    if rule == "rectangle":
        return [(stamp, value * hours) for stamp, value in series]
    contributions = []
    for index in range(1, len(series)):
        if series.is_contiguous(index):
            mean = (series.values[index - 1] + series.values[index]) / 2.0
            contributions.append((series.timestamps[index - 1], mean * hours))
    return contributions


def integrate(series: TimeSeries, rule: Rule = "trapezoid") -> float:
    """Integrate ``series`` over time; the result is in the series unit multiplied by hours."""
    return sum(amount for _, amount in interval_contributions(series, rule))


def energy_kwh(power: PowerSeries, rule: Rule = "trapezoid") -> float:
    """Return the energy in kWh delivered by a power series in kW."""
    return integrate(power, rule)


def specific_yield(energy: float, peak_power_kwp: float) -> float:
    """Return the specific yield in kWh/kWp (equivalent full-load hours) of ``energy`` kWh."""
    if peak_power_kwp <= 0:
        raise ValueError(f"peak power must be positive, got {peak_power_kwp} kWp")
    return energy / peak_power_kwp
