"""Tests for pvout.series: construction, validation and selection."""

from __future__ import annotations

import unittest
from datetime import datetime, timedelta

from pvout import IrradianceSeries, PowerSeries, SeriesError, align

from tests.helpers import HOUR, QUARTER, T0, at, power


class ConstructionTest(unittest.TestCase):
    """Building valid series."""

    def test_regular_spaces_samples_by_interval(self) -> None:
        """regular() places one sample per interval starting at ``start``."""
        series = PowerSeries.regular(T0, QUARTER, [1, 2, 3])
        self.assertEqual(series.timestamps, (at(12), at(12, 15), at(12, 30)))
        self.assertEqual(series.values, (1.0, 2.0, 3.0))
        self.assertIsInstance(series.values[0], float)
        self.assertEqual(len(series), 3)
        self.assertEqual((series.start, series.end), (at(12), at(12, 30)))
        self.assertAlmostEqual(series.interval_hours, 0.25)

    def test_from_pairs_and_iteration_round_trip(self) -> None:
        """from_pairs() accepts pairs and iteration yields them back."""
        pairs = [(at(12), 1.5), (at(14), 2.5)]
        series = PowerSeries.from_pairs(pairs, HOUR)
        self.assertEqual(list(series), pairs)

    def test_lists_are_normalised_to_tuples(self) -> None:
        """Lists passed to the constructor are stored as tuples."""
        series = PowerSeries([at(12)], [4], HOUR)  # type: ignore[arg-type]
        self.assertEqual(series.timestamps, (at(12),))
        self.assertEqual(series.values, (4.0,))

    def test_gaps_are_allowed(self) -> None:
        """A step of several intervals is a gap, not an error."""
        series = power([at(12), at(15)], [1, 1], HOUR)
        self.assertFalse(series.is_contiguous(1))

    def test_empty_series_is_valid_but_has_no_bounds(self) -> None:
        """An empty series can be built; start and end raise."""
        series = PowerSeries((), (), HOUR)
        self.assertEqual(len(series), 0)
        with self.assertRaises(SeriesError):
            _ = series.start
        with self.assertRaises(SeriesError):
            _ = series.end

    def test_is_contiguous(self) -> None:
        """Only a step of exactly one interval is contiguous; index 0 never is."""
        series = power([at(12), at(13), at(15)], [0, 0, 0], HOUR)
        self.assertEqual([series.is_contiguous(i) for i in range(3)], [False, True, False])


class ValidationTest(unittest.TestCase):
    """Every invariant violation raises SeriesError (a ValueError)."""

    def assert_invalid(self, message: str, *args: object) -> None:
        """Assert that PowerSeries(*args) raises SeriesError mentioning ``message``."""
        with self.assertRaises(SeriesError) as context:
            PowerSeries(*args)  # type: ignore[arg-type]
        self.assertIn(message, str(context.exception))
        self.assertIsInstance(context.exception, ValueError)

    def test_non_positive_interval(self) -> None:
        """A zero interval is rejected."""
        self.assert_invalid("interval must be positive", (at(12),), (1.0,), timedelta(0))

    def test_length_mismatch(self) -> None:
        """Timestamps and values must have the same length."""
        self.assert_invalid("2 timestamps but 1 values", (at(12), at(13)), (1.0,), HOUR)

    def test_naive_timestamp(self) -> None:
        """Naive timestamps are rejected."""
        self.assert_invalid("not timezone-aware", (datetime(2024, 6, 1, 12),), (1.0,), HOUR)

    def test_non_finite_value(self) -> None:
        """NaN and infinity are rejected."""
        self.assert_invalid("not finite", (at(12),), (float("nan"),), HOUR)
        self.assert_invalid("not finite", (at(12),), (float("inf"),), HOUR)

    def test_duplicate_timestamp(self) -> None:
        """Timestamps must be unique."""
        self.assert_invalid("duplicate timestamp", (at(12), at(12)), (1.0, 2.0), HOUR)

    def test_unsorted_timestamps(self) -> None:
        """Timestamps must be increasing."""
        self.assert_invalid("out of order", (at(13), at(12)), (1.0, 2.0), HOUR)

    def test_off_grid_timestamp(self) -> None:
        """Steps must be whole multiples of the interval."""
        self.assert_invalid("not a multiple", (at(12), at(12, 20)), (1.0, 2.0), QUARTER)


class SelectionTest(unittest.TestCase):
    """between(), mask() and align()."""

    def setUp(self) -> None:
        """Create an hourly power series from 12:00 to 15:00."""
        self.series = PowerSeries.regular(T0, HOUR, [1, 2, 3, 4])

    def test_between_is_half_open_and_keeps_type(self) -> None:
        """between() keeps start <= t < end and returns the same subclass."""
        part = self.series.between(at(13), at(15))
        self.assertIsInstance(part, PowerSeries)
        self.assertEqual(part.values, (2.0, 3.0))
        self.assertEqual(part.interval, HOUR)

    def test_mask(self) -> None:
        """mask() keeps flagged samples and checks the flag count."""
        self.assertEqual(self.series.mask([True, False, False, True]).values, (1.0, 4.0))
        with self.assertRaises(SeriesError):
            self.series.mask([True])

    def test_align_keeps_common_timestamps(self) -> None:
        """align() restricts both series to their shared timestamps."""
        irr = IrradianceSeries.regular(at(13), HOUR, [100, 200, 300, 400])
        kw, w_m2 = align(self.series, irr)
        self.assertIsInstance(w_m2, IrradianceSeries)
        self.assertEqual(kw.timestamps, (at(13), at(14), at(15)))
        self.assertEqual(kw.values, (2.0, 3.0, 4.0))
        self.assertEqual(w_m2.values, (100.0, 200.0, 300.0))

    def test_align_rejects_different_intervals(self) -> None:
        """Series with different intervals cannot be aligned."""
        irr = IrradianceSeries.regular(T0, QUARTER, [100])
        with self.assertRaises(SeriesError):
            align(self.series, irr)


if __name__ == "__main__":
    unittest.main()
