"""A fitted ``ClusterSegmenter`` as JSON (never a pickle), and back.

The file holds the parameters, the fitted transform, the centres, the names,
the outlier limits and any metadata the caller adds (a project stores the
as-of date the model was fitted on), so a later run assigns customers to the
same segments with the same names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from segwise._version import __version__
from segwise.exceptions import ConfigError
from segwise.io.writers import write_text
from segwise.segmenters.cluster_features import FeatureTransform
from segwise.segmenters.cluster_models import FittedClusters
from segwise.segmenters.cluster_selection import Candidate

FORMAT = "segwise.ClusterSegmenter"


def _candidate(candidate: Candidate) -> dict[str, Any]:
    return {
        "k": candidate.k,
        "stability": candidate.stability,
        "silhouette": candidate.silhouette,
        "bic": candidate.bic,
        "chosen": candidate.chosen,
        "smallest_share": candidate.smallest_share,
    }


def model_payload(model: Any, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a fitted segmenter needs to assign again, as plain JSON values."""
    return {
        "format": FORMAT,
        "version": __version__,
        "params": model.get_params(),
        "n_segments": model.n_segments_,
        "segment_names": {str(k): v for k, v in model.segment_names_.items()},
        "transform": model.transform_.to_dict(),
        "clusters": model.clusters_.to_dict(),
        "stability": model.stability_,
        "silhouette": model.silhouette_,
        "segment_stability": {str(k): v for k, v in model.segment_stability_.items()},
        "candidates": [_candidate(c) for c in model.candidates_],
        "warnings": list(getattr(model, "warnings_", [])),
        "outlier_threshold": getattr(model, "outlier_threshold_", None),
        "outlier_limits": list(getattr(model, "outlier_limits_", [])),
        "metadata": dict(metadata or {}),
        "n_features_in": model.n_features_in_,
        "feature_names_in": [str(n) for n in getattr(model, "feature_names_in_", [])],
    }


def save_model(model: Any, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write the model's payload as JSON, atomically."""
    return write_text(json.dumps(model_payload(model, metadata), indent=1), path)


def load_model(cls: Any, path: str | Path) -> Any:
    """Rebuild a segmenter of class ``cls`` from a file written by :func:`save_model`."""
    target = Path(path)
    try:
        payload = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{target}: cannot read the model ({exc})".splitlines()[0]) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ConfigError(f"{target}: not a segwise cluster model")
    model = cls(**payload["params"])
    model.n_segments_ = int(payload["n_segments"])
    model.segment_names_ = {int(k): v for k, v in payload["segment_names"].items()}
    model.transform_ = FeatureTransform.from_dict(payload["transform"])
    model.clusters_ = FittedClusters.from_dict(payload["clusters"])
    model.stability_ = payload["stability"]
    model.silhouette_ = payload["silhouette"]
    model.segment_stability_ = {int(k): v for k, v in payload["segment_stability"].items()}
    model.candidates_ = [Candidate(**c) for c in payload["candidates"]]
    model.warnings_ = list(payload.get("warnings", []))  # models saved before 0.1 have none
    model.outlier_threshold_ = payload.get("outlier_threshold")
    model.outlier_limits_ = list(payload.get("outlier_limits", []))
    model.metadata_ = dict(payload.get("metadata") or {})
    model.n_features_in_ = payload["n_features_in"]
    if payload["feature_names_in"]:
        model.feature_names_in_ = np.asarray(payload["feature_names_in"], dtype=object)
    return model


def model_from_definition(cls: Any, stored: dict[str, Any]) -> Any:
    """A segmenter that assigns as a stored run did, from the run's cluster definition.

    A project run keeps the fitted transform, centres, outlier limits and
    segment names in its stored definition (``model`` and ``segment_ids``),
    so the service can place one new customer exactly as that run placed
    everyone, without a model file.
    """
    model_part = stored.get("model")
    if not isinstance(model_part, dict) or "clusters" not in model_part:
        raise ConfigError("the stored segmentation has no fitted cluster model")
    names = {int(k): str(v) for k, v in stored.get("segment_ids", {}).items()}
    model = cls(id_col="customer_id")
    model.transform_ = FeatureTransform.from_dict(model_part["transform"])
    model.clusters_ = FittedClusters.from_dict(model_part["clusters"])
    model.segment_names_ = names
    model.n_segments_ = sum(1 for k in names if k >= 0)
    model.outlier_threshold_ = model_part.get("outlier_threshold")
    model.outlier_limits_ = list(model_part.get("outlier_limits", []))
    model.n_features_in_ = len(model.transform_.input_names)
    return model
