"""Data-quality flags for measured PV power: gaps, night-time noise and clipping.

Each check returns :class:`QualityIssue` records covering a time range ``[start, end]``:

* **gap** - more than ``max_missing`` consecutive samples are missing; ``start``/``end`` are
  the samples on either side of the hole.
* **night noise** - non-zero power while the sun is down, with "sun below the horizon"
  approximated by a plane-of-array irradiance at or below a threshold.
* **clipping** - a plateau of at least ``min_samples`` contiguous samples at the inverter's AC
  power limit.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pvout.series import IrradianceSeries, PowerSeries, TimeSeries, align

__all__ = [
    "Flag",
    "QualityIssue",
    "check_quality",
    "find_clipping",
    "find_gaps",
    "find_night_noise",
]


class Flag(enum.Enum):
    """Kind of data-quality problem."""

    GAP = "gap"
    NIGHT_NOISE = "night_noise"
    CLIPPING = "clipping"


@dataclass(frozen=True)
class QualityIssue:
    """One flagged time range; ``samples`` counts the affected (or, for gaps, missing) samples."""

    flag: Flag
    start: datetime
    end: datetime
    samples: int


def _runs(series: TimeSeries, flags: Sequence[bool], flag: Flag) -> list[QualityIssue]:
    """Group flagged samples into runs of contiguous samples (a gap always ends a run)."""
    issues: list[QualityIssue] = []
    first: int | None = None
    for index, flagged in enumerate(flags):
        if first is not None and not (flagged and series.is_contiguous(index)):
            issues.append(_issue(series, flag, first, index - 1))
            first = None
        if flagged and first is None:
            first = index
    if first is not None:
        issues.append(_issue(series, flag, first, len(flags) - 1))
    return issues


def _issue(series: TimeSeries, flag: Flag, first: int, last: int) -> QualityIssue:
    """Build the issue covering samples ``first`` to ``last`` inclusive."""
    return QualityIssue(flag, series.timestamps[first], series.timestamps[last], last - first + 1)


def find_gaps(series: TimeSeries, max_missing: int = 0) -> list[QualityIssue]:
    """Flag holes where more than ``max_missing`` consecutive samples are missing."""
    if max_missing < 0:
        raise ValueError(f"max_missing must be >= 0, got {max_missing}")
    issues = []
    for previous, current in zip(series.timestamps, series.timestamps[1:]):
        missing = (current - previous) // series.interval - 1
        if missing > max_missing:
            issues.append(QualityIssue(Flag.GAP, previous, current, missing))
    return issues


def find_night_noise(
    power: PowerSeries,
    irradiance: IrradianceSeries,
    dark_irradiance: float = 5.0,
    power_tolerance_kw: float = 0.01,
) -> list[QualityIssue]:
    """Flag runs where ``|P| > power_tolerance_kw`` while irradiance is ``<= dark_irradiance``.

    Only timestamps present in both series are inspected.
    """
    power, irradiance = align(power, irradiance)
    flags = [
        abs(kw) > power_tolerance_kw and w_m2 <= dark_irradiance
        for kw, w_m2 in zip(power.values, irradiance.values)
    ]
    return _runs(power, flags, Flag.NIGHT_NOISE)


def find_clipping(
    power: PowerSeries,
    ac_limit_kw: float,
    tolerance: float = 0.01,
    min_samples: int = 3,
) -> list[QualityIssue]:
    """Flag plateaus of ``min_samples`` or more contiguous samples at the AC limit.

    A sample is at the limit when ``P >= ac_limit_kw * (1 - tolerance)``.
    """
    if ac_limit_kw <= 0:
        raise ValueError(f"AC limit must be positive, got {ac_limit_kw} kW")
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance must be in [0, 1), got {tolerance}")
    if min_samples < 1:
        raise ValueError(f"min_samples must be >= 1, got {min_samples}")
    threshold = ac_limit_kw * (1.0 - tolerance)
    runs = _runs(power, [kw >= threshold for kw in power.values], Flag.CLIPPING)
    return [run for run in runs if run.samples >= min_samples]


def check_quality(
    power: PowerSeries,
    irradiance: IrradianceSeries | None = None,
    ac_limit_kw: float | None = None,
    max_missing: int = 0,
) -> list[QualityIssue]:
    """Run every check that the given inputs allow and return the issues sorted by start."""
    issues = find_gaps(power, max_missing)
    if irradiance is not None:
        issues += find_night_noise(power, irradiance)
    if ac_limit_kw is not None:
        issues += find_clipping(power, ac_limit_kw)
    return sorted(issues, key=lambda issue: (issue.start, issue.flag.value))
