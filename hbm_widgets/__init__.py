"""Helpers for the hierarchical-models workbook.

The core (data, specs, models, closed forms, sampling, diagnostics) needs neither
ipywidgets nor Altair; charts and widgets sit on top of it. Chapters import this package as
``hbm`` and call it; they define nothing another chapter would need.
"""

import warnings

# ArviZ 0.2x announces its coming 1.0 refactor on import; a learner cannot act on it.
warnings.filterwarnings("ignore", message="ArviZ is undergoing a major refactor")
# PyTensor from PyPI finds no system BLAS; the workbook's models are small and mostly
# elementwise, so the warning it prints on every compilation tells a learner nothing.
warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")

from hbm_widgets.conjugate import (  # noqa: E402
    NormalPosterior,
    build_conjugate_model,
    conjugate_curves,
    conjugate_normal_posterior,
    grid_posterior,
)
from hbm_widgets.convergence import (  # noqa: E402
    CHECKLIST_THRESHOLDS,
    GelmanRubin,
    chain_draws,
    compare_checklists,
    diagnostic_checklist,
    divergence_table,
    draws_table,
    energy_table,
    ess_per_second,
    example_chains,
    gelman_rubin,
    gelman_rubin_steps,
    metropolis_chains,
    mixture_model,
    rank_table,
    rhat_methods,
    variable_elements,
    variable_names,
)
from hbm_widgets.crossed import (  # noqa: E402
    CROSSED_PRIORS,
    CROSSED_TRUTH,
    CrossedData,
    CrossedSimulation,
    build_crossed_model,
    crossed_recovery,
    crossed_response_curves,
    simulate_crossed,
)
from hbm_widgets.crossval import (  # noqa: E402
    CrossValidation,
    cross_validate,
    stratified_folds,
    training_data,
)
from hbm_widgets.data import (  # noqa: E402
    GroupedData,
    data_dir,
    load_gcse,
    load_grouped_csv,
    load_radon,
)
from hbm_widgets.diagnostics import ConvergenceReport, convergence_report  # noqa: E402
from hbm_widgets.errors import (  # noqa: E402
    DataValidationError,
    SpecificationError,
    WorkbookInputError,
)
from hbm_widgets.exercises import check_exercise  # noqa: E402
from hbm_widgets.fake_data import (  # noqa: E402
    CafeSimulation,
    CafeTruth,
    recovery_table,
    simulate_cafes,
)
from hbm_widgets.gcse import (  # noqa: E402
    GCSE_REFERENCE,
    SchoolComparison,
    build_joint_model,
    compare_schools,
    expected_scores,
    format_comparison_table,
    missing_data_patterns,
    ml_vs_bayes_table,
    pairwise_probabilities,
    posterior_scalars,
    rank_summary,
    sampling_cost,
    school_line_estimates,
    school_lines,
    school_overview,
    school_ranks,
    score_histograms,
    score_priors,
    score_summary,
)
from hbm_widgets.glm import (  # noqa: E402
    BetaBinomialFit,
    beta_binomial_empirical_bayes,
    build_rate_model,
    load_baseball,
    pooled_rates,
    population_rate,
    rate_priors,
)
from hbm_widgets.group_estimates import (  # noqa: E402
    group_estimates,
    group_predictor_line,
    group_size_table,
    least_squares_intercepts,
    population_summary,
)
from hbm_widgets.mcmc import (  # noqa: E402
    MetropolisResult,
    chains_to_idata,
    histogram_frame,
    log_log_slope,
    metropolis_hastings,
    monte_carlo_errors,
    normal_density_frame,
    normal_mean_log_posterior,
    trace_frame,
)
from hbm_widgets.mixedlm import (  # noqa: E402
    MixedLMFit,
    compare_with_mixedlm,
    fit_mixedlm,
    mixedlm_formula,
)
from hbm_widgets.models import (  # noqa: E402
    build_model,
    check_compatible,
    default_priors,
    prior_data_name,
    resolve_priors,
)
from hbm_widgets.parameterization import funnel_draws, parameterization_table  # noqa: E402
from hbm_widgets.pooling_estimates import moment_estimates, pooling_estimates  # noqa: E402
from hbm_widgets.predictions import (  # noqa: E402
    coefficient_draws,
    expected_outcome,
    posterior_predictive_draws,
    ppc_densities,
    ppc_pvalues,
    predictive_intervals,
)
from hbm_widgets.prior_checks import (  # noqa: E402
    PriorPredictiveSummary,
    prior_density,
    prior_predictive_summary,
)
from hbm_widgets.prior_choice import (  # noqa: E402
    binned_density,
    inverse_wishart_draws,
    lkj_correlation_draws,
    prior_from_range,
    scale_prior_densities,
    scale_prior_summary,
)
from hbm_widgets.priors import Prior  # noqa: E402
from hbm_widgets.refit import Refitter  # noqa: E402
from hbm_widgets.rendering import use_chart_renderer  # noqa: E402
from hbm_widgets.report_analysis import (  # noqa: E402
    POOLING_STRATEGIES,
    convergence_table,
    fit_problems,
    group_coefficient_estimates,
    grouped_data_overview,
    pooling_strategy_specs,
    posterior_parameter_table,
    posterior_shrinkage_table,
    predict_new_group,
    warning_box_html,
)
from hbm_widgets.results import record_results  # noqa: E402
from hbm_widgets.sampling import SAMPLERS, compiled_sampler, sample  # noqa: E402
from hbm_widgets.shrinkage import partial_pooling_estimate, shrinkage_factor  # noqa: E402
from hbm_widgets.spec import ModelDescription, ModelSpec  # noqa: E402
from hbm_widgets.study import (  # noqa: E402
    DEFAULT_DESIGNS,
    DEFAULT_PRIOR_CHOICES,
    Design,
    PriorChoice,
    StudySpec,
    StudyTruth,
    compare_priors,
    fit_study_model,
    load_study,
    run_simulation,
    run_study,
    simulate_study_data,
    study_data,
    study_model_spec,
    summarise_study,
)
from hbm_widgets.timeseries import (  # noqa: E402
    SERIES_TRUTH,
    SeriesData,
    SeriesSimulation,
    build_series_model,
    forecast_series,
    fourier_features,
    series_priors,
    simulate_grouped_series,
)

