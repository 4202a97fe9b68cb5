"""Privacy rules: how identifiers are normalised and hashed for each platform.

Pure functions; the layers that own data (the store, destinations, files) carry them out.
"""

from __future__ import annotations

from segwise.privacy.identifiers import (
    IDENTIFIER_KINDS,
    PLATFORMS,
    hash_identifier,
    normalize_identifier,
)

__all__ = ["IDENTIFIER_KINDS", "PLATFORMS", "hash_identifier", "normalize_identifier"]
