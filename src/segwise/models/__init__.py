"""BTYD models by maximum likelihood: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, BG/BB, sBG."""

from __future__ import annotations

from segwise.models.beta_geo import BetaGeoModel
from segwise.models.beta_geo_beta_binom import BetaGeoBetaBinomModel
from segwise.models.clv import customer_lifetime_value
from segwise.models.gamma_gamma import GammaGammaModel
from segwise.models.intervals import prediction_intervals
from segwise.models.modified_beta_geo import ModifiedBetaGeoModel
from segwise.models.pareto_nbd import ParetoNBDModel
from segwise.models.predictions import CustomerPredictions, predict_customers
from segwise.models.predictive import predictive_segments
from segwise.models.shifted_beta_geo import ShiftedBetaGeoModel
from segwise.models.tiers import value_tiers

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "CustomerPredictions",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeoModel",
    "customer_lifetime_value",
    "predict_customers",
    "prediction_intervals",
    "predictive_segments",
    "value_tiers",
]
