"""Shared fixtures for the pvout tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from pvout import IrradianceSeries, PowerSeries

UTC = timezone.utc
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 1, month: int = 6) -> datetime:
    """Return a UTC timestamp in 2024 at the given time of day."""
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def power(stamps: Sequence[datetime], values: Sequence[float], step: timedelta) -> PowerSeries:
    """Build a power series from parallel timestamp and value sequences."""
    return PowerSeries(tuple(stamps), tuple(values), step)


def irradiance(
    stamps: Sequence[datetime], values: Sequence[float], step: timedelta
) -> IrradianceSeries:
    """Build an irradiance series from parallel timestamp and value sequences."""
    return IrradianceSeries(tuple(stamps), tuple(values), step)
