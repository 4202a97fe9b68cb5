"""Print lifetimes' CLV on CDNOW with given BG/NBD and Gamma-Gamma parameters (for tests/models).

Run with a Python that has lifetimes 0.11.3 (a scratch environment; pandas < 2.2):

    python benchmarks/make_lifetimes_clv_expected.py summary.csv params.json

``summary.csv`` is lifetimes' CDNOW calibration summary renamed to frequency,
recency, T, monetary_value; ``params.json`` holds {"bg": {r, alpha, a, b},
"gg": {p, q, v}} as fitted by segwise. The printed numbers are the expected
values in tests/models/test_clv.py.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter


def main() -> None:
    summary = pd.read_csv(sys.argv[1])
    params = json.loads(open(sys.argv[2]).read())  # noqa: PTH123, SIM115
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(params["bg"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series(params["gg"])
    clv = ggf.customer_lifetime_value(
        bgf,
        summary["frequency"],
        summary["recency"],
        summary["T"],
        summary["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    print(repr(clv.values[:5].tolist()), repr(float(clv.sum())))


if __name__ == "__main__":
    main()
