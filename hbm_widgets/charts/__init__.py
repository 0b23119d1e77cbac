"""Altair charts, one public function per module (``plot_*``), each returning an ``alt.Chart``.

Charts take data frames (or an ArviZ ``DataTree``) made by the core and draw them; they compute
nothing a test could not check on the frame itself. How they are displayed is decided once,
in :mod:`hbm_widgets.charts.rendering`. ``hbm_widgets`` re-exports every name a module here lists
in its ``__all__``.
"""

from hbm_widgets._lazy import lazy_exports

# Each public name and the module that defines it; a module loads on first use.
_EXPORTS = {
    "plot_binned_density": "binned_density",
    "plot_caterpillar": "caterpillar",
    "plot_chain_histogram": "chain_histogram",
    "plot_conjugate_update": "conjugate",
    "plot_county_estimates": "county_estimates",
    "plot_cv_scores": "cv_scores",
    "plot_divergences": "divergences",
    "plot_energy": "energy",
    "plot_forecasts": "forecasts",
    "plot_forest": "forest",
    "plot_funnel": "funnel",
    "plot_group_estimates": "group_estimates",
    "plot_group_means_vs_size": "group_means_vs_size",
    "plot_group_predictor": "group_predictor",
    "plot_lkj_draws": "lkj_draws",
    "plot_metropolis_trace": "metropolis_trace",
    "plot_monte_carlo_error": "monte_carlo_error",
    "plot_outcome_frequencies": "outcome_frequencies",
    "plot_pairwise_probabilities": "pairwise_probabilities",
    "plot_pooling_errors": "pooling_errors",
    "plot_pooling_lines": "pooling_lines",
    "plot_ppc": "ppc",
    "plot_predictive_intervals": "predictive_intervals",
    "plot_prior_density": "prior_density",
    "plot_calibration_ranks": "calibration_ranks",
    "plot_rank": "rank",
    "plot_rank_distribution": "rank_distribution",
    "plot_raw_vs_pooled_rates": "raw_vs_pooled_rates",
    "plot_recovery": "recovery",
    "plot_recovery_scatter": "recovery_scatter",
    "RENDERER_ENV": "rendering",
    "use_chart_renderer": "rendering",
    "plot_response_curves": "response_curves",
    "plot_sampler_paths": "sampler_paths",
    "plot_scale_priors": "scale_priors",
    "plot_school_lines": "school_lines",
    "plot_score_difference": "score_difference",
    "plot_score_prior_predictive": "score_prior_predictive",
    "plot_shrinkage_arrows": "shrinkage_arrows",
    "plot_shrinkage_factor": "shrinkage_factor",
    "plot_study_posterior_means": "study_posterior_means",
    "plot_trace": "trace",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
