"""RFM score maps: named segments as data (YAML), compiled to one engine expression.

A map lists segments in order. Each segment matches score *cells*, given as
inclusive ranges over ``r``, ``f``, ``m`` and ``fm`` (the rounded-up average
of ``f`` and ``m``), or as explicit score strings (``"534"``). Customers
matching no segment go to the fallback segment. With ``match: first`` the
first matching segment wins (R's rfm package); with ``match: last`` the last
one does (pymc-marketing's assignment loop).

Examples
--------
>>> champions = ScoreMap.preset("segwise").segment_of(5, 5, 5)
>>> champions
'Champions'
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import narwhals.stable.v2 as nw

from segwise._validation import check_choice
from segwise.exceptions import ConfigError

PRESETS = ("segwise", "segwise-detailed", "r-rfm", "pymc")
#: More segments than this is more than a team usually acts on (the seeds say 5-8).
MANAGEABLE_SEGMENTS = 8
AXES = ("r", "f", "m", "fm")
#: The score scales a map may be made for.
MIN_BINS, MAX_BINS = 2, 9

# The maps are plain frozen dataclasses: ``segwise rfm`` names segments from a bundled map
# on every run, and building them as pydantic models cost the command 0.1-0.15 s of
# imports and schema building (issue 21's fixed cost). A map written by a user is still
# checked by the pydantic schema in ``score_map_file``, which locates errors by line.


def segment_problem(name: str, cells: tuple[Any, ...], scores: tuple[str, ...]) -> str | None:
    """What is wrong with one segment's definition, or None."""
    if not name:
        return "a segment needs a name"
    if not cells and not scores:
        return f"segment '{name}' lists no cells and no scores"
    return None


def repeated_names(names: list[str]) -> str | None:
    """The complaint about segment names given twice, or None."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    return f"segment names repeat: {', '.join(repeated)}" if repeated else None


def _pair(bounds: Any) -> tuple[int, int] | None:
    return None if bounds is None else (int(bounds[0]), int(bounds[1]))


def _cell(data: dict[str, Any]) -> Cell:
    return Cell(**{axis: _pair(data.get(axis)) for axis in AXES})


@dataclass(frozen=True)
class Cell:
    """Inclusive score ranges; an axis left out matches any score.

    Examples
    --------
    >>> Cell(r=(4, 5)).contains(5, 1, 1)
    True
    """

    r: tuple[int, int] | None = None
    f: tuple[int, int] | None = None
    m: tuple[int, int] | None = None
    fm: tuple[int, int] | None = None

    def contains(self, r: int, f: int, m: int) -> bool:
        """Whether the score ``(r, f, m)`` falls in this cell."""
        values = {"r": r, "f": f, "m": m, "fm": (f + m + 1) // 2}
        for axis in AXES:
            bounds = getattr(self, axis)
            if bounds is not None and not bounds[0] <= values[axis] <= bounds[1]:
                return False
        return True

    def expression(self) -> nw.Expr:
        """The cell as a boolean expression over ``r_score, f_score, m_score``."""
        tests: list[nw.Expr] = []
        for axis in AXES:
            bounds = getattr(self, axis)
            if bounds is None:
                continue
            low, high = bounds
            if axis == "fm":
                # fm = (f + m + 1) // 2 on whole scores, so low <= fm <= high is
                # 2 low - 1 <= f + m <= 2 high. No floor division: on Spark one took ~100 JVM
                # calls to build, each fm bound built it again, and the preset map's
                # expression took 1.6 s to build (3,383 calls) before any data moved.
                total = nw.col("f_score") + nw.col("m_score")
                tests += [total >= 2 * low - 1, total <= 2 * high]
            else:
                score = nw.col(f"{axis}_score")
                tests += [score >= low, score <= high]
        return functools.reduce(operator.and_, tests) if tests else nw.lit(value=True)


@dataclass(frozen=True)
class SegmentRule:
    """One named segment of a score map.

    Examples
    --------
    >>> SegmentRule(name="Top", scores=("555",)).contains(5, 5, 5)
    True
    """

    name: str
    description: str = ""
    action: str = ""
    cells: tuple[Cell, ...] = ()
    scores: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = segment_problem(self.name, self.cells, self.scores)
        if problem:
            raise ConfigError(problem, hint="give each segment a name and cells or scores")

    def contains(self, r: int, f: int, m: int) -> bool:
        """Whether the score ``(r, f, m)`` belongs to this segment's cells."""
        return f"{r}{f}{m}" in self.scores or any(cell.contains(r, f, m) for cell in self.cells)

    def expression(self) -> nw.Expr:
        """The segment's membership test as an engine expression."""
        tests = [nw.col("rfm_score").is_in(list(self.scores))] if self.scores else []
        tests += [cell.expression() for cell in self.cells]
        return functools.reduce(operator.or_, tests) if tests else nw.lit(value=False)


