"""The purchase models a predictive segmentation can be made with, by the name users give them.

BG/NBD, MBG/NBD and Pareto/NBD predict the same things from the same history
(``frequency, recency, T``) and differ in when a customer may drop out: only
after a repeat purchase (BG/NBD), also at the first purchase (MBG/NBD), or at
any time (Pareto/NBD). The last two give a one-time buyer who has been quiet
for long a P(alive) below 1, BG/NBD gives every one-time buyer 1; the segments
judge one-time buyers by their silence too, whichever the model
(``churn_flags`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise._validation import purchase_model_name as model_name
from segwise.models.beta_geo import BetaGeoModel
from segwise.models.modified_beta_geo import ModifiedBetaGeoModel
from segwise.models.pareto_nbd import ParetoNBDModel

if TYPE_CHECKING:
    from segwise.models.base import PurchaseCountModel

__all__ = [
    "DEFAULT_MODEL",
    "ONE_TIME_BUYERS_ALIVE",
    "PARAMETER_KEYS",
    "PURCHASE_MODELS",
    "model_name",
    "new_model",
]

#: The models, by the name the report gives them.
PURCHASE_MODELS: dict[str, type[PurchaseCountModel]] = {
    "BG/NBD": BetaGeoModel,
    "MBG/NBD": ModifiedBetaGeoModel,
    "Pareto/NBD": ParetoNBDModel,
}
#: The model predictive segments are made with unless told otherwise.
DEFAULT_MODEL = "BG/NBD"
#: Where each model's fitted parameters go in ``segwise clv --json`` and a definition.
PARAMETER_KEYS = {"BG/NBD": "bgnbd", "MBG/NBD": "mbgnbd", "Pareto/NBD": "pareto_nbd"}
#: Models whose every one-time buyer has P(alive) = 1 (dropout only after a repeat purchase):
#: their cards leave the one-time buyers out of the P(alive) trait.
ONE_TIME_BUYERS_ALIVE = frozenset({"BG/NBD"})


def new_model(name: str) -> PurchaseCountModel:
    """A new, unfitted purchase model of that name, in any spelling (``pareto_nbd``, ``mbgnbd``).

    Examples
    --------
    >>> new_model("pareto").MODEL
    'Pareto/NBD'
    """
    return PURCHASE_MODELS[model_name(name)]()
