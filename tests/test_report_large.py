"""The grouped-data report on large files: fits on per-group sufficient statistics, LOO by
blocks of observations, the size check, the progress lines and the tables' digits.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from hbm_widgets.core import chunked_loo
from hbm_widgets.core.errors import DataValidationError, SpecificationError
from hbm_widgets.report.command import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from report_large import write_large_csv  # noqa: E402


def simulate(n_groups: int = 12, seed: int = 5, offset: float = 0.0) -> hbm.GroupedData:
    """Uneven groups, a predictor, a varying intercept and slope, and a group predictor."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 15, size=n_groups)
    group = np.repeat(np.arange(n_groups), sizes)
    x = rng.normal(size=group.size)
    u = rng.normal(size=n_groups)
    y = (
        offset
        + rng.normal(1.0, 0.7, size=n_groups)[group]
        + rng.normal(-0.5, 0.3, size=n_groups)[group] * x
        + rng.normal(0, 0.8, size=group.size)
    )
    frame = pd.DataFrame({"g": [f"g{k:02d}" for k in group], "y": y, "x": x, "u": u[group]})
    return hbm.GroupedData.from_frame(
        frame, group="g", outcome="y", predictor="x", group_predictor="u"
    )


def _random_point(model, rng) -> dict:
    return {
        var.name: rng.normal(scale=0.7, size=np.shape(value))
        for var, value in zip(model.value_vars, model.initial_point().values(), strict=True)
    }


@pytest.mark.parametrize("pooling", ["complete", "none", "partial"])
@pytest.mark.parametrize("varying", ["intercept", "slope", "both"])
def test_sufficient_statistics_give_the_same_log_density(pooling, varying):
    # Far from zero, so that the centred sums are what keeps the digits.
    data = simulate(offset=1e4)
    group_predictor = pooling == "partial" and varying != "both"
    spec = hbm.ModelSpec(pooling=pooling, varying=varying, group_predictor=group_predictor)
    observed = hbm.build_model(spec, data)
    grouped = hbm.build_model(spec, data, sufficient_statistics=True)
    assert [v.name for v in grouped.free_RVs] == [v.name for v in observed.free_RVs]
    assert grouped.observed_RVs == [] and "obs_id" not in grouped.coords
    logp_observed, logp_grouped = observed.compile_logp(), grouped.compile_logp()
    rng = np.random.default_rng(1)
    points = [_random_point(observed, rng) for _ in range(2)]
    gaps = [logp_observed(point) - logp_grouped(point) for point in points]
    values = [logp_observed(point) for point in points]
    assert values[0] != pytest.approx(values[1])  # two different points
    # The same density up to a constant (here 0 as well), to float64's precision on densities
    # of this size.
    tolerance = 1e-13 * max(abs(v) for v in values)
    assert gaps[0] == pytest.approx(gaps[1], abs=tolerance)
    assert gaps[0] == pytest.approx(0.0, abs=tolerance)


def test_group_statistics_are_the_groups_sums():
    data = simulate()
    stats = hbm.group_statistics(data)
    frame = pd.DataFrame({"g": data.group_idx, "y": data.outcome, "x": data.predictor})
    by_group = frame.groupby("g")
    assert stats.n.tolist() == by_group.size().tolist()
    assert stats.outcome_mean == pytest.approx(by_group["y"].mean().to_numpy())
    assert stats.outcome_ss == pytest.approx(by_group["y"].var(ddof=0).to_numpy() * stats.n)
    covariance = by_group.apply(
        lambda g: np.cov(g["x"], g["y"], ddof=0)[0, 1], include_groups=False
    )
    assert stats.cross_products == pytest.approx(covariance.to_numpy() * stats.n)


def test_sufficient_statistics_need_a_normal_likelihood():
    data = simulate()
    with pytest.raises(SpecificationError, match="needs a normal likelihood"):
        hbm.build_model(hbm.ModelSpec(likelihood="student_t"), data, sufficient_statistics=True)


@pytest.fixture(scope="module")
def small_fits():
    """Two fits of the ordinary model, with the full pointwise log-likelihood stored."""
    data = simulate(n_groups=15)
    fits = {}
    for pooling in ("complete", "partial"):
        model = hbm.build_model(hbm.ModelSpec(pooling=pooling, varying="slope"), data)
        fits[pooling] = hbm.sample(
            model, random_seed=3, draws=300, tune=300, chains=2, log_likelihood=True
        )
    return data, fits