@dataclass(frozen=True)
class ScoreMap:
    """Named RFM segments over score cells, loaded from YAML or a preset.

    Examples
    --------
    >>> ScoreMap.preset("segwise").bins
    5
    """

    name: str
    bins: int
    segments: tuple[SegmentRule, ...]
    match: Literal["first", "last"] = "first"
    fallback: str = "Other"

    def __post_init__(self) -> None:
        hint = "see docs/rfm.md for the format"
        if not MIN_BINS <= self.bins <= MAX_BINS:
            raise ConfigError(f"bins must be {MIN_BINS} to {MAX_BINS}, not {self.bins}", hint=hint)
        if not self.segments:
            raise ConfigError(f"score map '{self.name}' lists no segments", hint=hint)
        check_choice("match", self.match, ("first", "last"))
        problem = repeated_names([s.name for s in self.segments])
        if problem:
            raise ConfigError(problem, hint=hint)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreMap:
        """Build a map from plain data, as a YAML file holds it.

        Examples
        --------
        >>> ScoreMap.from_dict(
        ...     {"name": "x", "bins": 2, "segments": [{"name": "A", "scores": ["222"]}]}
        ... ).segment_of(2, 2, 2)
        'A'
        """
        segments = tuple(
            SegmentRule(
                name=s["name"],
                description=s.get("description") or "",
                action=s.get("action") or "",
                cells=tuple(_cell(c) for c in s.get("cells") or ()),
                scores=tuple(s.get("scores") or ()),
            )
            for s in data["segments"]
        )
        options = {k: data[k] for k in ("match", "fallback") if data.get(k) is not None}
        return cls(name=data["name"], bins=int(data["bins"]), segments=segments, **options)

    @classmethod
    def preset(cls, name: str) -> ScoreMap:
        """Load a built-in map: ``segwise``, ``r-rfm`` or ``pymc``."""
        check_choice("preset", name, PRESETS)
        return _preset(name)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ScoreMap:
        """Load a map from a YAML file, with errors that name the key."""
        from segwise._config import read_text_file  # noqa: PLC0415 - pydantic loads on use

        target = Path(path)
        if not target.is_file():
            raise ConfigError(f"{target}: no such score map file", hint="check the path")
        return cls.from_text(read_text_file(target, what="score map"), source=str(target))

    @classmethod
    def from_text(cls, text: str, *, source: str = "score map") -> ScoreMap:
        """Parse a map from YAML text, checked key by key (errors give the line)."""
        from segwise.features.score_map_file import parse_score_map  # noqa: PLC0415 - pydantic

        return cls.from_dict(parse_score_map(text, source=source))

    def ordered(self) -> list[SegmentRule]:
        """The segments in the order they win."""
        return list(self.segments) if self.match == "first" else list(reversed(self.segments))

    def segment_of(self, r: int, f: int, m: int) -> str:
        """The segment of one score, as the engine expression assigns it."""
        for segment in self.ordered():
            if segment.contains(r, f, m):
                return segment.name
        return self.fallback

    def expression(self) -> nw.Expr:
        """One ``when/then`` chain that names every customer's segment."""
        result: Any = nw.lit(self.fallback)
        for segment in reversed(self.ordered()):
            result = nw.when(segment.expression()).then(nw.lit(segment.name)).otherwise(result)
        named: nw.Expr = result.alias("segment")
        return named

    def describe(self) -> dict[str, dict[str, str]]:
        """Segment name to its description and recommended action."""
        return {s.name: {"description": s.description, "action": s.action} for s in self.segments}


@functools.cache
def _preset(name: str) -> ScoreMap:
    # Parsed once a process: the CLI reads the map to score and again to print. The bundled
    # maps are read from their JSON twins (``make score-maps`` writes them from the YAML,
    # which stays the commented source; a test holds the two equal): importing PyYAML alone
    # cost ``segwise rfm`` 38 ms of its 0.2 s over a hand-written Polars script (issue 21).
    text = (files("segwise.features") / "score_maps" / f"{name}.json").read_text(encoding="utf-8")
    return ScoreMap.from_dict(json.loads(text))


