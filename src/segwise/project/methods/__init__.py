"""The segmentation methods of a project, one module each, and the registry that finds them.

``run`` and ``validate`` both dispatch through :func:`method_for`. Each module
here declares ``METHOD = Method(ConfigModel, run, check)`` and is found by
itself, so adding a method (say ``hybrid``) is one new module here plus its
config model in :mod:`segwise.project.config`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from segwise.project.methods.base import CheckInputs, Method, RunInputs


def _discover() -> dict[type, Method]:
    found: dict[type, Method] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        method = getattr(importlib.import_module(f"{__name__}.{module.name}"), "METHOD", None)
        if isinstance(method, Method):
            found[method.config] = method
    return found


METHODS: dict[type, Method] = _discover()


def method_for(spec: Any) -> Method:
    """The method that runs a segmentation's config model."""
    return METHODS[type(spec)]


__all__ = ["METHODS", "CheckInputs", "Method", "RunInputs", "method_for"]
