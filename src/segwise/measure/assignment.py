r"""Deterministic assignment: the same customer always gets the same variant.

A customer's place in ``[0, 1)`` is the first 15 hex digits of
``SHA-256(salt + "\x1f" + customer_id)`` divided by ``16**15``; the split
cuts that interval into the variants in order (50/50: below 0.5 is the first).
Nothing is stored to remember it: any run, any machine, any engine that has
SHA-256 computes the same bucket, and adding customers later never moves the
ones already assigned. The salt (the experiment's name by default) makes
experiments independent of each other: the customers in "A" of one test are
spread evenly over the variants of the next. Standing holdouts use the same
rule with their own salt.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

_DIGITS = 15  # 60 bits: exact in a double and in DuckDB's UBIGINT
_SCALE = 16**_DIGITS


def bucket(customer_id: str, salt: str) -> float:
    """The customer's place in ``[0, 1)`` under ``salt`` (the reference for the engine's).

    Examples
    --------
    >>> bucket("C001", "spring-offer") == bucket("C001", "spring-offer")
    True
    >>> 0 <= bucket("C001", "spring-offer") < 1
    True
    """
    digest = hashlib.sha256(f"{salt}\x1f{customer_id}".encode()).hexdigest()
    place: float = int(digest[:_DIGITS], 16) / _SCALE
    return place


def check_split(variants: Sequence[str], split: Sequence[float]) -> list[float]:
    """The split as shares summing to 1, or a clear error."""
    if len(variants) < 2:
        raise ConfigError("an experiment needs at least two variants", hint="e.g. --variants A,B")
    if len(set(variants)) != len(variants):
        raise ConfigError("variant names repeat", hint="give each variant its own name")
    if len(split) != len(variants):
        raise ConfigError(
            f"{len(variants)} variants but {len(split)} shares",
            hint="give one share per variant, e.g. --split 50,50",
        )
    if any(share <= 0 for share in split):
        raise ConfigError("every share must be above 0", hint="e.g. --split 90,10")
    total = sum(split)
    return [share / total for share in split]


def assign(
    customer_ids: pl.Series, variants: Sequence[str], split: Sequence[float], salt: str
) -> pl.DataFrame:
    """``customer_id, variant`` for every id, by :func:`bucket` computed in DuckDB.

    Examples
    --------
    >>> ids = pl.Series("customer_id", [f"C{i:04d}" for i in range(10_000)])
    >>> found = assign(ids, ["A", "B"], [50, 50], "spring-offer")
    >>> round(found["variant"].eq("A").mean(), 2)
    0.49
    """
    shares = check_split(variants, split)
    cuts, cumulative = [], 0.0
    for variant, share in zip(variants[:-1], shares[:-1], strict=True):
        cumulative += share
        cuts.append((cumulative, variant))
    place = (
        f"(('0x' || substr(sha256($salt || chr(31) || customer_id), 1, {_DIGITS}))::UBIGINT"
        f" / {float(_SCALE)!r})"
    )
    cases = " ".join(f"WHEN {place} < {cut!r} THEN $v{i}" for i, (cut, _) in enumerate(cuts))
    names = {f"v{i}": variant for i, (_, variant) in enumerate(cuts)}
    # Numbered, so the answer comes back in the order given (callers align flags on it).
    ids = pl.DataFrame({"customer_id": customer_ids.cast(pl.String)}).with_row_index("row")
    with duckdb.connect() as connection:  # SHA-256 in the engine: Polars has none
        connection.register("ids", ids.to_arrow())
        found: pl.DataFrame = connection.sql(
            f"SELECT customer_id, CASE {cases} ELSE $last END AS variant FROM ids ORDER BY row",
            params={"salt": salt, "last": variants[-1], **names},
        ).pl()
    return found


def held_out(customer_ids: pl.Series, share: float, salt: str) -> pl.Series:
    """Whether each customer is in the holdout: their place under ``salt`` is below ``share``.

    The first ``share`` of the interval, as :func:`assign` cuts it: a larger holdout
    later keeps everyone the smaller one held out.

    Examples
    --------
    >>> ids = pl.Series("customer_id", [f"C{i:04d}" for i in range(10_000)])
    >>> round(held_out(ids, 0.05, "holdout:lifecycle").mean(), 3)
    0.054
    """
    found = assign(customer_ids, ["held out", "targeted"], [share, 1 - share], salt)
    flags: pl.Series = (found["variant"] == "held out").alias("held_out")
    return flags
