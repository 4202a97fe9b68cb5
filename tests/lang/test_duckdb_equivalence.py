"""Property: segwise's members of a random rule equal DuckDB's ``SELECT id FROM t WHERE rule``.

The rule runs through segwise on Polars, DuckDB and Spark; DuckDB's own SQL
evaluation of the same text is the reference.
"""

from __future__ import annotations

from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segwise.lang.compiler import RuleCompiler
from segwise.lang.parser import parse_rule
from tests.lang.rule_strategies import rules, tables


def duckdb_members(table: pl.DataFrame, rule: str) -> set[int]:
    connection = duckdb.connect()
    connection.register("t", table.to_arrow())
    rows = connection.execute(f"SELECT id FROM t WHERE {rule}").fetchall()
    return {row[0] for row in rows}


def segwise_members(frame: nw.LazyFrame[Any], rules_text: list[str]) -> list[set[int]]:
    compiler = RuleCompiler(dict(frame.collect_schema()))
    exprs = [
        compiler.condition(parse_rule(text)).fill_null(value=False).alias(f"r{k}")
        for k, text in enumerate(rules_text)
    ]
    out = frame.select(nw.col("id"), *exprs).collect(backend="polars").to_native()
    return [set(out.filter(pl.col(f"r{k}"))["id"].to_list()) for k in range(len(rules_text))]


# Each example checks a few rules on one table: the rules, not the tables, are where the
# language's cases lie, and drawing a table, opening DuckDB and collecting once per rule
# cost more than the comparisons (300 rules: 18.8 s one per table, 9-11 s five per table).
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), batch=st.lists(rules, min_size=5, max_size=5))
def test_polars_matches_duckdb_sql(table: pl.DataFrame, batch: list[str]) -> None:
    frame = nw.from_native(table.lazy())
    for rule, members in zip(batch, segwise_members(frame, batch), strict=True):
        assert members == duckdb_members(table, rule), rule


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), batch=st.lists(rules, min_size=4, max_size=4))
def test_duckdb_engine_matches_duckdb_sql(table: pl.DataFrame, batch: list[str]) -> None:
    frame = nw.from_native(duckdb.from_arrow(table.to_arrow()))
    for rule, members in zip(batch, segwise_members(frame, batch), strict=True):
        assert members == duckdb_members(table, rule), rule


@pytest.mark.spark
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(min_rows=5), batch=st.lists(rules, min_size=30, max_size=30))
def test_spark_matches_duckdb_sql(spark: Any, table: pl.DataFrame, batch: list[str]) -> None:
    # Spark jobs are slow to start, so each example checks 30 rules in one select.
    schema = "id bigint, i1 bigint, i2 bigint, f1 double, s1 string, b1 boolean, d1 date"
    frame = nw.from_native(spark.createDataFrame(table.rows(), schema))
    got = segwise_members(frame, batch)
    for rule, members in zip(batch, got, strict=True):
        assert members == duckdb_members(table, rule), rule
