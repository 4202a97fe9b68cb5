"""The survey codebook: each question's kind, scale, construct and direction.

Written as YAML beside the project::

    scale: [1, 5]                      # every Likert question unless it says otherwise
    constructs:
      price: {high: price-sensitive, low: price-insensitive}
    questions:
      q05: {text: I compare prices before buying, construct: price}
      q08: {construct: price, reverse: true}
      q21: {kind: choice, options: [email, sms, app]}
      q22: {kind: ranking, options: [price, quality, brand]}
      q23: {kind: multiple, options: [email, sms, app]}   # "email, app": each one chosen
      q23: {labels: {Strongly disagree: 1, Disagree: 2, Neutral: 3, Agree: 4, Strongly agree: 5}}

Without a codebook every question whose answers are all numbers is a Likert
item on the range seen, and any other is a choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from segwise._config import load_yaml_model, read_text_file

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

DOCS = "docs/survey.md"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConstructSpec(_Strict):
    """What a high and a low score on a construct say about a respondent."""

    high: str = Field(min_length=1)
    low: str = Field(min_length=1)


class QuestionSpec(_Strict):
    """One question: its kind, and for Likert items the scale, construct and direction."""

    text: str | None = None
    kind: Literal["likert", "choice", "multiple", "ranking"] = "likert"
    # Written ``construct:`` in the file; the attribute name avoids pydantic's own ``construct``.
    measures: str | None = Field(default=None, alias="construct")
    reverse: bool = False
    scale: tuple[float, float] | None = None
    labels: dict[str, float] = Field(default_factory=dict)
    options: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> QuestionSpec:
        if self.kind != "likert" and (self.reverse or self.measures or self.labels):
            raise ValueError("only likert questions have a construct, labels or reverse: true")
        if self.kind == "ranking" and len(self.options) < 2:
            raise ValueError("a ranking question lists the options it ranks (at least two)")
        if self.kind == "multiple" and len(self.options) < 2:
            raise ValueError(
                "a multiple question (select all that apply) lists its options (at least two)"
            )
        if self.scale is not None and self.scale[0] >= self.scale[1]:
            raise ValueError(f"scale {list(self.scale)} must go from low to high")
        return self


class CodebookSpec(_Strict):
    """The whole codebook file."""

    scale: tuple[float, float] | None = None
    constructs: dict[str, ConstructSpec] = Field(default_factory=dict)
    questions: dict[str, QuestionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _constructs_known(self) -> CodebookSpec:
        for name, question in self.questions.items():
            if question.measures and question.measures not in self.constructs:
                raise ValueError(
                    f"question '{name}' has construct '{question.measures}', which is not under "
                    "'constructs:' (add it with its high and low words)"
                )
        return self


@dataclass(frozen=True)
class Construct:
    """A construct: its name and the words for a high and a low score."""

    name: str
    high: str
    low: str


@dataclass(frozen=True)
class Question:
    """One question as the answer table reads it."""

    name: str
    kind: str = "likert"
    text: str | None = None
    construct: str | None = None
    reverse: bool = False
    scale: tuple[float, float] | None = None
    labels: tuple[tuple[str, float], ...] = ()
    options: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The question's text, or its name."""
        return self.text or self.name


@dataclass(frozen=True)
class Codebook:
    r"""Questions by name and constructs by name.

    Examples
    --------
    >>> book = Codebook.from_text(
    ...     "scale: [1, 5]\nconstructs: {price: {high: price-sensitive, low: price-insensitive}}\n"
    ...     "questions: {q1: {construct: price}, q2: {construct: price, reverse: true}}"
    ... )
    >>> book.questions["q2"].reverse, book.questions["q2"].scale
    (True, (1.0, 5.0))
    """

    questions: dict[str, Question]
    constructs: dict[str, Construct]
    source: str = "codebook"

    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        """Read a codebook YAML file; errors name the file, the line and the key."""
        return cls.from_text(read_text_file(path, what="codebook"), source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "codebook") -> Codebook:
        """A codebook from YAML text."""
        spec = load_yaml_model(CodebookSpec, text, source=source, docs=DOCS)
        return cls.from_spec(spec, source=source)

    @classmethod
    def from_spec(cls, spec: CodebookSpec, *, source: str = "codebook") -> Codebook:
        """A codebook from its validated file model."""
        questions = {
            name: Question(
                name=name,
                kind=q.kind,
                text=q.text,
                construct=q.measures,
                reverse=q.reverse,
                scale=_scale(q, spec.scale),
                labels=tuple(q.labels.items()),
                options=tuple(q.options),
            )
            for name, q in spec.questions.items()
        }
        constructs = {n: Construct(n, c.high, c.low) for n, c in spec.constructs.items()}
        return cls(questions, constructs, source)

    @classmethod
    def inferred(cls, responses: pl.DataFrame) -> Codebook:
        """Without a codebook: all-number questions are Likert on the range seen, others choices.

        ``responses`` has ``question`` and ``answer`` (text) columns.
        """
        import polars as pl  # noqa: PLC0415

        numeric = responses.with_columns(
            pl.col("answer").cast(pl.Float64, strict=False).alias("number")
        )
        seen = numeric.group_by("question").agg(
            pl.col("number").is_null().any().alias("text"),
            pl.col("number").min().alias("low"),
            pl.col("number").max().alias("high"),
        )
        questions: dict[str, Question] = {}
        for row in seen.sort("question").iter_rows(named=True):
            name = str(row["question"])
            if row["text"] or row["low"] == row["high"]:
                questions[name] = Question(name, kind="choice")
            else:
                questions[name] = Question(name, scale=(float(row["low"]), float(row["high"])))
        return cls(questions, {}, source="the answers (no codebook)")

    def likert(self) -> list[Question]:
        """The Likert questions, in codebook order."""
        return [q for q in self.questions.values() if q.kind == "likert"]


def _scale(question: QuestionSpec, default: tuple[float, float] | None) -> Any:
    if question.kind != "likert":
        return None
    if question.scale is not None:
        return (float(question.scale[0]), float(question.scale[1]))
    if question.labels:
        return (min(question.labels.values()), max(question.labels.values()))
    return None if default is None else (float(default[0]), float(default[1]))