def test_chunked_loo_equals_arviz_loo(small_fits, monkeypatch):
    data, fits = small_fits
    # Blocks of 7 observations: many blocks, the last one short.
    monkeypatch.setattr(chunked_loo, "_CHUNK_VALUES", 7 * 600)
    for idata in fits.values():
        expected = az.loo(idata, pointwise=True)
        found = hbm.loo_in_chunks(idata, data)
        assert found.elpd == pytest.approx(expected.elpd, rel=1e-10)
        assert found.se == pytest.approx(expected.se, rel=1e-10)
        assert found.p == pytest.approx(expected.p, rel=1e-8)
        assert found.pareto_k.to_numpy() == pytest.approx(expected.pareto_k.to_numpy(), abs=1e-10)
        assert found.elpd_i.to_numpy() == pytest.approx(expected.elpd_i.to_numpy(), rel=1e-10)
        assert (found.good_k, found.warning) == (expected.good_k, expected.warning)
    compared = az.compare({k: hbm.loo_in_chunks(v, data) for k, v in fits.items()})
    assert compared["elpd"].to_dict() == az.compare(fits)["elpd"].to_dict()


def test_subsampled_loo_is_close_to_the_exact_one(small_fits):
    data, fits = small_fits
    exact = {k: az.loo(v, pointwise=True) for k, v in fits.items()}
    sampled = {k: hbm.loo_in_chunks(v, data, subsample=60, seed=4) for k, v in fits.items()}
    for name, estimate in sampled.items():
        assert estimate.subsample_size == 60 and estimate.n_data_points == data.n_obs
        assert np.isfinite(estimate.pareto_k.to_numpy()).sum() == 60
        assert abs(estimate.elpd - exact[name].elpd) < 4 * estimate.subsampling_se
    compared = az.compare(sampled)
    assert "subsampling_dse" in compared and compared["rank"].to_dict() == {
        name: rank for name, rank in az.compare(exact)["rank"].items()
    }


