"""Make tests/features/data/pymc_rfm_segments_online_retail.csv with pymc-marketing itself.

Run once, in a scratch environment that has pymc-marketing (it is not a
segwise dependency):

    python -m venv /tmp/pymc && /tmp/pymc/bin/pip install pymc-marketing
    /tmp/pymc/bin/python benchmarks/make_pymc_rfm_expected.py \
        ../shared/data/online_retail_uci.csv.gz

The input is the common Online Retail cleaning (customer id present,
quantity > 0, price > 0), amount = quantity × price, as of 2011-12-10.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from pymc_marketing.clv.utils import rfm_segments

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "tests" / "features" / "data" / "pymc_rfm_segments_online_retail.csv"


def main() -> None:
    raw = pd.read_csv(
        sys.argv[1], dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"}
    )
    clean = raw[raw["CustomerID"].notna() & (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0)].copy()
    clean["amount"] = clean["Quantity"] * clean["UnitPrice"]
    clean["CustomerID"] = clean["CustomerID"].astype(str)
    clean["InvoiceDate"] = pd.to_datetime(clean["InvoiceDate"])
    segments = rfm_segments(
        clean,
        customer_id_col="CustomerID",
        datetime_col="InvoiceDate",
        monetary_value_col="amount",
        observation_period_end="2011-12-10",
    )
    out = segments[
        ["customer_id", "frequency", "recency", "monetary_value", "rfm_score", "segment"]
    ]
    out.sort_values("customer_id").to_csv(TARGET, index=False)
    import pymc_marketing

    print(
        f"{len(out)} customers written to {TARGET} with pymc-marketing {pymc_marketing.__version__}"
    )


if __name__ == "__main__":
    main()
