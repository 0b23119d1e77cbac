"""A fit sampled again at twice the draws only when its largest R-hat sits at 1.01 by chance."""

import arviz as az
import numpy as np
import pytest

import hbm_widgets as hbm
from hbm_widgets.core import more_draws


def _fit(draws: int, *, chain_offset: float, divergences: int = 0):
    """Four chains of 50 standard-normal coefficients, the chains' means ``chain_offset`` apart
    for coefficient 0 (R-hat rises with the offset)."""
    rng = np.random.default_rng(draws)
    values = rng.normal(size=(4, draws, 50))
    values[:, :, 0] += chain_offset * np.arange(4)[:, None]
    diverging = np.zeros((4, draws), dtype=bool)
    diverging.flat[:divergences] = True
    return az.from_dict(
        {"posterior": {"alpha": values}, "sample_stats": {"diverging": diverging}},
        dims={"alpha": ["group"]},
    )


@pytest.fixture
def sampler(monkeypatch):
    """Records each call to the sampling entry point and answers from a script of fits."""
    calls, script = [], []

    def fake_sample(model, **options):
        calls.append(options)
        return script.pop(0)(options["draws"])

    monkeypatch.setattr(more_draws.sampling, "sample", fake_sample)
    return calls, script


def test_the_fabricated_fits_have_the_r_hats_the_cases_need():
    assert 1.01 <= hbm.convergence_report(_fit(1000, chain_offset=0.1)).max_rhat < 1.05
    assert hbm.convergence_report(_fit(2000, chain_offset=0.0)).max_rhat < 1.01
    assert hbm.convergence_report(_fit(1000, chain_offset=1.0)).max_rhat >= 1.05


def test_a_chance_r_hat_is_sampled_again_at_twice_the_draws_with_the_same_seed(sampler):
    calls, script = sampler
    script += [lambda d: _fit(d, chain_offset=0.1), lambda d: _fit(d, chain_offset=0.0)]
    fit = hbm.sample_until_settled("model", random_seed=7, draws=1000, tune=500, chains=4)
    assert fit.draws_tried == (1000, 2000)
    assert fit.attempts[0].max_rhat >= 1.01 and fit.report.max_rhat < 1.01
    assert fit.report.ok and fit.idata.posterior.sizes["draw"] == 2000
    assert calls == [
        {"random_seed": 7, "draws": 1000, "tune": 500, "chains": 4},
        {"random_seed": 7, "draws": 2000, "tune": 500, "chains": 4},
    ]


@pytest.mark.parametrize(
    ("first", "at_most"),
    [
        (lambda d: _fit(d, chain_offset=0.0), None),  # settled at once
        (lambda d: _fit(d, chain_offset=0.1, divergences=3), None),  # divergences: a real fault
        (lambda d: _fit(d, chain_offset=1.0), None),  # chains that disagree
        (lambda d: _fit(d, chain_offset=0.1), 1500),  # no room for twice the draws
    ],
    ids=["settled", "divergences", "chains-disagree", "draws-used-up"],
)
def test_only_a_chance_excess_with_room_to_double_is_sampled_again(sampler, first, at_most):
    calls, script = sampler
    script.append(first)
    fit = hbm.sample_until_settled("model", random_seed=1, draws=1000, at_most_draws=at_most)
    assert len(calls) == 1 and fit.draws_tried == (1000,)


def test_draws_beyond_the_first_must_not_be_fewer(sampler):
    with pytest.raises(hbm.WorkbookInputError, match=r"^at_most_draws must be .*1000.*500"):
        hbm.sample_until_settled("model", random_seed=1, draws=1000, at_most_draws=500)
    assert sampler[0] == []
