"""Month names as European CRM exports write them, read as the English ones every engine knows.

Polars (chrono), DuckDB and Spark read ``%b`` and ``%B`` in English only, so a French
export's ``12 janv. 2024`` or a German one's ``3. März 2024`` read as no date at all.
Before a pattern with a month name parses, each month's name or abbreviation in English,
French, German, Spanish, Italian, Portuguese or Dutch (any case, with or without its
abbreviation's dot) becomes English's three letters, and ``%B`` reads as ``%b``. No word
stands for two months across these languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.engine.frames import Backend
from segwise.engine.portable import quote_literal

if TYPE_CHECKING:
    import polars as pl

#: Each month's English abbreviation and the words that name it.
MONTHS: dict[str, tuple[str, ...]] = {
    "Jan": ("january", "jan", "janvier", "janv", "januar", "jänner", "jän", "enero", "ene",
            "gennaio", "gen", "janeiro", "januari"),
    "Feb": ("february", "feb", "février", "févr", "fév", "fevrier", "fevr", "fev", "februar",
            "febrero", "febbraio", "fevereiro", "februari"),
    "Mar": ("march", "mar", "mars", "märz", "maerz", "mär", "marzo", "março", "marco", "maart",
            "mrt"),
    "Apr": ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    "May": ("may", "mai", "mayo", "maggio", "mag", "maio", "mei"),
    "Jun": ("june", "jun", "juin", "juni", "junio", "giugno", "giu", "junho"),
    "Jul": ("july", "jul", "juillet", "juil", "juli", "julio", "luglio", "lug", "julho"),
    "Aug": ("august", "aug", "août", "aout", "agosto", "ago", "augustus"),
    "Sep": ("september", "sept", "sep", "septembre", "septiembre", "settembre", "set",
            "setembro"),
    "Oct": ("october", "oct", "octobre", "oktober", "okt", "octubre", "ottobre", "ott",
            "outubro", "out"),
    "Nov": ("november", "nov", "novembre", "noviembre", "novembro"),
    "Dec": ("december", "dec", "décembre", "decembre", "déc", "dezember", "dez", "diciembre",
            "dic", "dicembre", "dezembro"),
}  # fmt: skip


def reads_month_names(fmt: str) -> bool:
    """Whether the strftime pattern ``fmt`` reads a month's name.

    Examples
    --------
    >>> reads_month_names("%d %b %Y"), reads_month_names("%d/%m/%Y")
    (True, False)
    """
    return "%b" in fmt or "%B" in fmt


def english_pattern(fmt: str) -> str:
    """``fmt`` as it reads the text :func:`english_months` gives: every name abbreviated.

    Examples
    --------
    >>> english_pattern("%d %B %Y")
    '%d %b %Y'
    """
    return fmt.replace("%B", "%b")


def _pattern(words: tuple[str, ...]) -> str:
    """A regex of ``words`` as whole words, the longest first, with an abbreviation's dot."""
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return rf"\b(?:{alternatives})\b\.?"


def english_months(text: pl.Expr) -> pl.Expr:
    """Polars: ``text`` with every month's name as English's three letters.

    Examples
    --------
    >>> import polars as pl
    >>> dates = pl.Series(["12 janv. 2024", "3. März 2024", "7 de outubro de 2024"])
    >>> pl.select(english_months(pl.lit(dates))).to_series().to_list()
    ['12 Jan 2024', '3. Mar 2024', '7 de Oct de 2024']
    """
    for english, words in MONTHS.items():
        text = text.str.replace_all("(?i)" + _pattern(words), english)
    return text


def english_months_sql(text: str, backend: Backend) -> str:
    """SQL for DuckDB or Spark: the text expression ``text`` with English month names."""
    for english, words in MONTHS.items():
        if backend is Backend.DUCKDB:
            pattern = quote_literal(_pattern(words), backend)
            text = f"regexp_replace({text}, {pattern}, '{english}', 'gi')"
        else:
            # (?iu): Java folds case in ASCII only unless told otherwise (FÉVRIER).
            pattern = quote_literal("(?iu)" + _pattern(words), backend)
            text = f"regexp_replace({text}, {pattern}, '{english}')"
    return text
