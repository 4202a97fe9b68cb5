"""The hand-written Polars baseline of bench_rfm.py for a file of customer, date and amount only.

One lazy query: group by customer → last date, purchases, revenue; scores from
``rank``; the segwise preset's segments; Parquet out. Without order ids segwise
counts a customer's distinct purchase times (two rows at the same instant are
one purchase); ``--count rows`` counts rows instead (the cheaper query, the
issue's literal baseline, equal when no two rows of a customer share a time).
"""

import sys

import polars as pl

from rfm_segments import COLUMNS, SEGMENTS  # type: ignore[import-not-found]

source, target = sys.argv[1], sys.argv[2]
count_rows = sys.argv[3:] == ["--count", "rows"]
rows = pl.scan_parquet(source)
purchases = pl.len() if count_rows else pl.col("order_date").n_unique()
metrics = rows.group_by("customer_id").agg(
    pl.col("order_date").max().dt.date().alias("last"),
    purchases.cast(pl.Int64).alias("frequency"),
    # Money summed in millionths, as segwise does, so ties are exact.
    (pl.col("amount") * 1e6).round().sum().alias("units"),
)
scored = (
    metrics.with_columns(
        # A true division (Polars turns ``/ literal`` into ``* (1 / literal)``).
        (pl.col("units") / (pl.col("units") * 0 + 1e6)).alias("monetary"),
        (pl.col("last").max() - pl.col("last")).dt.total_days().alias("recency_days"),
        pl.len().alias("n"),
    )
    .with_columns(
        (1 + (pl.col(c).rank("min", descending=d).cast(pl.Int64) - 1) * 5 // pl.col("n")).alias(s)
        for c, d, s in (
            ("recency_days", True, "r_score"),
            ("frequency", False, "f_score"),
            ("monetary", False, "m_score"),
        )
    )
    .with_columns(((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm"))
    .join(SEGMENTS.lazy(), on=["r_score", "fm"], how="left")
    .with_columns(
        pl.concat_str(pl.col("r_score", "f_score", "m_score").cast(pl.String)).alias("rfm_score")
    )
    .select(COLUMNS)
    .sort("customer_id")
)
scored.sink_parquet(target)
