"""The playbook's memory: analyses kept, the latest one counting, findings per segment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from segwise.store import Workspace
from segwise.store import experiments as memory

if TYPE_CHECKING:
    from pathlib import Path


def readout(lift: float, significant: bool) -> dict[str, Any]:
    row = {
        "segment": "VIP",
        "variant": "B",
        "metric": "conversion",
        "n": 100,
        "control_n": 90,
        "lift": lift,
        "ci_low": lift - 0.01,
        "ci_high": lift + 0.01,
        "p_value": 0.001,
        "p_adjusted": 0.002 if significant else 0.4,
        "significant": significant,
    }
    other = dict(row, segment="Lapsed", lift=-0.03, significant=True)
    return {
        "experiment": "spring",
        "control": "A",
        "variants": ["A", "B"],
        "srm": {"p_value": 0.5, "flagged": False},
        "results": [row, other],
    }


def test_the_latest_analysis_counts_and_findings_are_filed_per_segment(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert memory.analyses(store).height == 0
    memory.record(
        store, "life", readout(0.0, significant=False), {"window_days": 30}, at=datetime(2026, 3, 1)
    )
    memory.record(
        store, "life", readout(0.05, significant=True), {"window_days": 30}, at=datetime(2026, 3, 8)
    )
    listed = memory.analyses(store)
    assert listed.height == 1
    assert listed["analysed_at"].to_list() == [datetime(2026, 3, 8)]
    vip = memory.findings(store, segment="VIP")
    assert vip.select("experiment", "verdict", "lift").rows() == [("spring", "worked", 0.05)]
    lapsed = memory.findings(store, segment="Lapsed", segmentation="life")
    assert lapsed["verdict"].to_list() == ["hurt"]
    assert memory.findings(store, segmentation="other").height == 0