__version__ = "0.1.0"

# The core's public names; charts and widgets are added below, on first use.
__all__ = [
    "CHECKLIST_THRESHOLDS",
    "CROSSED_PRIORS",
    "CROSSED_TRUTH",
    "DEFAULT_DESIGNS",
    "DEFAULT_PRIOR_CHOICES",
    "GCSE_REFERENCE",
    "POOLING_STRATEGIES",
    "SAMPLERS",
    "SERIES_TRUTH",
    "BetaBinomialFit",
    "CafeSimulation",
    "CafeTruth",
    "ConvergenceReport",
    "CrossValidation",
    "CrossedData",
    "CrossedSimulation",
    "DataValidationError",
    "Design",
    "GelmanRubin",
    "GroupedData",
    "MetropolisResult",
    "MixedLMFit",
    "ModelDescription",
    "ModelSpec",
    "NormalPosterior",
    "Prior",
    "PriorChoice",
    "PriorPredictiveSummary",
    "Refitter",
    "SchoolComparison",
    "SeriesData",
    "SeriesSimulation",
    "SpecificationError",
    "StudySpec",
    "StudyTruth",
    "WorkbookInputError",
    "beta_binomial_empirical_bayes",
    "binned_density",
    "build_conjugate_model",
    "build_crossed_model",
    "build_joint_model",
    "build_model",
    "build_rate_model",
    "build_series_model",
    "chain_draws",
    "chains_to_idata",
    "check_compatible",
    "check_exercise",
    "coefficient_draws",
    "compare_checklists",
    "compare_priors",
    "compare_schools",
    "compare_with_mixedlm",
    "compiled_sampler",
    "conjugate_curves",
    "conjugate_normal_posterior",
    "convergence_report",
    "convergence_table",
    "cross_validate",
    "crossed_recovery",
    "crossed_response_curves",
    "data_dir",
    "default_priors",
    "diagnostic_checklist",
    "divergence_table",
    "draws_table",
    "energy_table",
    "ess_per_second",
    "example_chains",
    "expected_outcome",
    "expected_scores",
    "fit_mixedlm",
    "fit_problems",
    "fit_study_model",
    "forecast_series",
    "format_comparison_table",
    "fourier_features",
    "funnel_draws",
    "gelman_rubin",
    "gelman_rubin_steps",
    "grid_posterior",
    "group_coefficient_estimates",
    "group_estimates",
    "group_predictor_line",
    "group_size_table",
    "grouped_data_overview",
    "histogram_frame",
    "inverse_wishart_draws",
    "least_squares_intercepts",
    "lkj_correlation_draws",
    "load_baseball",
    "load_gcse",
    "load_grouped_csv",
    "load_radon",
    "load_study",
    "log_log_slope",
    "metropolis_chains",
    "metropolis_hastings",
    "missing_data_patterns",
    "mixedlm_formula",
    "mixture_model",
    "ml_vs_bayes_table",
    "moment_estimates",
    "monte_carlo_errors",
    "normal_density_frame",
    "normal_mean_log_posterior",
    "pairwise_probabilities",
    "parameterization_table",
    "partial_pooling_estimate",
    "pooled_rates",
    "pooling_estimates",
    "pooling_strategy_specs",
    "population_rate",
    "population_summary",
    "posterior_parameter_table",
    "posterior_predictive_draws",
    "posterior_scalars",
    "posterior_shrinkage_table",
    "ppc_densities",
    "ppc_pvalues",
    "predict_new_group",
    "predictive_intervals",
    "prior_data_name",
    "prior_density",
    "prior_from_range",
    "prior_predictive_summary",
    "rank_summary",
    "rank_table",
    "rate_priors",
    "record_results",
    "recovery_table",
    "resolve_priors",
    "rhat_methods",
    "run_simulation",
    "run_study",
    "sample",
    "sampling_cost",
    "scale_prior_densities",
    "scale_prior_summary",
    "school_line_estimates",
    "school_lines",
    "school_overview",
    "school_ranks",
    "score_histograms",
    "score_priors",
    "score_summary",
    "series_priors",
    "shrinkage_factor",
    "simulate_cafes",
    "simulate_crossed",
    "simulate_grouped_series",
    "simulate_study_data",
    "stratified_folds",
    "study_data",
    "study_model_spec",
    "summarise_study",
    "trace_frame",
    "training_data",
    "use_chart_renderer",
    "variable_elements",
    "variable_names",
    "warning_box_html",
]

# Charts and widgets load on first use, so that the core (and the report command) can be
# imported without Altair or ipywidgets doing any work. Every public name a module of
# `hbm_widgets.charts` or `hbm_widgets.widgets` lists in its `__all__` is found here.
_LAZY_PACKAGES = ("hbm_widgets.charts", "hbm_widgets.widgets")
_lazy_names: dict[str, str] | None = None


def _lazy_table() -> dict[str, str]:
    global _lazy_names
    if _lazy_names is None:
        import importlib
        import pkgutil

        table = {}
        for package_name in _LAZY_PACKAGES:
            package = importlib.import_module(package_name)
            for info in pkgutil.iter_modules(package.__path__):
                module_name = f"{package_name}.{info.name}"
                for name in getattr(importlib.import_module(module_name), "__all__", ()):
                    table.setdefault(name, module_name)
        _lazy_names = table
    return _lazy_names


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    table = _lazy_table()
    if name in table:
        import importlib

        return getattr(importlib.import_module(table[name]), name)
    raise AttributeError(f"module 'hbm_widgets' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_lazy_table()])
