"""Activation: audiences delivered where campaigns run, with hashed identifiers.

The identifier normalisers are the privacy layer's (:mod:`segwise.privacy.identifiers`),
published here because this is where people sending audiences look for them.
"""

from __future__ import annotations

from segwise.privacy.identifiers import hash_identifier, normalize_identifier

__all__ = ["hash_identifier", "normalize_identifier"]