@dataclass(frozen=True)
class MapLint:
    """What :func:`lint_score_map` found; every finding lists its cells."""

    overlaps: dict[str, list[str]] = field(default_factory=dict)
    shadowed: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    fallback_share: float | None = None
    fallback_cells: dict[str, int] = field(default_factory=dict)
    #: The number of named segments, when above ``MANAGEABLE_SEGMENTS`` (a note, not a fault).
    too_many: int | None = None

    @property
    def clean(self) -> bool:
        """Whether nothing overlaps, nothing is shadowed and every cell is covered."""
        return not (self.overlaps or self.shadowed or self.uncovered)

    def lines(self) -> list[str]:
        """The findings as sentences, for the CLI."""
        out = [f"cell {cell} is in {', '.join(names)}" for cell, names in self.overlaps.items()]
        out += [
            f"segment '{name}' is shadowed: earlier segments take all its cells"
            for name in self.shadowed
        ]
        if self.uncovered:
            out.append(
                f"{len(self.uncovered)} cells fall to the fallback: {', '.join(self.uncovered)}"
            )
        if self.fallback_share:
            cells = ", ".join(f"{cell} ({count:,})" for cell, count in self.fallback_cells.items())
            out.append(
                f"{self.fallback_share:.1%} of customers are in the fallback segment: {cells}"
            )
        if self.too_many:
            out.append(too_many_segments(self.too_many))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The findings as JSON-ready data (the CLI's ``rules check --json``)."""
        return {
            "clean": self.clean,
            "overlaps": self.overlaps,
            "shadowed": self.shadowed,
            "uncovered": self.uncovered,
            "fallback_share": self.fallback_share,
            "fallback_cells": self.fallback_cells,
            "notes": [too_many_segments(self.too_many)] if self.too_many else [],
        }


def too_many_segments(count: int) -> str:
    """The note for a map with more segments than a team usually acts on."""
    return (
        f"{count} segments: more than the {MANAGEABLE_SEGMENTS} a team can usually act on; keep "
        "them if you asked for this detail, else use the segwise preset (8 segments)"
    )


def lint_score_map(score_map: ScoreMap, scores: dict[str, int] | None = None) -> MapLint:
    """Check a map cell by cell: overlaps, shadowed segments, uncovered cells, fallback share.

    Parameters
    ----------
    score_map
        The map to check.
    scores
        Optional customer counts per ``rfm_score`` (from data), for the
        share of customers in the fallback segment.

    Examples
    --------
    >>> lint_score_map(ScoreMap.preset("segwise")).clean
    True
    >>> len(lint_score_map(ScoreMap.preset("pymc")).uncovered)
    18
    """
    n = score_map.bins
    cells = list(itertools.product(range(1, n + 1), repeat=3))
    overlaps: dict[str, list[str]] = {}
    winners: dict[str, str] = {}
    for r, f, m in cells:
        names = [s.name for s in score_map.segments if s.contains(r, f, m)]
        key = f"{r}{f}{m}"
        if len(names) > 1:
            overlaps[key] = names
        winners[key] = score_map.segment_of(r, f, m)
    won = set(winners.values())
    shadowed = [
        s.name
        for s in score_map.segments
        if s.name not in won and any(s.contains(r, f, m) for r, f, m in cells)
    ]
    uncovered = sorted(
        k
        for k, name in winners.items()
        if name == score_map.fallback
        and not any(s.contains(int(k[0]), int(k[1]), int(k[2])) for s in score_map.segments)
    )
    share = None
    fallen: dict[str, int] = {}
    if scores:
        total = sum(scores.values())
        fallen = {
            key: count
            for key, count in sorted(scores.items(), key=lambda item: (-item[1], item[0]))
            if winners.get(key) == score_map.fallback
        }
        share = sum(fallen.values()) / total if total else 0.0
    return MapLint(
        overlaps=overlaps,
        shadowed=shadowed,
        uncovered=uncovered,
        fallback_share=share,
        fallback_cells=fallen,
        too_many=len(score_map.segments) if len(score_map.segments) > MANAGEABLE_SEGMENTS else None,
    )
