"""`segwise segment`, `segwise explain` and `segwise rules check` on rule catalogs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths
from segwise.exceptions import RuleSyntaxError
from segwise.segmenters import RuleSegmenter

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
CUSTOMERS = str(sample_paths()["customers"])
EVENTS = str(sample_paths()["events"])

CATALOG = """
name: lifecycle
segments:
  - name: Big families
    where: "household_size >= 4 AND children_at_home > 0"
    playbook: {messaging: Family bundles, channels: [email]}
  - name: Affluent
    where: "income > 90000 AND age BETWEEN 35 AND 60"
  - name: App openers
    where: "performed('app_open', at_least => 3, within => '30d')"
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(CATALOG)
    return path


def test_segment_writes_one_segment_per_customer(tmp_path: Path, catalog: Path) -> None:
    out = tmp_path / "segments.csv"
    result = runner.invoke(
        app,
        [
            "segment",
            CUSTOMERS,
            "--rules",
            str(catalog),
            "--id-col",
            "customer_id",
            "--events",
            EVENTS,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    table = pl.read_csv(out)
    assert table.columns == ["customer_id", "segment"]
    assert table.height == 5000
    assert set(table["segment"]) <= {"Big families", "Affluent", "App openers", "Other"}
    counts = dict(table.group_by("segment").len().iter_rows())
    assert "5,000 customers" in result.stdout
    assert f"{counts['Big families']:,}" in result.stdout
    # The CLI's sizes are the library's.
    segmenter = RuleSegmenter(catalog, id_col="customer_id")
    import segwise as sw

    events = sw.read_events(EVENTS)
    customers = sw.read_customers(CUSTOMERS)
    labels = segmenter.fit(customers, events=events).labels_
    assert int((labels == 0).sum()) == counts["Big families"]


def test_overlapping_writes_boolean_columns(tmp_path: Path, catalog: Path) -> None:
    out = tmp_path / "segments.parquet"
    result = runner.invoke(
        app,
        [
            "segment",
            CUSTOMERS,
            "--rules",
            str(catalog),
            "--overlapping",
            "--events",
            EVENTS,
            "-o",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    table = pl.read_parquet(out)
    assert table.columns == ["customer_id", "Big families", "Affluent", "App openers"]
    assert table.schema["Affluent"] == pl.Boolean
    payload = json.loads(result.stdout)
    assert payload["exclusive"] is False
    assert [s["name"] for s in payload["segments"]] == ["Big families", "Affluent", "App openers"]


@pytest.mark.parametrize(
    ("rule", "first_line"),
    [
        (
            "income >",
            "lifecycle, segment 'Bad': RuleSyntaxError: expected a value after '>' (line 1, col 9)",
        ),
        (
            "incme > 3",
            "lifecycle, segment 'Bad': RuleError: unknown column 'incme' (line 1, col 1)",
        ),
    ],
)
def test_rule_errors_print_the_caret_exit_1_and_write_nothing(
    tmp_path: Path, rule: str, first_line: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: lifecycle\nsegments:\n  - name: Bad\n    where: '{rule}'\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["segment", CUSTOMERS, "--rules", str(path), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == first_line
    assert lines[1] == f"  {rule}"
    assert "^" in lines[2]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_and_python_render_the_same_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("segments:\n  - name: Bad\n    where: 'orders >= 3 AND'\n")
    with pytest.raises(RuleSyntaxError) as caught:
        RuleSegmenter(path).fit(pl.DataFrame({"orders": [1]}))
    result = runner.invoke(app, ["segment", CUSTOMERS, "--rules", str(path)])
    assert result.stderr == caught.value.render() + "\n"


def test_explain_lists_conditions_with_values(catalog: Path) -> None:
    customers = pl.read_csv(CUSTOMERS, schema_overrides={"customer_id": pl.String})
    who = customers.filter((pl.col("household_size") >= 4) & (pl.col("children_at_home") > 0))
    customer = who["customer_id"][0]
    result = runner.invoke(
        app,
        [
            "explain",
            CUSTOMERS,
            "--rules",
            str(catalog),
            "--customer",
            str(customer),
            "--segment",
            "Big families",
            "--id-col",
            "customer_id",
            "--events",
            EVENTS,
        ],
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"customer {customer} is IN segment 'Big families' (the rule is TRUE)"
    assert any("household_size >= 4" in line and "household_size = " in line for line in lines)


def test_explain_json(catalog: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explain",
            CUSTOMERS,
            "--rules",
            str(catalog),
            "--customer",
            "nobody",
            "--segment",
            "Affluent",
            "--events",
            EVENTS,
            "--json",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "customer 'nobody' is not in the table" in result.stderr


def test_rules_check_reports_sizes_and_findings(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    segments = "".join(f"  - {{name: S{i}, where: 'age > {20 + i}'}}\n" for i in range(8))
    path.write_text(
        "segments:\n"
        "  - {name: Never, where: 'age > 50 AND age < 40'}\n"
        "  - {name: Typo, where: 'incme > 3'}\n" + segments
    )
    result = runner.invoke(app, ["rules", "check", str(path), "--data", CUSTOMERS, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    kinds = {(f["segment"], f["kind"]) for f in report["findings"]}
    assert ("Never", "never-matches") in kinds
    assert ("Typo", "invalid-rule") in kinds
    assert (None, "too-many-segments") in kinds
    assert ("S1", "overlap") in kinds
    typo = next(f for f in report["findings"] if f["segment"] == "Typo")
    assert typo["message"] == "unknown column 'incme' at col 1; did you mean 'income'?"
    assert report["customers"] == 5000


def test_rules_check_says_when_a_rule_leaves_never_to_the_rest(tmp_path: Path) -> None:
    table = tmp_path / "crm.csv"
    days = ["" if i % 4 == 0 else str(i) for i in range(200)]  # a quarter never logged in
    table.write_text(
        "customer_id,days_since_last_login\n" + "".join(f"c{i},{d}\n" for i, d in enumerate(days))
    )
    path = tmp_path / "rules.yaml"
    path.write_text("segments:\n  - {name: Gone quiet, where: 'days_since_last_login > 90'}\n")
    result = runner.invoke(app, ["rules", "check", str(path), "--data", str(table), "--json"])
    assert result.exit_code == 0, result.stdout  # a warning, not an error
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["segment"], finding["kind"]) == ("Gone quiet", "blanks-left-out")
    assert finding["message"].startswith(
        "days_since_last_login is blank for 50 customers (25%): a blank means never"
    )
    text = runner.invoke(app, ["rules", "check", str(path), "--data", str(table)]).stdout
    assert "warning: segment 'Gone quiet': days_since_last_login is blank for 50" in text


def test_rules_check_resolves_references_between_segments(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "segments:\n"
        "  - {name: Rich, where: 'income > 90000'}\n"
        "  - {name: Rich parents, where: \"in_segment('Rich') AND children_at_home > 0\"}\n"
    )
    result = runner.invoke(app, ["rules", "check", str(path), "--data", CUSTOMERS, "--json"])
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert not [f for f in report["findings"] if f["level"] == "error"]
    assert [s["segment"] for s in report["sizes"]] == ["Rich", "Rich parents"]


def test_rules_check_without_data_is_symbolic(tmp_path: Path, catalog: Path) -> None:
    result = runner.invoke(app, ["rules", "check", str(catalog)])
    assert result.exit_code == 0, result.stderr
    assert "rule catalog 'lifecycle', 3 segments, exclusive" in result.stdout
    assert "no findings" in result.stdout


def test_segment_writes_output_for_a_duckdb_input(tmp_path: Path, catalog: Path) -> None:
    # Issue 12, defect 16: write_table could not take a DuckDBPyRelation.
    import duckdb

    database = tmp_path / "crm.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{CUSTOMERS}')")
    simple = tmp_path / "simple.yaml"
    simple.write_text(CATALOG.split("  - name: App openers", maxsplit=1)[0])
    out = tmp_path / "segments.parquet"
    result = runner.invoke(
        app,
        [
            "segment",
            str(database),
            "--rules",
            str(simple),
            "--id-col",
            "customer_id",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    table = pl.read_parquet(out)
    assert table.height == 5000 and table.columns == ["customer_id", "segment"]


def test_explain_a_project_segment_on_its_latest_run(project_copy: Path) -> None:
    # A project in place of the table: the same explanation the web UI's "why?" gives.
    import segwise as sw
    from segwise.project.live import LiveData, explain, project_catalog

    project = sw.Project.from_yaml(project_copy)
    live = LiveData.load(project, project.store)
    vip = project.store.members("VIP", segmentation="lifecycle")["customer_id"][0]
    expected = explain(live, project_catalog(project, "lifecycle"), vip, "VIP")
    found = runner.invoke(
        app, ["explain", str(project_copy.parent), "--customer", vip, "--segment", "VIP"]
    )
    assert found.exit_code == 0, found.stderr
    assert found.stdout == expected.render() + "\n"
    assert found.stdout.startswith(f"customer {vip} is IN segment 'VIP'")
    payload = json.loads(
        runner.invoke(
            app, ["explain", str(project_copy), "--customer", vip, "--segment", "VIP", "--json"]
        ).stdout
    )
    assert (payload["customer"], payload["member"]) == (vip, True)
    # The catalog's rest is explained too: every segment's rule, each FALSE for its members.
    rest = runner.invoke(
        app, ["explain", str(project_copy), "--customer", vip, "--segment", "Other"]
    )
    assert rest.exit_code == 0, rest.stderr
    assert rest.stdout.startswith(f"customer {vip} is NOT IN segment 'Other' (the catalog's rest")
    assert "exclusive catalog: assigned to 'VIP'" in rest.stdout


@pytest.mark.parametrize(
    ("segment", "extra", "said"),
    [
        ("Champions", [], "is a segment of 'value', not of a rule segmentation"),
        ("Nope", [], "The rule segmentations are lifecycle (VIP, "),
        ("VIP", ["--transactions", "orders.csv"], "--transactions: a project reads its own"),
        ("VIP", ["--customer", "nobody"], "customer 'nobody' is not in run 1"),
        ("VIP", ["--segmentation", "value"], "'value' is not a rule segmentation of customers"),
        ("VIP", ["--rules", "rules.yaml"], "--rules: a project explains its own"),
    ],
)
def test_explain_in_a_project_refuses_in_one_line(
    project_copy: Path, segment: str, extra: list[str], said: str
) -> None:
    args = ["explain", str(project_copy), "--customer", "0000001", "--segment", segment, *extra]
    found = runner.invoke(app, args)
    assert found.exit_code == 1
    lines = found.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], lines


def test_a_project_file_given_as_a_catalog_is_named(project_copy: Path) -> None:
    # It read as five unknown keys (store, engine, report, sources, segmentations).
    table = str(sample_paths()["customers"])
    for args, said in (
        (["explain", table, "--customer", "1", "--segment", "VIP"], "segwise explain"),
        (["segment", table], "segwise run"),
    ):
        found = runner.invoke(app, [*args, "--rules", str(project_copy)])
        assert found.exit_code == 1
        [line] = found.stderr.strip().splitlines()
        assert "a project file, not a rule catalog" in line and said in line, line
    checked = runner.invoke(app, ["rules", "check", str(project_copy)])
    [line] = checked.stderr.strip().splitlines()
    assert "a project file" in line and "segwise validate" in line


def test_a_hybrids_rule_segments_are_explained_and_its_leaves_point_to_them(
    tmp_path: Path,
) -> None:
    # "'mix' is not a rule segmentation": a hybrid's parents are rule segments all the same.
    from tests.project.methods.projects import big_spender_leaf

    _project, customer, leaf = big_spender_leaf(tmp_path / "p")
    folder = str(tmp_path / "p")
    found = runner.invoke(
        app, ["explain", folder, "--customer", customer, "--segment", "Big spenders"]
    )
    assert found.exit_code == 0, found.stderr
    assert found.stdout.startswith(f"customer {customer} is IN segment 'Big spenders'")
    assert "net_revenue > 1200" in found.stdout
    rest = runner.invoke(
        app, ["explain", folder, "--customer", customer, "--segment", "Everyone else"]
    )
    assert "assigned to 'Big spenders'" in rest.stdout, rest.stderr
    # A leaf is chosen by RFM inside the parent: no condition explains it, and it says which does.
    refused = runner.invoke(app, ["explain", folder, "--customer", customer, "--segment", leaf])
    assert refused.exit_code == 1
    [line] = refused.stderr.strip().splitlines()
    assert f"'{leaf}' is a leaf of 'mix'" in line and "--segment 'Big spenders'" in line
