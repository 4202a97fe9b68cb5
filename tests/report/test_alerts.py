"""The alerts table of the report and the UI: critical first, no heading repeated."""

from __future__ import annotations

from segwise.report.alerts import alert_rows


def test_alert_rows_drop_what_the_table_columns_already_say() -> None:
    alerts = [
        {"segmentation": "value", "segment": "Can't Lose Them",
         "message": "value · Can't Lose Them: 84 → 123 customers (+46%)"},
        {"segmentation": "behaviour", "segment": "",
         "message": "behaviour: 23% of customers (5,426) are Outliers under model m.json"},
        {"segmentation": "value", "segment": "Lost", "message": "something said otherwise"},
    ]  # fmt: skip
    assert [a["message"] for a in alert_rows(alerts)] == [
        "84 → 123 customers (+46%)",
        "23% of customers (5,426) are Outliers under model m.json",
        "something said otherwise",
    ]
    assert alert_rows(alerts)[0]["segment"] == "Can't Lose Them"  # the rest is kept


def test_critical_alerts_come_first_each_level_in_its_order() -> None:
    # Online Retail II as of 2010-09-30: 21 alerts, the 3 critical ones 3rd, 13th and 20th.
    levels = ["warning", "warning", "critical", "warning", "critical", "warning", "critical"]
    alerts = [
        {"level": level, "segmentation": "s", "segment": f"{i}", "message": f"m{i}"}
        for i, level in enumerate(levels)
    ]
    rows = alert_rows(alerts)
    assert [r["level"] for r in rows] == ["critical"] * 3 + ["warning"] * 4
    assert [r["segment"] for r in rows] == ["2", "4", "6", "0", "1", "3", "5"]
