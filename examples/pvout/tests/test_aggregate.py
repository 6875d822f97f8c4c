"""Tests for pvout.aggregate: daily/monthly totals and daily performance ratio."""

from __future__ import annotations

import unittest
from datetime import date, timedelta, timezone

from pvout import (
    IrradianceSeries,
    PowerSeries,
    daily_energy,
    daily_performance_ratio,
    monthly_energy,
)

from tests.helpers import HOUR, at

CEST = timezone(timedelta(hours=2))


class DailyEnergyTest(unittest.TestCase):
    """1 kW for four hours around midnight UTC (21:00-00:00 UTC)."""

    def setUp(self) -> None:
        """Create the series; with the rectangle rule every sample is 1 kWh."""
        self.series = PowerSeries.regular(at(21), HOUR, [1, 1, 1, 1])

    def test_days_in_own_timezone(self) -> None:
        """In UTC three hours fall on 1 June and one on 2 June."""
        totals = daily_energy(self.series, rule="rectangle")
        self.assertEqual(totals, {date(2024, 6, 1): 3.0, date(2024, 6, 2): 1.0})

    def test_days_in_other_timezone(self) -> None:
        """In UTC+2 only 21:00 UTC (23:00 local) is on 1 June."""
        totals = daily_energy(self.series, tz=CEST, rule="rectangle")
        self.assertEqual(totals, {date(2024, 6, 1): 1.0, date(2024, 6, 2): 3.0})

    def test_trapezoid_by_day(self) -> None:
        """Trapezoid intervals start at 21, 22 and 23 UTC: all on 1 June."""
        self.assertEqual(daily_energy(self.series), {date(2024, 6, 1): 3.0})


class MonthlyEnergyTest(unittest.TestCase):
    """1, 2, 3 kW at 22:00, 23:00 on 30 June and 00:00 on 1 July (UTC)."""

    def setUp(self) -> None:
        """Create the series spanning a month boundary."""
        self.series = PowerSeries.regular(at(22, day=30), HOUR, [1, 2, 3])

    def test_rectangle_utc(self) -> None:
        """June gets 1 + 2 kWh, July 3 kWh."""
        totals = monthly_energy(self.series, rule="rectangle")
        self.assertEqual(totals, {(2024, 6): 3.0, (2024, 7): 3.0})
        self.assertEqual(list(totals), [(2024, 6), (2024, 7)])

    def test_trapezoid_utc(self) -> None:
        """Both trapezoids (1.5 and 2.5 kWh) start in June."""
        self.assertEqual(monthly_energy(self.series), {(2024, 6): 4.0})

    def test_rectangle_local(self) -> None:
        """In UTC+2 every sample is already in July."""
        self.assertEqual(monthly_energy(self.series, CEST, "rectangle"), {(2024, 7): 6.0})


class DailyPerformanceRatioTest(unittest.TestCase):
    """Three days of 5 kWp data, 10:00-13:00 UTC each day.

    Day 1: E = 6 kWh, H = 1.6 kWh/m² -> PR = (6/5)/1.6 = 0.75.
    Day 2: E = 4 kWh, H = 1.6 kWh/m² -> PR = (4/5)/1.6 = 0.5.
    Day 3: no irradiation -> omitted.
    """

    def setUp(self) -> None:
        """Build gappy hourly series covering the three days."""
        stamps = tuple(at(hour, day=day) for day in (1, 2, 3) for hour in (10, 11, 12, 13))
        kw = (0, 3, 3, 0, 0, 2, 2, 0, 0, 0, 0, 0)
        w_m2 = (0, 800, 800, 0) * 2 + (0, 0, 0, 0)
        self.power = PowerSeries(stamps, tuple(map(float, kw)), HOUR)
        self.irradiance = IrradianceSeries(stamps, tuple(map(float, w_m2)), HOUR)

    def test_daily_ratios(self) -> None:
        """Day 1 is 0.75, day 2 is 0.5 and the dark day 3 is left out."""
        ratios = daily_performance_ratio(self.power, self.irradiance, 5.0)
        self.assertEqual(list(ratios), [date(2024, 6, 1), date(2024, 6, 2)])
        self.assertAlmostEqual(ratios[date(2024, 6, 1)], 0.75)
        self.assertAlmostEqual(ratios[date(2024, 6, 2)], 0.5)

    def test_day_without_power_data(self) -> None:
        """Days missing from the power series are dropped by alignment, not reported as 0."""
        power = self.power.between(at(0, day=1), at(0, day=2))
        ratios = daily_performance_ratio(power, self.irradiance, 5.0, tz=CEST)
        self.assertEqual(list(ratios), [date(2024, 6, 1)])
        self.assertAlmostEqual(ratios[date(2024, 6, 1)], 0.75)

    def test_bad_nominal_power(self) -> None:
        """Nominal power must be positive."""
        with self.assertRaises(ValueError):
            daily_performance_ratio(self.power, self.irradiance, 0.0)


if __name__ == "__main__":
    unittest.main()
