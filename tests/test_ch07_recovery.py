"""recovery_table on a variable with two dims (the cafes' effects, cafe by effect)."""

from __future__ import annotations

import arviz as az
import numpy as np

import hbm_widgets as hbm


def test_a_matrix_variable_is_read_row_by_row():
    rng = np.random.default_rng(5)
    centres = np.array([[1.0, -1.0], [2.0, -0.5], [3.0, 0.0]])
    idata = az.from_dict(
        {"posterior": {"effects": rng.normal(centres, 0.1, size=(2, 400, 3, 2))}},
        coords={"cafe": ["x", "y", "z"], "effect": ["intercept", "slope"]},
        dims={"effects": ["cafe", "effect"]},
    )
    truth = centres.copy()
    truth[1, 1] = 0.5  # far outside its interval
    table = hbm.recovery_table(idata, {"effects": truth}, prob=0.9)
    assert table["parameter"].tolist() == [
        f"effects[{c}, {e}]" for c in "xyz" for e in ("intercept", "slope")
    ]
    assert set(table["level"]) == {"group"}
    np.testing.assert_allclose(table["posterior_mean"], centres.ravel(), atol=0.03)
    assert table["covered"].tolist() == [True, True, True, False, True, True]
