"""The segmentation methods of a project, one module each, and the registry that finds them.

``run`` and ``validate`` both dispatch through :func:`method_for`. Adding a
method (say ``hybrid``) is one new module here plus its config model in
:mod:`segwise.project.config`.
"""

from __future__ import annotations

from typing import Any

from segwise.project.config import (
    ClusterSegmentation,
    ClvSegmentation,
    RfmSegmentation,
    RulesSegmentation,
)
from segwise.project.methods import cluster, clv, rfm, rules
from segwise.project.methods.base import CheckInputs, Method, RunInputs

METHODS: dict[type, Method] = {
    RfmSegmentation: rfm.METHOD,
    RulesSegmentation: rules.METHOD,
    ClusterSegmentation: cluster.METHOD,
    ClvSegmentation: clv.METHOD,
}


def method_for(spec: Any) -> Method:
    """The method that runs a segmentation's config model."""
    return METHODS[type(spec)]


__all__ = ["METHODS", "CheckInputs", "Method", "RunInputs", "method_for"]