def test_a_file_too_large_is_refused_with_its_numbers(monkeypatch):
    monkeypatch.setenv(hbm.MEMORY_LIMIT_ENV, "2400")
    assert hbm.check_report_size(10_000, 100, draws=1000, chains=4) < 2.4e9
    with pytest.raises(DataValidationError) as refused:
        hbm.check_report_size(300_000, 2_000, draws=1000, chains=4)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("the file has 300,000 rows in 2,000 groups: the report would need")
    needed = hbm.estimated_report_memory(300_000, 2_000, draws=1000, chains=4)
    assert f"about {needed / 1e9:.1f} GB at 1000 draws x 4 chains" in message
    assert "more than the 2.4 GB available" in message
    fits = re.search(r"--draws (\d+) or fewer or a file of at most ([\d,]+) rows$", message)
    assert fits, message
    draws, rows = int(fits[1]), int(fits[2].replace(",", ""))
    assert hbm.check_report_size(300_000, 2_000, draws=draws, chains=4) <= 2.4e9
    assert hbm.check_report_size(rows, 2_000, draws=1000, chains=4) <= 2.4e9
    with pytest.raises(DataValidationError):
        hbm.check_report_size(300_000, 2_000, draws=draws + 1, chains=4)
    monkeypatch.setenv(hbm.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(hbm.WorkbookInputError, match="HBM_REPORT_MEMORY_LIMIT must be a number"):
        hbm.check_report_size(10, 2, draws=10, chains=1)


def test_progress_lines_go_to_the_terminal_only_when_asked(monkeypatch, capfd):
    monkeypatch.delenv(hbm.PROGRESS_ENV, raising=False)
    hbm.report_progress("fitting quietly...")
    assert capfd.readouterr().err == ""
    monkeypatch.setenv(hbm.PROGRESS_ENV, "1")
    hbm.report_progress("fitting complete pooling (1 of 3)...")
    assert capfd.readouterr().err == "fitting complete pooling (1 of 3)...\n"


def test_tables_keep_significant_figures():
    frame = pd.DataFrame({"mean": [1.23456e-9, -441037.25, 0.5, 0.0, np.nan], "n": [1, 2, 3, 4, 5]})
    html = hbm.significant_figures(frame).to_html()
    cells = re.findall(r'class="data row\d col0" >([^<]*)<', html)
    assert cells == ["1.235e-09", "-441,037", "0.5000", "0", ""]
    assert re.findall(r'class="data row\d col1" >([^<]*)<', html) == ["1", "2", "3", "4", "5"]


def test_partial_pooling_is_centred_when_groups_are_large(tmp_path):
    write_large_csv(tmp_path / "large.csv", rows=20_000, groups=100)
    large = hbm.load_grouped_csv(tmp_path / "large.csv", group="site", outcome="y")
    assert hbm.partial_pooling_parameterization(large) == "centered"
    radon = hbm.GroupedData.from_frame(hbm.load_radon(), group="county", outcome="log_radon")
    assert hbm.partial_pooling_parameterization(radon) == "non_centered"
    # Eight groups of ten whose means differ by half the noise: informative enough for a
    # ratio of about 2, where the centred form still diverges.
    rng = np.random.default_rng(1)
    group = np.repeat(np.arange(8), 10)
    outcome = rng.normal(0, 0.5, size=8)[group] + rng.normal(size=80)
    few = hbm.GroupedData.from_frame(
        pd.DataFrame({"g": group, "y": outcome}), group="g", outcome="y"
    )
    assert hbm.partial_pooling_parameterization(few) == "non_centered"


@pytest.mark.slow
@pytest.mark.notebook
def test_report_on_a_medium_file_agrees_with_mixedlm(tmp_path):
    frame = write_large_csv(tmp_path / "medium.csv", rows=20_000, groups=200)
    results = tmp_path / "medium.json"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "hbm-report"),
            *("data", str(tmp_path / "medium.csv"), "--group", "site", "--outcome", "y"),
            *("--predictor", "x", "--draws", "300", "--tune", "300", "--chains", "2"),
            # Progress on (the default): a data report prints a line per fit, not a bar.
            *("--results-json", str(results), "-o", str(tmp_path / "m.html")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("fitting ")]
    assert [lines[k] for k in starts] == [
        f"fitting {label} ({k} of 3) on 20,000 rows in 200 groups..."
        for k, label in enumerate(
            [
                "complete pooling",
                "no pooling, varying intercept",
                "partial pooling, varying intercept",
            ],
            start=1,
        )
    ]
    for k in starts:
        assert re.fullmatch(
            r"\.\.\. done in \d+ s \(max R-hat \d\.\d{3} at (300|600) draws\)", lines[k + 1]
        )
    assert "LOO for partial pooling, varying intercept (3 of 3)..." in done.stderr
    figures = json.loads(results.read_text())
    assert figures["n_obs"] == 20_000 and figures["n_groups"] == 200
    assert max(r["divergences"] for r in figures["convergence"].values()) == 0
    assert figures["loo_rank"]["complete"] == 2
    partial = {row["parameter"]: row for row in figures["parameters"] if row["model"] == "partial"}
    fit = smf.mixedlm("y ~ x", frame, groups=frame["site"]).fit(reml=True)
    reference = {
        "mu_alpha": fit.fe_params["Intercept"],
        "beta": fit.fe_params["x"],
        "sigma": np.sqrt(fit.scale),
        "sigma_alpha": np.sqrt(fit.cov_re.iloc[0, 0]),
    }
    for name, value in reference.items():
        assert abs(partial[name]["mean"] - value) < 3 * partial[name]["sd"], name


def test_the_command_refuses_a_file_too_large_before_any_kernel(tmp_path, monkeypatch, capsys):
    write_large_csv(tmp_path / "big.csv", rows=20_000, groups=200)
    monkeypatch.setenv(hbm.MEMORY_LIMIT_ENV, "500")
    output = tmp_path / "big.html"
    status = main(
        ["data", str(tmp_path / "big.csv"), "--group", "site", "--outcome", "y", "-o", str(output)]
    )
    assert status == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("hbm-report: error: the file has 20,000 rows in 200 groups")
    assert "more than the 500 MB available" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]
