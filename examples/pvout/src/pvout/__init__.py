"""pvout: quality checks, energy totals and performance ratio for PV power output series.

The library is pure standard library. Start with :class:`PowerSeries` (kW) and, for
performance and night-noise checks, an :class:`IrradianceSeries` (plane-of-array W/m²).
"""

from pvout._version import get_version
from pvout.aggregate import daily_energy, daily_performance_ratio, monthly_energy
from pvout.energy import Rule, energy_kwh, integrate, interval_contributions, specific_yield
from pvout.performance import (
    STC_IRRADIANCE,
    insolation_kwh_m2,
    instantaneous_performance_ratio,
    performance_ratio,
    reference_yield,
)
from pvout.quality import (
    Flag,
    QualityIssue,
    check_quality,
    find_clipping,
    find_gaps,
    find_night_noise,
)
from pvout.series import IrradianceSeries, PowerSeries, SeriesError, TimeSeries, align

__version__ = get_version()

__all__ = [
    "STC_IRRADIANCE",
    "Flag",
    "IrradianceSeries",
    "PowerSeries",
    "QualityIssue",
    "Rule",
    "SeriesError",
    "TimeSeries",
    "__version__",
    "align",
    "check_quality",
    "daily_energy",
    "daily_performance_ratio",
    "energy_kwh",
    "find_clipping",
    "find_gaps",
    "find_night_noise",
    "insolation_kwh_m2",
    "instantaneous_performance_ratio",
    "integrate",
    "interval_contributions",
    "monthly_energy",
    "performance_ratio",
    "reference_yield",
    "specific_yield",
]
