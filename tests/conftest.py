"""Fixtures shared by the test suite: small data sets and the expensive fits, made once."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from tests.chapters.harness import started_kernel

# Seconds spent in each part of the suite (setup, call and teardown of its tests, summed over
# the test processes): the figures CI's time is read from.
_PART_SECONDS: Counter[str] = Counter()


def _suite_part(nodeid: str) -> str:
    if nodeid.startswith(("tests/chapters/", "notebooks/")):
        return "chapters"
    if nodeid.startswith("tests/browser/"):
        return "browser tests"
    if nodeid.startswith("tests/test_report"):
        return "report tests"
    return "other unit tests"


def pytest_runtest_logreport(report) -> None:
    _PART_SECONDS[_suite_part(report.nodeid)] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _PART_SECONDS:
        return
    terminalreporter.write_sep("-", "test seconds by part, summed over the test processes")
    for part in ("chapters", "browser tests", "report tests", "other unit tests"):
        terminalreporter.write_line(f"{part:<17} {_PART_SECONDS[part]:7.0f} s")
    terminalreporter.write_line(f"{'all':<17} {sum(_PART_SECONDS.values()):7.0f} s")


@pytest.fixture(scope="session")
def shared_kernel(tmp_path_factory):
    """One kernel for the notebooks this test process runs (chapters, solutions), cleared
    between them."""
    with started_kernel(tmp_path_factory.mktemp("shared-kernel")) as km:
        yield km


@pytest.fixture(scope="session")
def radon_frame() -> pd.DataFrame:
    return hbm.load_radon()


@pytest.fixture(scope="session")
def radon_data(radon_frame) -> hbm.GroupedData:
    return hbm.GroupedData.from_frame(
        radon_frame,
        group="county",
        outcome="log_radon",
        predictor="floor",
        group_predictor="log_uranium",
    )


SIMULATION_TRUTH = {
    "mu_alpha": 2.0,
    "mu_beta": -1.0,
    "sigma_alpha": 0.8,
    "sigma_beta": 0.4,
    "rho": -0.5,
    "sigma": 0.6,
}


def simulate_grouped_frame(n_groups: int, n_per_group: int, seed: int) -> pd.DataFrame:
    """Varying intercepts and slopes with a known correlation (values in SIMULATION_TRUTH)."""
    t = SIMULATION_TRUTH
    rng = np.random.default_rng(seed)
    cov = np.array(
        [
            [t["sigma_alpha"] ** 2, t["rho"] * t["sigma_alpha"] * t["sigma_beta"]],
            [t["rho"] * t["sigma_alpha"] * t["sigma_beta"], t["sigma_beta"] ** 2],
        ]
    )
    effects = rng.multivariate_normal([t["mu_alpha"], t["mu_beta"]], cov, size=n_groups)
    group = np.repeat(np.arange(n_groups), n_per_group)
    x = rng.normal(size=group.size)
    y = effects[group, 0] + effects[group, 1] * x + rng.normal(0, t["sigma"], size=group.size)
    u = np.linspace(-1, 1, n_groups)[group]
    return pd.DataFrame({"classroom": [f"c{g:02d}" for g in group], "score": y, "x": x, "u": u})


@pytest.fixture(scope="session")
def small_data() -> hbm.GroupedData:
    """A few groups, for checking model graphs quickly."""
    frame = simulate_grouped_frame(n_groups=6, n_per_group=5, seed=11)
    return hbm.GroupedData.from_frame(
        frame, group="classroom", outcome="score", predictor="x", group_predictor="u"
    )


@pytest.fixture(scope="session")
def simulated_fit():
    """One seeded fit of the correlated varying intercept-and-slope model on simulated data."""
    frame = simulate_grouped_frame(n_groups=30, n_per_group=20, seed=2024)
    data = hbm.GroupedData.from_frame(frame, group="classroom", outcome="score", predictor="x")
    # Twenty observations a group pin each group's coefficients down well, the case where the
    # centred form samples better than the non-centred one.
    spec = hbm.ModelSpec(pooling="partial", varying="both", parameterization="centered")
    model = hbm.build_model(spec, data)
    idata = hbm.sample(model, draws=500, tune=1000, chains=4, random_seed=7)
    return data, idata


@pytest.fixture(scope="session")
def radon_partial_pooling_idata(radon_frame):
    """Radon, varying intercept by county with floor as a shared slope."""
    data = hbm.GroupedData.from_frame(
        radon_frame, group="county", outcome="log_radon", predictor="floor"
    )
    model = hbm.build_model(hbm.ModelSpec(pooling="partial", varying="intercept"), data)
    # The workbook's default settings (4 x 1000 draws), which must pass the convergence checks.
    return hbm.sample(model, draws=1000, tune=1000, chains=4, random_seed=8927)
