"""The segment rule language: tokens → parser → AST (:mod:`nodes`) → compiler → engine expression.

Rule text is untrusted: it is tokenized against a small alphabet, parsed
with depth and size caps, and compiled by a whitelist dispatch. Nothing in
this package calls ``eval``, ``exec`` or ``compile``, reads files, or passes
text to SQL.
"""

from __future__ import annotations

from segwise.lang.parser import Rule, parse_rule

__all__ = ["Rule", "parse_rule"]
