"""Files rewritten without the people they name: rows dropped, quoted values redacted.

A table (CSV, gzipped CSV, Parquet, JSON lines) loses every row in which a cell
equals one of the tokens (an id, an email, a phone number, or its hash). Any
other text file (HTML, JSON, logs) has each token replaced by ``[erased]``
where no identifier character touches it, so ``C-17`` does not match inside
``C-170``. Files are rewritten atomically, and only when something was found.
"""

from __future__ import annotations

import gzip
import re
from typing import TYPE_CHECKING

import polars as pl

from segwise.io.writers import atomic_path

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

REDACTED = "[erased]"
#: Characters that continue an identifier (letters, digits and ``_@.+-``).
_WORD = r"\w@.+\-"
_RUN = re.compile(f"[{_WORD}]+")
_TABLES = (".csv", ".csv.gz", ".tsv", ".parquet", ".jsonl", ".ndjson")
#: Files never opened as text (a store, a model, a spreadsheet).
_BINARY = (".duckdb", ".wal", ".joblib", ".pkl", ".xlsx", ".xls", ".zip", ".png")


def redact_file(path: Path, tokens: Collection[str]) -> int:
    r"""Rewrite ``path`` without ``tokens``; the rows dropped or values redacted (0: untouched).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "sent.csv").write_text("customer_id,email\nC-17,a@x.io\nC-170,b@x.io\n")
    >>> redact_file(folder / "sent.csv", {"C-17", "a@x.io"})
    1
    >>> (folder / "sent.csv").read_text()
    'customer_id,email\nC-170,b@x.io\n'
    >>> _ = (folder / "log.txt").write_text("explained C-17 (C-170 untouched)")
    >>> redact_file(folder / "log.txt", {"C-17"}), (folder / "log.txt").read_text()
    (1, 'explained [erased] (C-170 untouched)')
    """
    wanted = {t for t in tokens if t}
    name = path.name.lower()
    if not wanted or name.endswith(_BINARY):
        return 0
    if name.endswith(_TABLES):
        return _redact_table(path, name, wanted)
    return _redact_text(path, wanted)


def _redact_table(path: Path, name: str, tokens: set[str]) -> int:
    table = _read(path, name)
    text = [c for c, t in table.schema.items() if t == pl.String]
    if not text or not table.height:
        return 0
    named = pl.any_horizontal(pl.col(c).str.strip_chars().is_in(list(tokens)) for c in text)
    found = int(table.select(named.fill_null(value=False).sum()).item())
    if found:
        _write(table.filter(~named.fill_null(value=False)), path, name)
    return found


def _read(path: Path, name: str) -> pl.DataFrame:
    if name.endswith(".parquet"):
        return pl.read_parquet(path)
    if name.endswith((".jsonl", ".ndjson")):
        return pl.read_ndjson(path) if path.stat().st_size else pl.DataFrame()
    # Every column as text: a value is found and written back exactly as it was.
    separator = "\t" if name.endswith(".tsv") else ","
    return pl.read_csv(path, infer_schema=False, separator=separator)


def _write(table: pl.DataFrame, path: Path, name: str) -> None:
    with atomic_path(path) as tmp:
        if name.endswith(".parquet"):
            table.write_parquet(tmp)
        elif name.endswith((".jsonl", ".ndjson")):
            table.write_ndjson(tmp)
        elif name.endswith(".gz"):
            tmp.write_bytes(gzip.compress(table.write_csv().encode("utf-8")))
        else:
            table.write_csv(tmp, separator="\t" if name.endswith(".tsv") else ",")


def _redact_text(path: Path, tokens: set[str]) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return 0
    found = 0
    # Tokens that are one run of identifier characters are looked up run by run (a set
    # lookup each: a regex of thousands of alternatives took 7 s on a 5 MB report).
    plain = {t for t in tokens if _RUN.fullmatch(t)}

    def swap(match: re.Match[str]) -> str:
        nonlocal found
        word = match.group()
        stem = word.rstrip(".")  # a full stop after a token ends a sentence
        if stem in plain:
            found += 1
            return REDACTED + word[len(stem) :]
        return word

    redacted = _RUN.sub(swap, text) if plain else text
    spaced = tokens - plain  # "+44 7700 900731": the few with spaces
    if spaced:
        alternatives = "|".join(re.escape(t) for t in sorted(spaced, key=len, reverse=True))
        pattern = re.compile(f"(?<![{_WORD}])(?:{alternatives})(?![\\w@+\\-]|\\.\\w)")
        redacted, more = pattern.subn(REDACTED, redacted)
        found += more
    if found:
        with atomic_path(path) as tmp:
            tmp.write_text(redacted, encoding="utf-8")
    return found
