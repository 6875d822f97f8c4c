"""Tests for pvout.energy: integration rules and specific yield."""

from __future__ import annotations

import unittest
from typing import cast

from pvout import PowerSeries, Rule, energy_kwh, integrate, interval_contributions, specific_yield

from tests.helpers import QUARTER, T0, at, power


class EnergyTest(unittest.TestCase):
    """Energy of 15-minute power samples."""

    def setUp(self) -> None:
        """Create 0, 2, 4, 2 kW at 12:00-12:45 (15-minute samples)."""
        self.series = PowerSeries.regular(T0, QUARTER, [0, 2, 4, 2])

    def test_trapezoid(self) -> None:
        """(0+2)/2*0.25 + (2+4)/2*0.25 + (4+2)/2*0.25 = 1.75 kWh."""
        self.assertAlmostEqual(energy_kwh(self.series), 1.75)
        self.assertAlmostEqual(energy_kwh(self.series, "trapezoid"), 1.75)

    def test_rectangle(self) -> None:
        """(0+2+4+2)*0.25 = 2.0 kWh."""
        self.assertAlmostEqual(energy_kwh(self.series, "rectangle"), 2.0)

    def test_contributions_are_labelled_by_interval_start(self) -> None:
        """Trapezoid contributions are attributed to the first sample of each pair."""
        contributions = interval_contributions(self.series)
        self.assertEqual([stamp for stamp, _ in contributions], [at(12), at(12, 15), at(12, 30)])
        for (_, got), want in zip(contributions, [0.25, 0.75, 0.75]):
            self.assertAlmostEqual(got, want)

    def test_trapezoid_does_not_bridge_gaps(self) -> None:
        """Only the contiguous pair 12:00-12:15 counts: 2*0.25 = 0.5 kWh."""
        series = power([at(12), at(12, 15), at(12, 45)], [2, 2, 4], QUARTER)
        self.assertAlmostEqual(energy_kwh(series), 0.5)
        self.assertAlmostEqual(energy_kwh(series, "rectangle"), 2.0)

    def test_degenerate_series(self) -> None:
        """Empty and single-sample series integrate to zero with the trapezoid rule."""
        self.assertEqual(energy_kwh(PowerSeries((), (), QUARTER)), 0.0)
        self.assertEqual(energy_kwh(PowerSeries.regular(T0, QUARTER, [5])), 0.0)
        self.assertAlmostEqual(integrate(PowerSeries.regular(T0, QUARTER, [5]), "rectangle"), 1.25)

    def test_unknown_rule(self) -> None:
        """An unknown rule name raises ValueError."""
        with self.assertRaises(ValueError):
            energy_kwh(self.series, cast(Rule, "simpson"))


class SpecificYieldTest(unittest.TestCase):
    """specific_yield()."""

    def test_value(self) -> None:
        """10 kWh from a 4 kWp system is 2.5 kWh/kWp."""
        self.assertAlmostEqual(specific_yield(10.0, 4.0), 2.5)

    def test_non_positive_peak_power(self) -> None:
        """Peak power must be positive."""
        with self.assertRaises(ValueError):
            specific_yield(10.0, 0.0)


if __name__ == "__main__":
    unittest.main()
