"""The segwise preset's segments by (r_score, fm) and the output columns, for the RFM baselines.

Typed from ``src/segwise/features/score_maps/segwise.yaml`` (fm = (f + m + 1) // 2).
"""

import polars as pl

CELLS = {  # (r, fm) -> segment
    **{(5, fm): "Champions" for fm in (4, 5)},
    (4, 5): "Champions",
    (4, 4): "Loyal Customers",
    **{(3, fm): "Loyal Customers" for fm in (4, 5)},
    **{(r, fm): "Potential Loyalists" for r in (4, 5) for fm in (2, 3)},
    **{(r, 1): "New Customers" for r in (4, 5)},
    **{(3, fm): "Need Attention" for fm in (1, 2, 3)},
    **{(2, fm): "At Risk" for fm in (3, 4)},
    (1, 4): "At Risk",
    **{(r, 5): "Can't Lose Them" for r in (1, 2)},
    **{(2, fm): "Lost" for fm in (1, 2)},
    **{(1, fm): "Lost" for fm in (1, 2, 3)},
}
assert len(CELLS) == 25

SEGMENTS = pl.DataFrame(
    {
        "r_score": [k[0] for k in CELLS],
        "fm": [k[1] for k in CELLS],
        "segment": list(CELLS.values()),
    },
    schema={"r_score": pl.Int64, "fm": pl.Int64, "segment": pl.String},
)

#: The columns of `segwise rfm`'s output, in order.
COLUMNS = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "segment",
]
