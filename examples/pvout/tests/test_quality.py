"""Tests for pvout.quality: gap, night-noise and clipping flags."""

from __future__ import annotations

import unittest

from pvout import (
    Flag,
    IrradianceSeries,
    PowerSeries,
    QualityIssue,
    check_quality,
    find_clipping,
    find_gaps,
    find_night_noise,
)

from tests.helpers import HOUR, QUARTER, at, irradiance, power


class GapTest(unittest.TestCase):
    """Samples at 12:00, 12:15, 12:45 (1 missing) and 13:45 (3 missing)."""

    def setUp(self) -> None:
        """Create the gappy 15-minute series."""
        self.series = power([at(12), at(12, 15), at(12, 45), at(13, 45)], [1, 1, 1, 1], QUARTER)

    def test_every_gap(self) -> None:
        """With max_missing=0 both holes are reported with their missing-sample counts."""
        self.assertEqual(
            find_gaps(self.series),
            [
                QualityIssue(Flag.GAP, at(12, 15), at(12, 45), 1),
                QualityIssue(Flag.GAP, at(12, 45), at(13, 45), 3),
            ],
        )

    def test_tolerated_gaps(self) -> None:
        """max_missing=1 tolerates the single missing sample; max_missing=3 tolerates both."""
        self.assertEqual(
            find_gaps(self.series, max_missing=1),
            [QualityIssue(Flag.GAP, at(12, 45), at(13, 45), 3)],
        )
        self.assertEqual(find_gaps(self.series, max_missing=3), [])

    def test_negative_max_missing(self) -> None:
        """A negative tolerance is rejected."""
        with self.assertRaises(ValueError):
            find_gaps(self.series, -1)


class NightNoiseTest(unittest.TestCase):
    """Hourly samples 00:00-05:00 with dark and lit periods."""

    def test_runs_of_dark_power(self) -> None:
        """Samples 1 and 4-5 draw power while dark; 2 is below the tolerance, 3 is lit."""
        kw = PowerSeries.regular(at(0), HOUR, [0.0, 0.2, 0.005, 3.0, 0.3, -0.4])
        w_m2 = IrradianceSeries.regular(at(0), HOUR, [0, 0, 0, 500, 2, 0])
        self.assertEqual(
            find_night_noise(kw, w_m2),
            [
                QualityIssue(Flag.NIGHT_NOISE, at(1), at(1), 1),
                QualityIssue(Flag.NIGHT_NOISE, at(4), at(5), 2),
            ],
        )

    def test_custom_thresholds(self) -> None:
        """A 1 W/m² darkness threshold excludes sample 4; 0.25 kW tolerance excludes 1."""
        kw = PowerSeries.regular(at(0), HOUR, [0.0, 0.2, 0.005, 3.0, 0.3, -0.4])
        w_m2 = IrradianceSeries.regular(at(0), HOUR, [0, 0, 0, 500, 2, 0])
        self.assertEqual(
            find_night_noise(kw, w_m2, dark_irradiance=1.0, power_tolerance_kw=0.25),
            [QualityIssue(Flag.NIGHT_NOISE, at(5), at(5), 1)],
        )

    def test_clean_night(self) -> None:
        """Zero power at night raises nothing."""
        kw = PowerSeries.regular(at(0), HOUR, [0, 0])
        w_m2 = IrradianceSeries.regular(at(0), HOUR, [0, 0])
        self.assertEqual(find_night_noise(kw, w_m2), [])


class ClippingTest(unittest.TestCase):
    """A 5 kW inverter; with 1 % tolerance the plateau threshold is 4.95 kW."""

    def setUp(self) -> None:
        """Create a plateau of three samples and one of two samples."""
        self.series = PowerSeries.regular(at(10), HOUR, [3, 4.96, 5, 5, 4, 5, 5])

    def test_default_minimum_length(self) -> None:
        """Only the three-sample plateau (11:00-13:00) reaches min_samples=3."""
        self.assertEqual(
            find_clipping(self.series, 5.0),
            [QualityIssue(Flag.CLIPPING, at(11), at(13), 3)],
        )

    def test_shorter_minimum_and_zero_tolerance(self) -> None:
        """With zero tolerance 4.96 kW no longer counts as clipped."""
        self.assertEqual(
            find_clipping(self.series, 5.0, tolerance=0.0, min_samples=2),
            [
                QualityIssue(Flag.CLIPPING, at(12), at(13), 2),
                QualityIssue(Flag.CLIPPING, at(15), at(16), 2),
            ],
        )

    def test_gap_splits_plateau(self) -> None:
        """A missing sample ends a plateau even when power stays at the limit."""
        series = power([at(10), at(11), at(13)], [5, 5, 5], HOUR)
        self.assertEqual(
            find_clipping(series, 5.0, min_samples=1),
            [
                QualityIssue(Flag.CLIPPING, at(10), at(11), 2),
                QualityIssue(Flag.CLIPPING, at(13), at(13), 1),
            ],
        )

    def test_invalid_arguments(self) -> None:
        """AC limit, tolerance and minimum length are validated."""
        with self.assertRaises(ValueError):
            find_clipping(self.series, 0.0)
        with self.assertRaises(ValueError):
            find_clipping(self.series, 5.0, tolerance=1.0)
        with self.assertRaises(ValueError):
            find_clipping(self.series, 5.0, tolerance=-0.1)
        with self.assertRaises(ValueError):
            find_clipping(self.series, 5.0, min_samples=0)


class CheckQualityTest(unittest.TestCase):
    """check_quality() combines the checks."""

    def setUp(self) -> None:
        """Night noise at 04:00, a gap 05:00-07:00 and clipping 09:00-11:00."""
        stamps = [at(4), at(5), at(7), at(8), at(9), at(10), at(11)]
        self.power = power(stamps, [0.1, 0.0, 1.0, 2.0, 5.0, 5.0, 5.0], HOUR)
        self.irradiance = irradiance(stamps, [0, 0, 100, 300, 900, 950, 900], HOUR)

    def test_all_checks_sorted(self) -> None:
        """All three flags are reported in start order."""
        self.assertEqual(
            check_quality(self.power, self.irradiance, ac_limit_kw=5.0),
            [
                QualityIssue(Flag.NIGHT_NOISE, at(4), at(4), 1),
                QualityIssue(Flag.GAP, at(5), at(7), 1),
                QualityIssue(Flag.CLIPPING, at(9), at(11), 3),
            ],
        )

    def test_gaps_only(self) -> None:
        """Without irradiance or AC limit only gaps are checked."""
        self.assertEqual(
            check_quality(self.power, max_missing=1),
            [],
        )
        self.assertEqual([issue.flag for issue in check_quality(self.power)], [Flag.GAP])


if __name__ == "__main__":
    unittest.main()
