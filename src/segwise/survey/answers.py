"""Survey answers, long as exported (respondent, question, answer), into one row per respondent.

Likert answers become numbers on the question's scale (labels such as
"Agree" mapped through the codebook), reverse-worded items are turned round
(``low + high − answer``), choices stay text, a ranking ("price > quality
> brand") becomes one column per option holding its rank, and a "select all that
apply" answer ("Email, SMS", as Google Forms writes it) one column per option
holding 1 when chosen and 0 when not. An answer that is
not on the question's scale or among its options is set aside with its
reason, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from segwise.survey.codebook import Codebook, Question

#: How a ranking answer separates its options ("price > quality > brand", "price;quality").
RANK_SEPARATORS = r"\s*[>;,|]\s*"


@dataclass(frozen=True)
class AnswerTable:
    """The answers, one row per respondent.

    Attributes
    ----------
    wide
        ``customer_id`` then one column per item: a Likert question (Float64,
        reverse-coded), a choice (String) or one option of a ranking
        (``question:option``, its rank).
    items
        Each item column's question.
    invalid
        Answers set aside: ``customer_id, question, answer, reason``.
    unknown
        Questions answered but not in the codebook (left out).
    codebook
        The codebook used (inferred from the answers when none was given).
    """

    wide: pl.DataFrame
    items: dict[str, Question]
    invalid: pl.DataFrame
    unknown: tuple[str, ...]
    codebook: Codebook

    @property
    def respondents(self) -> int:
        """How many respondents gave at least one usable answer."""
        return self.wide.height

    def likert_columns(self) -> list[str]:
        """The Likert item columns (numbers on their scale, reverse items turned round)."""
        return [c for c, q in self.items.items() if q.kind == "likert"]


def answer_table(responses: pl.DataFrame, codebook: Codebook | None = None) -> AnswerTable:
    r"""Turn long answers into one row per respondent (see the module docstring).

    Parameters
    ----------
    responses
        ``customer_id, question, answer``: one row per respondent and
        question, as :func:`segwise.read_responses` returns them.
    codebook
        The questions' kinds, scales and directions; inferred when None.

    Examples
    --------
    >>> import polars as pl
    >>> long = pl.DataFrame({"customer_id": ["a", "a", "b", "b"], "question": ["q1", "q2"] * 2,
    ...                      "answer": ["5", "1", "2", "9"]})
    >>> book = Codebook.from_text("scale: [1, 5]\nquestions: {q1: {}, q2: {reverse: true}}")
    >>> table = answer_table(long, book)
    >>> table.wide.rows(), table.invalid["reason"].to_list()
    ([('a', 5.0, 5.0), ('b', 2.0, None)], ['not on the scale 1–5'])
    """
    text = responses.select(
        pl.col("customer_id").cast(pl.String),
        pl.col("question").cast(pl.String),
        pl.col("answer").cast(pl.String).str.strip_chars(),
    )
    book = codebook or Codebook.inferred(text)
    unknown = tuple(sorted(set(text["question"].unique().to_list()) - set(book.questions)))
    parts: list[pl.DataFrame] = []
    invalid: list[pl.DataFrame] = []
    items: dict[str, Question] = {}
    for question in book.questions.values():
        rows = text.filter(pl.col("question") == question.name)
        if question.kind in {"ranking", "multiple"}:
            long, bad = (_ranks if question.kind == "ranking" else _chosen)(rows, question)
            items.update({f"{question.name}:{option}": question for option in question.options})
        else:
            long, bad = (_likert if question.kind == "likert" else _choice)(rows, question)
            items[question.name] = question
        parts.append(long)
        invalid.append(bad)
    wide = _pivot(parts, list(items))
    return AnswerTable(wide, items, pl.concat(invalid), unknown, book)


def _likert(rows: pl.DataFrame, question: Question) -> tuple[pl.DataFrame, pl.DataFrame]:
    if question.labels:
        mapping = dict(question.labels)
        number = pl.col("answer").replace_strict(mapping, default=None, return_dtype=pl.Float64)
        number = number.fill_null(pl.col("answer").cast(pl.Float64, strict=False))
    else:
        number = pl.col("answer").cast(pl.Float64, strict=False)
    valued = rows.with_columns(number.alias("value"))
    low, high = question.scale or _seen_range(valued)
    on_scale = pl.col("value").is_between(low, high) & pl.col("value").is_finite()
    reason = (
        pl.when(pl.col("value").is_null())
        .then(pl.lit("not a number or a known label"))
        .otherwise(pl.lit(f"not on the scale {low:g}–{high:g}"))
    )
    bad = valued.filter(~on_scale.fill_null(value=False)).select(
        "customer_id", "question", "answer", reason.alias("reason")
    )
    value = (low + high - pl.col("value")) if question.reverse else pl.col("value")
    good = valued.filter(on_scale.fill_null(value=False)).select(
        "customer_id", pl.lit(question.name).alias("item"), value.alias("number"),
        pl.lit(None, dtype=pl.String).alias("text"),
    )  # fmt: skip
    return good, bad


def _seen_range(valued: pl.DataFrame) -> tuple[float, float]:
    finite = valued.filter(pl.col("value").is_finite())["value"]
    return (float(finite.min()), float(finite.max())) if finite.len() else (0.0, 0.0)  # type: ignore[arg-type]


def _choice(rows: pl.DataFrame, question: Question) -> tuple[pl.DataFrame, pl.DataFrame]:
    known = pl.lit(value=True) if not question.options else pl.col("answer").is_in(question.options)
    known = known & pl.col("answer").is_not_null() & (pl.col("answer") != "")
    bad = rows.filter(~known).select(
        "customer_id",
        "question",
        "answer",
        pl.lit("not one of the question's options").alias("reason"),
    )
    good = rows.filter(known).select(
        "customer_id", pl.lit(question.name).alias("item"),
        pl.lit(None, dtype=pl.Float64).alias("number"), pl.col("answer").alias("text"),
    )  # fmt: skip
    return good, bad


def _ranks(rows: pl.DataFrame, question: Question) -> tuple[pl.DataFrame, pl.DataFrame]:
    unit = "\x1f"  # one separator the answers cannot hold, so one split
    split = rows.with_columns(
        pl.col("answer").str.replace_all(RANK_SEPARATORS, unit).str.split(unit).alias("ranked")
    )
    options = list(question.options)
    valid = pl.col("ranked").list.eval(pl.element().is_in(options)).list.all() & (
        pl.col("ranked").list.n_unique() == pl.col("ranked").list.len()
    )
    bad = split.filter(~valid.fill_null(value=False)).select(
        "customer_id", "question", "answer",
        pl.lit(f"not a ranking of {', '.join(options)} (each at most once)").alias("reason"),
    )  # fmt: skip
    good = (
        split.filter(valid.fill_null(value=False))
        .with_columns(pl.int_ranges(1, pl.col("ranked").list.len() + 1).alias("rank"))
        .explode("ranked", "rank")
        .select(
            "customer_id",
            (pl.lit(f"{question.name}:") + pl.col("ranked")).alias("item"),
            pl.col("rank").cast(pl.Float64).alias("number"),
            pl.lit(None, dtype=pl.String).alias("text"),
        )
    )
    return good, bad


def _chosen(rows: pl.DataFrame, question: Question) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A "select all that apply" answer: 1 for each option chosen, 0 for each one not."""
    unit = "\x1f"
    split = rows.with_columns(
        pl.col("answer").str.replace_all(RANK_SEPARATORS, unit).str.split(unit).alias("chosen")
    )
    options = list(question.options)
    valid = pl.col("chosen").list.eval(pl.element().is_in(options)).list.all()
    bad = split.filter(~valid.fill_null(value=False)).select(
        "customer_id", "question", "answer",
        pl.lit(f"not a selection of {', '.join(options)}").alias("reason"),
    )  # fmt: skip
    good = split.filter(valid.fill_null(value=False)).select(
        "customer_id",
        *(
            pl.col("chosen").list.contains(option).cast(pl.Float64).alias(option)
            for option in options
        ),
    )
    long = good.unpivot(index="customer_id", variable_name="option", value_name="number").select(
        "customer_id",
        (pl.lit(f"{question.name}:") + pl.col("option")).alias("item"),
        "number",
        pl.lit(None, dtype=pl.String).alias("text"),
    )
    return long, bad


def _pivot(parts: list[pl.DataFrame], columns: list[str]) -> pl.DataFrame:
    """One row per respondent, one column per item, in codebook order."""
    schema = {"customer_id": pl.String, "item": pl.String, "number": pl.Float64, "text": pl.String}
    long = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    ids = long.select("customer_id").unique().sort("customer_id")
    wide = ids
    for value in ("number", "text"):
        present = long.filter(pl.col(value).is_not_null())
        if present.height:
            pivoted = present.pivot(
                on="item", index="customer_id", values=value, aggregate_function="first"
            )
            wide = wide.join(pivoted, on="customer_id", how="left")
    missing = [pl.lit(None, dtype=pl.Float64).alias(c) for c in columns if c not in wide.columns]
    return wide.with_columns(missing).select("customer_id", *columns)
