"""Models that a ``ModelSpec`` cannot express, built from the core's priors and data checks.

Crossed and nested effects (chapter 10), the binomial rate model (chapter 11), grouped
time series (chapter 11), and models written as lme4-style formulas (built by Bambi).
"""

from hbm_widgets._lazy import lazy_exports

# Each public name and the module that defines it; a module loads on first use.
_EXPORTS = {
    "CROSSED_PRIORS": "crossed",
    "CROSSED_TRUTH": "crossed",
    "CrossedData": "crossed",
    "CrossedSimulation": "crossed_simulation",
    "build_crossed_model": "crossed_model",
    "crossed_recovery": "crossed_model",
    "crossed_response_curves": "crossed_model",
    "simulate_crossed": "crossed_simulation",
    "FORMULA_FAMILIES": "formula",
    "FormulaFit": "formula",
    "FormulaModel": "formula",
    "compare_with_pooled": "formula",
    "formula_from_roles": "formula",
    "FORMULA_EXAMPLE": "formula_text",
    "formula_sides": "formula_text",
    "BetaBinomialFit": "rates",
    "beta_binomial_empirical_bayes": "rates",
    "build_rate_model": "rates",
    "load_baseball": "rates",
    "load_pumps": "rates",
    "pooled_rates": "rates",
    "population_rate": "rates",
    "rate_priors": "rates",
    "SERIES_TRUTH": "timeseries",
    "SeriesData": "timeseries",
    "SeriesSimulation": "timeseries_simulation",
    "build_series_model": "timeseries",
    "forecast_series": "timeseries",
    "fourier_features": "timeseries",
    "series_priors": "timeseries",
    "simulate_grouped_series": "timeseries_simulation",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
