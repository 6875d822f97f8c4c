"""Validated, timestamped time series with a fixed sampling interval.

A series holds timezone-aware timestamps in strictly increasing order. Every step between two
consecutive timestamps is a whole multiple of the sampling interval: a step of exactly one
interval means the samples are contiguous, a longer step is a gap (missing samples).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Self, TypeVar

__all__ = ["IrradianceSeries", "PowerSeries", "SeriesError", "TimeSeries", "align"]


class SeriesError(ValueError):
    """Raised when a series is malformed or two series cannot be combined."""


def _is_aware(timestamp: datetime) -> bool:
    """Return True if ``timestamp`` carries a usable UTC offset."""
    return timestamp.tzinfo is not None and timestamp.utcoffset() is not None


@dataclass(frozen=True)
class TimeSeries:
    """Timestamped samples of one physical quantity at a fixed sampling interval.

    Prefer the unit-specific subclasses :class:`PowerSeries` and :class:`IrradianceSeries`.
    """

    timestamps: tuple[datetime, ...]
    values: tuple[float, ...]
    interval: timedelta
    unit: ClassVar[str] = ""

    def __post_init__(self) -> None:
        """Normalise the containers to tuples of floats and validate the samples."""
        object.__setattr__(self, "timestamps", tuple(self.timestamps))
        object.__setattr__(self, "values", tuple(float(value) for value in self.values))
        self._validate()

    def _validate(self) -> None:
        """Raise :class:`SeriesError` unless the series satisfies all invariants."""
        if self.interval <= timedelta(0):
            raise SeriesError(f"interval must be positive, got {self.interval}")
        if len(self.timestamps) != len(self.values):
            raise SeriesError(
                f"{len(self.timestamps)} timestamps but {len(self.values)} values were given"
            )
        for timestamp in self.timestamps:
            if not _is_aware(timestamp):
                raise SeriesError(f"timestamp {timestamp.isoformat()} is not timezone-aware")
        for value in self.values:
            if not math.isfinite(value):
                raise SeriesError(f"value {value!r} is not finite")
        for previous, current in zip(self.timestamps, self.timestamps[1:]):
            step = current - previous
            if step == timedelta(0):
                raise SeriesError(f"duplicate timestamp {current.isoformat()}")
            if step < timedelta(0):
                raise SeriesError(f"timestamp {current.isoformat()} is out of order")
            if step % self.interval:
                raise SeriesError(
                    f"step {step} before {current.isoformat()} is not a multiple of {self.interval}"
                )

    @classmethod
    def regular(cls, start: datetime, interval: timedelta, values: Iterable[float]) -> Self:
        """Build a gap-free series whose first sample is at ``start``."""
        samples = tuple(values)
        stamps = tuple(start + index * interval for index in range(len(samples)))
        return cls(stamps, samples, interval)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[datetime, float]], interval: timedelta) -> Self:
        """Build a series from ``(timestamp, value)`` pairs, which must already be sorted."""
        items = tuple(pairs)
        return cls(tuple(item[0] for item in items), tuple(item[1] for item in items), interval)

    def __len__(self) -> int:
        """Return the number of samples."""
        return len(self.values)

    def __iter__(self) -> Iterator[tuple[datetime, float]]:
        """Iterate over ``(timestamp, value)`` pairs in time order."""
        return iter(zip(self.timestamps, self.values))

    @property
    def interval_hours(self) -> float:
        """Return the sampling interval expressed in hours."""
        return self.interval / timedelta(hours=1)

    @property
    def start(self) -> datetime:
        """Return the first timestamp; raise :class:`SeriesError` for an empty series."""
        if not self.timestamps:
            raise SeriesError("empty series has no start")
        return self.timestamps[0]

    @property
    def end(self) -> datetime:
        """Return the last timestamp; raise :class:`SeriesError` for an empty series."""
        if not self.timestamps:
            raise SeriesError("empty series has no end")
        return self.timestamps[-1]

    def is_contiguous(self, index: int) -> bool:
        """Return True if sample ``index`` is exactly one interval after sample ``index - 1``."""
        if index <= 0:
            return False
        return self.timestamps[index] - self.timestamps[index - 1] == self.interval

    def between(self, start: datetime, end: datetime) -> Self:
        """Return the samples with ``start <= timestamp < end`` as a new series."""
        kept = [(stamp, value) for stamp, value in self if start <= stamp < end]
        return self.from_pairs(kept, self.interval)

    def mask(self, keep: Iterable[bool]) -> Self:
        """Return the samples for which the matching ``keep`` flag is true."""
        flags = tuple(keep)
        if len(flags) != len(self):
            raise SeriesError(f"mask has {len(flags)} flags for {len(self)} samples")
        kept = [sample for sample, flag in zip(self, flags) if flag]
        return self.from_pairs(kept, self.interval)


@dataclass(frozen=True)
class PowerSeries(TimeSeries):
    """Measured AC power output of a PV system in kW."""

    unit: ClassVar[str] = "kW"


@dataclass(frozen=True)
class IrradianceSeries(TimeSeries):
    """Plane-of-array (POA) irradiance in W/m²."""

    unit: ClassVar[str] = "W/m2"


_A = TypeVar("_A", bound=TimeSeries)
_B = TypeVar("_B", bound=TimeSeries)


def align(first: _A, second: _B) -> tuple[_A, _B]:
    """Restrict two series with the same interval to the timestamps they have in common."""
    if first.interval != second.interval:
        raise SeriesError(f"cannot align intervals {first.interval} and {second.interval}")
    common = set(first.timestamps) & set(second.timestamps)
    return (
        first.mask(stamp in common for stamp in first.timestamps),
        second.mask(stamp in common for stamp in second.timestamps),
    )
