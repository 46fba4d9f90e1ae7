"""lrcourse.experiments: the guard on every best setting read off a grid."""

import numpy as np
import pytest

from lrcourse.experiments import interior_best


def test_the_best_inside_the_grid_is_returned_and_diverged_runs_count_as_worst():
    assert interior_best([0.5, 0.1, 0.3]) == 1
    assert interior_best([np.nan, 0.4, 0.1, 0.2, np.inf]) == 2
    np.testing.assert_array_equal(interior_best([[3, 1, 2], [2, 0, 9]], axis=1), [1, 1])
    np.testing.assert_array_equal(interior_best([[3, 1], [1, 0], [2, 3]], axis=0), [1, 1])


@pytest.mark.parametrize(
    ("losses", "end"),
    [([0.1, 0.2, 0.3], "first"), ([0.3, 0.2, 0.1], "last"), ([1, 2, np.nan], "first")],
)
def test_a_best_at_an_end_of_the_grid_is_an_error_that_says_widen(losses, end):
    with pytest.raises(ValueError, match=f"at the {end} point of the grid.*widen the grid"):
        interior_best(losses)


def test_a_grid_of_diverged_runs_or_too_few_points_is_an_error():
    with pytest.raises(ValueError, match="every run on a grid diverged"):
        interior_best([np.nan, np.inf, np.nan])
    with pytest.raises(ValueError, match="at least 3"):
        interior_best([0.2, 0.1])
