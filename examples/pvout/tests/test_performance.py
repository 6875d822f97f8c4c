"""Tests for pvout.performance: irradiation, reference yield and performance ratio."""

from __future__ import annotations

import unittest

from pvout import (
    STC_IRRADIANCE,
    IrradianceSeries,
    PowerSeries,
    SeriesError,
    insolation_kwh_m2,
    instantaneous_performance_ratio,
    performance_ratio,
    reference_yield,
)

from tests.helpers import HOUR, QUARTER, T0, at


class PerformanceRatioTest(unittest.TestCase):
    """A 5 kWp system over four hourly samples.

    Energy (trapezoid): 1.5 + 3 + 1.5 = 6 kWh, so Yf = 6 / 5 = 1.2 h.
    Irradiation: (400 + 800 + 400) Wh/m² = 1.6 kWh/m², so Yr = 1.6 h and PR = 0.75.
    """

    def setUp(self) -> None:
        """Create matching power and irradiance series starting at 12:00 UTC."""
        self.power = PowerSeries.regular(T0, HOUR, [0, 3, 3, 0])
        self.irradiance = IrradianceSeries.regular(T0, HOUR, [0, 800, 800, 0])

    def test_stc_constant(self) -> None:
        """STC irradiance is 1000 W/m²."""
        self.assertEqual(STC_IRRADIANCE, 1000.0)

    def test_insolation_and_reference_yield(self) -> None:
        """1.6 kWh/m² of irradiation is 1.6 reference hours."""
        self.assertAlmostEqual(insolation_kwh_m2(self.irradiance), 1.6)
        self.assertAlmostEqual(reference_yield(self.irradiance), 1.6)
        self.assertAlmostEqual(reference_yield(self.irradiance, "rectangle"), 1.6)

    def test_performance_ratio(self) -> None:
        """PR = 1.2 / 1.6 = 0.75."""
        self.assertAlmostEqual(performance_ratio(self.power, self.irradiance, 5.0), 0.75)

    def test_performance_ratio_uses_common_timestamps_only(self) -> None:
        """An extra irradiance sample without power data is ignored."""
        irradiance = IrradianceSeries.regular(T0, HOUR, [0, 800, 800, 0, 900])
        self.assertAlmostEqual(performance_ratio(self.power, irradiance, 5.0), 0.75)

    def test_performance_ratio_without_irradiation(self) -> None:
        """A dark period has no defined performance ratio."""
        dark = IrradianceSeries.regular(T0, HOUR, [0, 0, 0, 0])
        with self.assertRaises(ValueError):
            performance_ratio(self.power, dark, 5.0)

    def test_performance_ratio_interval_mismatch(self) -> None:
        """Series with different intervals are rejected."""
        irradiance = IrradianceSeries.regular(T0, QUARTER, [800])
        with self.assertRaises(SeriesError):
            performance_ratio(self.power, irradiance, 5.0)

    def test_instantaneous(self) -> None:
        """3 kW / (5 kWp * 0.8) = 0.75 at each sample with >= 50 W/m²."""
        ratios = instantaneous_performance_ratio(self.power, self.irradiance, 5.0)
        self.assertEqual([stamp for stamp, _ in ratios], [at(13), at(14)])
        for _, ratio in ratios:
            self.assertAlmostEqual(ratio, 0.75)

    def test_instantaneous_threshold(self) -> None:
        """Raising the irradiance floor above 800 W/m² leaves no samples."""
        self.assertEqual(
            instantaneous_performance_ratio(self.power, self.irradiance, 5.0, 801.0), []
        )

    def test_instantaneous_zero_floor_skips_darkness(self) -> None:
        """Even with a zero floor, zero-irradiance samples are skipped (no division by 0)."""
        ratios = instantaneous_performance_ratio(self.power, self.irradiance, 5.0, 0.0)
        self.assertEqual(len(ratios), 2)

    def test_instantaneous_bad_nominal_power(self) -> None:
        """Nominal power must be positive."""
        with self.assertRaises(ValueError):
            instantaneous_performance_ratio(self.power, self.irradiance, -1.0)


if __name__ == "__main__":
    unittest.main()
