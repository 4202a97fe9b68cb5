"""Generated rule text round-trips through the parser (issue 12, defect 3)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.lang import nodes
from segwise.lang.parser import parse_rule
from segwise.lang.render import literal, quote_name
from segwise.profiling.definitions import define_segments

names = st.text(min_size=1, max_size=20).filter(lambda n: "\x00" not in n)
values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.dates(),
    st.datetimes(),
    st.none(),
)


@given(name=names, value=values)
@settings(max_examples=400, deadline=None)
def test_any_name_and_value_parse_back_to_themselves(name: str, value: object) -> None:
    rule = parse_rule(f"{quote_name(name)} = {literal(value)}")
    assert isinstance(rule.root, nodes.Comparison)
    assert isinstance(rule.root.left, nodes.Column)
    assert rule.root.left.name == name
    assert isinstance(rule.root.right, nodes.Literal)
    assert rule.root.right.value == value


def test_keyword_named_and_boolean_columns_give_rules_that_run() -> None:
    # The scaffolded project failed with "app_user = 'true'" and an unquoted "date > 5".
    rng = np.random.default_rng(0)
    table = pl.DataFrame(
        {
            "date": np.r_[rng.normal(10, 1, 50), rng.normal(0, 1, 50)],
            "app_user": [True] * 50 + [False] * 50,
            "IN": [1] * 50 + [2] * 50,
        }
    )
    labels = np.array([1] * 50 + [0] * 50)
    out = define_segments(table, labels, numeric=["date"], categorical=["app_user", "IN"])
    for definition in out.values():
        parse_rule(definition.rule)
        assert definition.precision > 0.9
    texts = " ".join(d.rule for d in out.values())
    assert "'true'" not in texts and "'false'" not in texts


@given(
    columns=st.lists(names, min_size=1, max_size=4, unique=True),
    kinds=st.lists(st.sampled_from(["float", "int", "bool", "text", "date"]), min_size=4),
    seed=st.integers(0, 1000),
)
@settings(max_examples=60, deadline=None)
def test_decision_tree_rules_parse_for_random_columns(
    columns: list[str], kinds: list[str], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    numeric, categorical = [], []
    for name, kind in zip(columns, kinds, strict=False):
        if kind == "float":
            data[name] = rng.normal(size=60)
            numeric.append(name)
        elif kind == "int":
            data[name] = rng.integers(0, 5, 60)
            categorical.append(name)
        elif kind == "bool":
            data[name] = rng.integers(0, 2, 60).astype(bool)
            categorical.append(name)
        elif kind == "date":
            data[name] = [dt.date(2024, 1, 1 + int(d)) for d in rng.integers(0, 28, 60)]
            categorical.append(name)
        else:
            data[name] = [f"lvl'{d}" for d in rng.integers(0, 3, 60)]
            categorical.append(name)
    table = pl.DataFrame(data)
    labels = rng.integers(0, 3, 60)
    for definition in define_segments(
        table, labels, numeric=numeric, categorical=categorical
    ).values():
        parse_rule(definition.rule)
