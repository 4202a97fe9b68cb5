"""Small checks shared by every layer: option values and "did you mean" hints."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def did_you_mean(name: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """Return the candidates closest to ``name``, best first.

    Names are compared case- and punctuation-insensitively, so ``customer id``
    finds ``CustomerID``.

    Examples
    --------
    >>> did_you_mean("CustomerId", ["CustomerID", "Country", "InvoiceNo"])
    ['CustomerID']
    """
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(_normalise(candidate), candidate)
    target = _normalise(name)
    if target in by_key:
        return [by_key[target]]
    close = difflib.get_close_matches(target, list(by_key), n=n, cutoff=0.6)
    return [by_key[key] for key in close]


def hint_for(name: str, candidates: Iterable[str]) -> str:
    """Render a "did you mean" hint, or list what exists when nothing is close.

    Examples
    --------
    >>> hint_for("CustomerId", ["CustomerID", "Country"])
    "did you mean 'CustomerID'?"
    """
    pool = list(candidates)
    close = did_you_mean(name, pool)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    shown = ", ".join(f"'{c}'" for c in pool[:12])
    more = f" and {len(pool) - 12} more" if len(pool) > 12 else ""
    return f"the columns are {shown}{more}"


def check_choice(option: str, value: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ConfigError with a hint.

    Examples
    --------
    >>> check_choice("returns", "net", ["keep", "net", "exclude"])
    'net'
    """
    if value in choices:
        return value
    close = difflib.get_close_matches(value, list(choices), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "use one of " + ", ".join(choices)
    raise ConfigError(f"{option} must be one of {', '.join(choices)}, not '{value}'", hint=hint)


#: The largest holdout share: beyond half, the "held out" group would be the campaign.
MAX_HOLDOUT = 0.5


def holdout_share(value: object) -> float | None:
    """A holdout as a share: ``"5%"``, ``"5 %"`` or ``0.05`` → ``0.05``; None stays None.

    Examples
    --------
    >>> holdout_share("5%"), holdout_share(0.1), holdout_share(None)
    (0.05, 0.1, None)
    """
    if value is None:
        return None
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"holdout {value!r} is not a share: write 5% or 0.05") from None
    if not 0 < share <= MAX_HOLDOUT:
        raise ValueError(f"holdout {value!r} must be above 0 and at most 50%")
    return share


#: The purchase models predictive segments can be made with, as the report names them.
PURCHASE_MODEL_NAMES = ("BG/NBD", "MBG/NBD", "Pareto/NBD")


def purchase_model_name(text: str) -> str:
    """The purchase model's name as the report gives it, from any spelling a user may type.

    Examples
    --------
    >>> purchase_model_name("pareto_nbd"), purchase_model_name("mbgnbd"), purchase_model_name("bg")
    ('Pareto/NBD', 'MBG/NBD', 'BG/NBD')
    """
    key = _normalise(text)
    for name in PURCHASE_MODEL_NAMES:
        if key in (_normalise(name), _normalise(name.split("/")[0])):
            return name
    raise ConfigError(
        f"unknown purchase model {text!r}", hint=f"use one of {', '.join(PURCHASE_MODEL_NAMES)}"
    )
