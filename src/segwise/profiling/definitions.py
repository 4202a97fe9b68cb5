"""Rule-style definitions of segments from a shallow decision tree.

For each segment, a depth-limited tree separates it from everyone else on
the original features (in their own units); the root-to-leaf path of the
best leaf becomes a rule in segwise's rule language, e.g.
``monetary > 1200 AND orders >= 6``, with its precision (share of customers
the rule selects who are in the segment) and recall (share of the segment
the rule selects). A marketer gets clear criteria, and can paste the rule
into a rule catalog to make the cluster a rule segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
from sklearn.tree import DecisionTreeClassifier

from segwise.lang.compiler import RuleCompiler
from segwise.lang.parser import parse_rule
from segwise.lang.render import literal, quote_name

MAX_DEPTH = 3
#: Precision and recall from which a rule is the segment's definition, not a rough sketch.
FAITHFUL = 0.8
#: Marks a numeric feature in the tree's column meanings (categorical ones carry a level).
_NUMERIC = object()


@dataclass(frozen=True, slots=True)
class Definition:
    """A rule that approximates a segment, and how well it does."""

    rule: str
    precision: float
    recall: float
    #: The features the rule reads, in the order the tree splits on them (the root's first).
    features: tuple[str, ...] = ()

    @property
    def faithful(self) -> bool:
        """Whether the rule is close enough to the segment to say what sets it apart."""
        return min(self.precision, self.recall) >= FAITHFUL

    @property
    def leads(self) -> frozenset[str]:
        """The feature a faithful rule splits on first: what leads a found segment's card.

        Low spenders, a little newer and quieter too, were "Newer lapsed customers" above
        ``net_revenue <= 760 AND return_rate <= 0.063`` (Online Retail II): their traits were
        about as strong, and the card should lead with what the rule says first. Only the
        root's feature: later splits trim the edges (the low returns only keep the heavy
        returners' cluster out). Empty for a rougher rule.
        """
        if not self.faithful or not self.features:
            return frozenset()
        return frozenset(self.features[:1])


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def readable(value: float, digits: int = 2) -> float:
    """A tree threshold rounded to ``digits`` significant figures (465.3 → 470, 0.0347 → 0.035).

    The rule's precision and recall are measured after rounding, so the card
    never claims the unrounded split's accuracy.
    """
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def define_segments(
    table: pl.DataFrame,
    labels: np.ndarray,
    *,
    numeric: list[str],
    categorical: list[str],
    random_state: int = 0,
    max_rows: int = 50_000,
    max_depth: int = MAX_DEPTH,
) -> dict[int, Definition]:
    """One rule per segment label (``-1`` and NULL labels are skipped).

    ``max_depth`` bounds the conditions a rule joins (1: a single comparison).

    Examples
    --------
    >>> table = pl.DataFrame({"spend": [10.0, 20, 30, 900, 950, 1000], "os": ["a"] * 6})
    >>> out = define_segments(table, np.array([0, 0, 0, 1, 1, 1]), numeric=["spend"],
    ...                       categorical=["os"])
    >>> out[1]
    Definition(rule='spend > 460', precision=1.0, recall=1.0, features=('spend',))
    """
    rng = np.random.default_rng(random_state)
    rows = np.arange(table.height)
    if table.height > max_rows:
        rows = np.sort(rng.choice(table.height, max_rows, replace=False))
    sample = table[rows]
    target = np.asarray(labels)[rows]
    columns: list[np.ndarray] = []
    meaning: list[tuple[str, object]] = []  # (feature, level value, or _NUMERIC)
    integers = {name for name in numeric if sample.schema[name].is_integer()}
    for name in numeric:
        values = sample[name].cast(pl.Float64).to_numpy().astype(float)
        fill = np.nanmedian(values) if np.isfinite(values).any() else 0.0
        columns.append(np.where(np.isnan(values), fill, values))
        meaning.append((name, _NUMERIC))
    for name in categorical:
        original = sample[name]
        text = original.cast(pl.String).fill_null("").to_numpy()
        # The rule compares with the column's own type: app_user = TRUE, not 'true'.
        value_of = dict(zip(text.tolist(), original.to_list(), strict=True))
        for level in sorted(set(text.tolist()) - {""})[:12]:
            columns.append((text == level).astype(float))
            meaning.append((name, value_of[level]))
    if not columns:
        return {}
    matrix = np.column_stack(columns)
    out: dict[int, Definition] = {}
    for segment in sorted({int(v) for v in target.tolist() if v is not None and v >= 0}):
        inside = target == segment
        tree = DecisionTreeClassifier(
            max_depth=max_depth,
            min_samples_leaf=max(1, int(0.01 * len(target))),
            class_weight="balanced",
            random_state=random_state,
        ).fit(matrix, inside)
        path = _best_path(tree, matrix, inside)
        if path is not None:
            rule = _rule_text(path, meaning, integers)
            features = tuple(dict.fromkeys(meaning[feature][0] for feature, _, _ in path))
            out[segment] = _measure(rule, sample, inside, features)
    return out


def rule_mask(rule: str, table: pl.DataFrame) -> np.ndarray:
    """Which rows of ``table`` the rule selects, as segwise evaluates it (NULLs never match).

    Examples
    --------
    >>> rule_mask("spend > 100", pl.DataFrame({"spend": [50.0, 150.0, None]})).tolist()
    [False, True, False]
    """
    frame = nw.from_native(table)
    condition = RuleCompiler(dict(frame.schema)).condition(parse_rule(rule))
    selected = frame.select(condition.fill_null(value=False).alias("in")).to_native()["in"]
    return selected.to_numpy().astype(bool)


def _measure(
    rule: str, sample: pl.DataFrame, inside: np.ndarray, features: tuple[str, ...] = ()
) -> Definition:
    """Precision and recall of the rule as segwise evaluates it (NULLs never match)."""
    mask = rule_mask(rule, sample)
    hits = float(inside[mask].sum())
    precision = hits / mask.sum() if mask.any() else 0.0
    recall = hits / inside.sum() if inside.any() else 0.0
    return Definition(rule, round(float(precision), 4), round(float(recall), 4), features)


def _best_path(
    tree: DecisionTreeClassifier, matrix: np.ndarray, inside: np.ndarray
) -> list[tuple[int, bool, float]] | None:
    """The root-to-leaf path whose leaf has the best F1 for the segment."""
    structure = tree.tree_
    best: tuple[float, list[tuple[int, bool, float]], float, float] | None = None
    stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
    total = inside.sum()
    while stack:
        node, path = stack.pop()
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            mask = np.ones(len(inside), dtype=bool)
            for feature, below, threshold in path:
                values = matrix[:, feature]
                mask &= values <= threshold if below else values > threshold
            selected = mask.sum()
            if selected == 0 or not path:
                continue
            precision = float(inside[mask].sum() / selected)
            recall = float(inside[mask].sum() / total) if total else 0.0
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
            if best is None or f1 > best[0]:
                best = (f1, path, precision, recall)
            continue
        feature, threshold = structure.feature[node], structure.threshold[node]
        stack.append((left, [*path, (feature, True, threshold)]))
        stack.append((right, [*path, (feature, False, threshold)]))
    return None if best is None else best[1]


def _bounds(
    name: str, lower: float | None, upper: float | None, integers: set[str]
) -> tuple[str | None, str | None]:
    """Readable comparisons: whole numbers for counts (orders >= 3), two figures otherwise."""
    column = quote_name(name)
    if name in integers:
        low = f"{column} >= {math.floor(lower) + 1}" if lower is not None else None
        high = f"{column} <= {math.floor(upper)}" if upper is not None else None
        return low, high
    for digits in (2, 3, 4):
        low_value = readable(lower, digits) if lower is not None else None
        high_value = readable(upper, digits) if upper is not None else None
        if low_value is None or high_value is None or low_value < high_value:
            break
    low = f"{column} > {_number(low_value)}" if low_value is not None else None
    high = f"{column} <= {_number(high_value)}" if high_value is not None else None
    return low, high


def _rule_text(
    path: list[tuple[int, bool, float]],
    meaning: list[tuple[str, object]],
    integers: set[str] = frozenset(),  # type: ignore[assignment]
) -> str:
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    equals: dict[str, object] = {}
    not_equal: dict[str, list[object]] = {}
    for feature, below, threshold in path:
        name, level = meaning[feature]
        if level is not _NUMERIC:  # one-hot split at 0.5
            if below:
                not_equal.setdefault(name, []).append(level)
            else:
                equals[name] = level
        elif below:
            upper[name] = min(upper.get(name, math.inf), threshold)
        else:
            lower[name] = max(lower.get(name, -math.inf), threshold)
    parts: list[str] = []
    for name, _level in meaning:
        column = quote_name(name)
        if name in lower or name in upper:
            low, high = _bounds(name, lower.pop(name, None), upper.pop(name, None), integers)
            parts.extend(p for p in (low, high) if p is not None)
        if name in equals:
            parts.append(f"{column} = {literal(equals.pop(name))}")
            not_equal.pop(name, None)
        if name in not_equal:
            levels = not_equal.pop(name)
            if len(levels) == 1:
                parts.append(f"{column} <> {literal(levels[0])}")
            else:
                parts.append(f"{column} NOT IN ({', '.join(literal(v) for v in levels)})")
    return " AND ".join(parts)
