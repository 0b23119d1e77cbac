"""The share of the way to the population mean, and the moves past it that need a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm


def test_the_share_is_the_closed_form_shrinkage_factor_in_the_normal_model():
    # With sigma, tau and mu known, the partial-pooling mean of a group is the closed form's
    # compromise, so its share of the way to mu is B_k exactly, whatever the distance.
    n = np.array([1, 4, 25, 100])
    own = np.array([3.0, -2.0, 0.5, 7.0])
    partial = hbm.partial_pooling_estimate(own, 1.0, 2.0, 0.5, n)
    table = pd.DataFrame({"no_pooling": own, "partial_pooling": partial, "mu": 1.0})
    shares = hbm.shrinkage_shares(table)
    assert np.allclose(shares["shrinkage"], hbm.shrinkage_factor(2.0, 0.5, n))
    assert np.allclose(shares["shift"], partial - own)
    assert "shift" not in table  # the table handed in is left as it was


def test_a_group_at_the_mean_has_no_share():
    table = pd.DataFrame({"no_pooling": [1.0], "partial_pooling": [1.2], "mu": [1.0]})
    assert np.isnan(hbm.shrinkage_shares(table)["shrinkage"].iloc[0])


def test_moves_past_or_away_from_the_mean_are_found_unless_the_group_sat_at_it():
    table = hbm.shrinkage_shares(
        pd.DataFrame(
            {
                "group": ["short", "past", "away", "noise", "slope past"],
                "coefficient": ["a", "a", "a", "a", "b"],
                # mu 0; the groups' spread is 1 for a and 0.1 for b
                "no_pooling": [2.0, 2.0, 2.0, 0.05, 0.05],
                "partial_pooling": [1.0, -0.5, 2.5, -0.2, -0.02],
                "mu": 0.0,
            }
        )
    )
    found = hbm.moved_past_the_mean(table, {"a": 1.0, "b": 0.1})
    # "noise" moved past too, but from 0.05 of a spread of 1: its share means nothing there;
    # the same 0.05 is half of b's spread.
    assert found["group"].tolist() == ["past", "away", "slope past"]
    assert found["shrinkage"].round(2).tolist() == [1.25, -0.25, 1.4]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: hbm.moved_past_the_mean(t, {"a": 1.0}), r"no spread given .*\['b'\]"),
        (lambda t: hbm.shrinkage_shares(t.drop(columns="mu")), r"needs the columns \['mu'\]"),
    ],
)
def test_a_table_that_does_not_fit_is_refused_by_name(call, message):
    table = pd.DataFrame(
        {
            "coefficient": ["a", "b"],
            "no_pooling": [1.0, 2.0],
            "partial_pooling": [0.5, 1.0],
            "mu": 0.0,
            "shrinkage": [0.5, 0.5],
        }
    )
    with pytest.raises(hbm.WorkbookInputError, match=message):
        call(table)
