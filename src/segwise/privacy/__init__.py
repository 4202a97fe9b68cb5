"""Privacy rules: identifiers normalised and hashed per platform, and consent at the edge.

Pure functions; the layers that own data (the store, destinations, files) carry them out.
"""

from __future__ import annotations

from segwise.privacy.consent import consent_in_force, consented
from segwise.privacy.identifiers import (
    IDENTIFIER_KINDS,
    PLATFORMS,
    hash_identifier,
    normalize_identifier,
)

__all__ = [
    "IDENTIFIER_KINDS",
    "PLATFORMS",
    "consent_in_force",
    "consented",
    "hash_identifier",
    "normalize_identifier",
]
