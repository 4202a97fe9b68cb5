"""The lifetimes baseline of bench_rfm.py (run it with a Python that has lifetimes)."""

import sys

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data

tx = pd.read_parquet(sys.argv[1], columns=["customer_id", "order_date", "amount"])
tx = tx[tx["amount"] > 0]
summary = summary_data_from_transaction_data(
    tx, "customer_id", "order_date", monetary_value_col="amount", freq="D"
)
summary.to_parquet(sys.argv[2])
