"""The memory a report would need, counted before anything is fitted."""

import re

import pytest

import hbm_widgets as hbm
from hbm_widgets.core.errors import DataValidationError

SIX_ARRAYS = {"pointwise_arrays": 6}  # the formula report's log-likelihoods and predictions


def test_arrays_of_rows_by_draws_are_counted_in_full():
    without = hbm.estimated_report_memory(300_000, 2_000, draws=1000, chains=4)
    with_six = hbm.estimated_report_memory(300_000, 2_000, draws=1000, chains=4, **SIX_ARRAYS)
    assert with_six - without == 6 * 300_000 * 1000 * 4 * 8


def test_a_formula_report_on_a_large_file_is_refused_with_what_would_fit():
    limit = 20e9
    with pytest.raises(DataValidationError) as refused:
        hbm.check_report_size(
            300_000, 2_000, draws=1000, chains=4, memory_limit=limit, **SIX_ARRAYS
        )
    message = str(refused.value)
    assert "about 60.2 GB at 1000 draws x 4 chains, more than the 20.0 GB available" in message
    fits = re.search(r"--draws (\d+) or fewer or a file of at most ([\d,]+) rows$", message)
    assert fits, message
    draws, rows = int(fits[1]), int(fits[2].replace(",", ""))
    size = {"chains": 4, "memory_limit": limit, **SIX_ARRAYS}
    assert hbm.check_report_size(300_000, 2_000, draws=draws, **size) <= limit
    assert hbm.check_report_size(rows, 2_000, draws=1000, **size) <= limit
    for too_many in ({"n_rows": 300_000, "draws": draws + 1}, {"n_rows": rows + 1, "draws": 1000}):
        with pytest.raises(DataValidationError):
            hbm.check_report_size(n_groups=2_000, **too_many, **size)


def test_when_neither_alone_fits_the_rows_and_draws_are_cut_together():
    limit = 1.6e9
    with pytest.raises(DataValidationError) as refused:
        hbm.check_report_size(
            300_000, 2_000, draws=1000, chains=4, memory_limit=limit, **SIX_ARRAYS
        )
    found = re.search(
        r"--draws (\d+) or fewer and a file of at most ([\d,]+) rows$", str(refused.value)
    )
    assert found, refused.value
    draws, rows = int(found[1]), int(found[2].replace(",", ""))
    assert (
        hbm.check_report_size(rows, 2_000, draws=draws, chains=4, memory_limit=limit, **SIX_ARRAYS)
        <= limit
    )
