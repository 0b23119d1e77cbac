"""Simulation-based calibration of the study's model: ranks, their histogram, the uniformity
test, ArviZ's layout, and a few seeded fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets import StudySpec
from hbm_widgets.lessons.calibration import RANKED_DRAWS
from hbm_widgets.lessons.study_spec import STUDY_PARAMETERS

TINY = StudySpec(
    designs=[(40, 4)], priors=["good", "flat"], n_simulations=1, draws=60, tune=60, chains=2, seed=7
)


def _table(ranks: dict[str, list[int]], column: str = "rank") -> pd.DataFrame:
    """A calibration table holding the given ranks (other columns as run_calibration's)."""
    rows = [
        {"simulation": s, "parameter": p, "rank": r, "rank_too_narrow": r, "ranked_draws": 99}
        for p, values in ranks.items()
        for s, r in enumerate(values)
    ]
    return pd.DataFrame(rows)


# -- ranks, without sampling ------------------------------------------------------------------


def test_a_truth_below_every_draw_ranks_0_and_above_every_draw_99():
    draws = np.random.default_rng(1).normal(size=(2, 500))
    posterior = {variable: draws for variable in STUDY_PARAMETERS.values()}
    ranks = hbm.truth_ranks(posterior, {"alpha": -10.0, "gamma0": 10.0, "gamma1": 0.0})
    assert ranks["alpha"] == {"rank": 0, "rank_too_narrow": 0}
    assert ranks["gamma0"] == {"rank": RANKED_DRAWS, "rank_too_narrow": RANKED_DRAWS}
    assert 40 <= ranks["gamma1"]["rank"] <= 59  # the middle of 99 standard normal draws


def test_draws_pulled_to_their_mean_push_a_tail_truth_to_the_end():
    # A truth at the 10% point of the posterior ranks about 10 of 99; among draws half as
    # wide it lies beyond about 2.6 posterior SDs of theirs, so it ranks near 0.
    draws = np.random.default_rng(2).normal(size=(2, 2000))
    truth = float(np.quantile(draws, 0.1))
    ranks = hbm.truth_ranks({"mu_beta": draws}, {"gamma0": truth})["gamma0"]
    assert 5 <= ranks["rank"] <= 15
    assert ranks["rank_too_narrow"] <= 3


def test_too_few_draws_to_rank_among_are_refused():
    with pytest.raises(hbm.WorkbookInputError, match=r"at least 99 draws in all .* got 60"):
        hbm.truth_ranks({"sigma": np.ones((1, 60))}, {"sigma": 1.0})


def test_rank_histogram_counts_each_bin():
    table = _table({"gamma1": [0, 9, 10, 50, 99, 99]})
    histogram = hbm.rank_histogram(table, bins=10)
    assert histogram["simulations"].tolist() == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert histogram["start"].iloc[1] == 10.0 and histogram["end"].iloc[-1] == 100.0
    assert histogram["expected"].iloc[0] == pytest.approx(0.6)


def test_uniform_ranks_pass_and_ranks_at_both_ends_fail():
    flat = _table({"gamma0": list(range(100)), "sigma": [0, 99] * 50})
    check = hbm.calibration_uniformity(flat)
    assert check.loc["gamma0", "p-value, the fits"] == pytest.approx(1.0)
    assert check.loc["gamma0", "outer share, the fits"] == pytest.approx(0.2)
    assert check.loc["sigma", "p-value, the fits"] < 1e-6
    assert check.loc["sigma", "outer share, the fits"] == 1.0
    # The same test as SciPy's on the counts of ten bins.
    counts = np.full(10, 0)
    counts[[0, -1]] = 50
    assert check.loc["sigma", "p-value, the fits"] == pytest.approx(stats.chisquare(counts).pvalue)


def test_pit_values_are_in_the_layout_arviz_reads():
    table = _table({"gamma0": [0, 99, 49], "sigma": [10, 20, 30]})
    pit = hbm.calibration_pit(table)
    values = pit["prior_sbc"]["gamma0"]
    assert values.dims == ("chain", "draw") and values.shape == (1, 3)
    np.testing.assert_allclose(values.values[0], [0.005, 0.995, 0.495])
    with pytest.raises(hbm.WorkbookInputError, match="rank must be 'rank' or 'rank_too_narrow'"):
        hbm.calibration_pit(table, rank="ranks")


def test_the_rank_chart_has_a_panel_a_parameter_and_the_binomial_band():
    table = _table({"gamma0": list(range(100)), "sigma": [0, 99] * 50})
    spec = hbm.plot_calibration_ranks(table, bins=10, band=0.99).to_dict()
    assert spec["facet"]["field"] == "parameter" and spec["columns"] == 2
    rows = next(iter(spec["datasets"].values()))
    lower, upper = stats.binom.ppf([0.005, 0.995], 100, 0.1)
    assert {r["band_lower"] for r in rows} == {lower}
    assert {r["band_upper"] for r in rows} == {upper}
    assert sum(r["simulations"] for r in rows if r["parameter"] == "sigma") == 100
    with pytest.raises(hbm.WorkbookInputError, match="bins must be a whole number >= 2, got 1"):
        hbm.plot_calibration_ranks(table, bins=1)


# -- seeded fits ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibration():
    return hbm.run_calibration(TINY, design="N=40, J=4", prior="good", n_simulations=2, n_jobs=1)


def test_each_simulation_draws_its_own_truth_and_ranks_it(calibration):
    assert len(calibration) == 2 * len(STUDY_PARAMETERS)
    assert calibration["rank"].between(0, RANKED_DRAWS).all()
    truths = calibration.pivot(index="simulation", columns="parameter", values="true_value")
    assert (truths.loc[0] != truths.loc[1]).all()  # drawn, not the study's fixed truth
    assert (truths[["sigma", "sigma_beta"]] > 0).all().all()
    assert not (truths[["gamma0", "gamma1"]] == 1.0).any().any()


def test_a_simulation_is_the_same_alone_and_on_two_workers(calibration):
    alone = hbm.run_calibration(TINY, design="N=40, J=4", prior="good", n_simulations=1, n_jobs=1)
    pd.testing.assert_frame_equal(alone, calibration[calibration["simulation"] == 0])
    spread = hbm.run_calibration(TINY, design="N=40, J=4", prior="good", n_simulations=2, n_jobs=2)
    pd.testing.assert_frame_equal(spread, calibration)


def test_a_flat_prior_cannot_be_drawn_from():
    with pytest.raises(hbm.WorkbookInputError, match="prior 'flat' is flat"):
        hbm.run_calibration(TINY, design="N=40, J=4", prior="flat", n_simulations=1)
