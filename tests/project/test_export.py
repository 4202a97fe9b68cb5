"""One segment exported with its contact columns, hashed for the platform that receives it."""

from __future__ import annotations

import gzip
import hashlib
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.activation import hash_identifier
from segwise.exceptions import ConfigError
from segwise.project import open_workspace
from segwise.project.export import export_segment

if TYPE_CHECKING:
    from pathlib import Path


def customers(config: Path) -> pl.DataFrame:
    return pl.read_csv(config.parent / "data" / "customers.csv.gz", infer_schema=False)


def test_members_with_their_columns_in_id_order(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config, _ = served_project
    found = export_segment(sw.Project.from_yaml(config), "VIP", columns=["email", "country"])
    members = open_workspace(config).members("VIP")["customer_id"].cast(pl.String)
    assert found.segmentation == "lifecycle" and found.run_id == 1
    assert found.table["customer_id"].to_list() == members.to_list()
    source = customers(config).select("customer_id", "email", "country")
    expected = pl.DataFrame({"customer_id": members}).join(source, on="customer_id", how="left")
    assert found.table.equals(expected)
    assert found.not_in_source == 0


def test_meta_gets_hashed_identifiers_and_no_customer_id(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config, _ = served_project
    found = export_segment(
        sw.Project.from_yaml(config), "lifecycle/VIP", columns=["email", "phone"], hashing="meta"
    )
    assert found.table.columns == ["email", "phone"]
    source = customers(config)
    members = open_workspace(config).members("VIP")["customer_id"].cast(pl.String)
    rows = pl.DataFrame({"customer_id": members}).join(source, on="customer_id", how="left")
    assert found.table["email"].to_list() == [hash_identifier(e) for e in rows["email"]]
    assert found.table["phone"].to_list() == [
        hash_identifier(p, "phone", "meta") for p in rows["phone"]
    ]
    assert found.not_normalised["phone"] == sum(
        hash_identifier(p, "phone", "meta") is None for p in rows["phone"]
    )


def test_sha256_pseudonymises_the_id_too(served_project: tuple[Path, dict[str, str]]) -> None:
    config, _ = served_project
    found = export_segment(sw.Project.from_yaml(config), "VIP", hashing="sha256")
    members = open_workspace(config).members("VIP")["customer_id"].cast(pl.String)
    assert found.table["customer_id"].to_list() == [
        hashlib.sha256(m.encode()).hexdigest() for m in members
    ]


def test_members_missing_from_the_source_are_counted(project_copy: Path) -> None:
    source = customers(project_copy)
    members = open_workspace(project_copy).members("VIP")["customer_id"].cast(pl.String)
    kept = source.filter(~pl.col("customer_id").is_in(members.head(5).to_list()))
    with gzip.open(project_copy.parent / "data" / "customers.csv.gz", "wb") as handle:
        kept.write_csv(handle)
    found = export_segment(sw.Project.from_yaml(project_copy), "VIP", columns=["email"])
    assert found.not_in_source == 5
    assert found.table.height == members.len()
    assert found.table["email"].null_count() == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": ["emial"]}, "no column 'emial'; did you mean 'email'"),
        ({"hashing": "google"}, "--hash google needs the identifier columns"),
        ({"columns": ["age"], "hashing": "meta"}, "'age' is not an email, phone or name column"),
    ],
    ids=["misspelt-column", "hash-without-columns", "meta-non-identifier"],
)
def test_mistakes_are_one_clear_error(
    served_project: tuple[Path, dict[str, str]], kwargs: dict[str, object], message: str
) -> None:
    config, _ = served_project
    with pytest.raises(ConfigError, match=message):
        export_segment(sw.Project.from_yaml(config), "VIP", **kwargs)  # type: ignore[arg-type]


def test_a_name_with_a_slash_is_a_segment_name_unless_it_starts_with_a_segmentation(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config, _ = served_project
    project = sw.Project.from_yaml(config)
    assert export_segment(project, "lifecycle/VIP").segmentation == "lifecycle"
    with pytest.raises(ConfigError, match="no segment 'At risk / VIP'"):
        export_segment(project, "At risk / VIP")


def test_only_members_who_agreed_are_exported_when_consent_is_asked(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    # An export for an ad platform sent everyone: consent_ads false included.
    config, _ = served_project
    project = sw.Project.from_yaml(config)
    members = open_workspace(config).members("VIP")["customer_id"].cast(pl.String)
    source = customers(config).select("customer_id", "consent_ads")
    agreed = pl.DataFrame({"customer_id": members}).join(source, on="customer_id")
    agreed = agreed.filter(pl.col("consent_ads").str.to_lowercase() == "true")
    assert 0 < agreed.height < members.len()
    found = export_segment(project, "VIP", columns=["email"], consent="consent_ads")
    assert found.table["customer_id"].to_list() == agreed["customer_id"].to_list()
    assert (found.consent, found.without_consent) == ("consent_ads", members.len() - agreed.height)
    assert found.summary()["without_consent"] == members.len() - agreed.height
    hashed = export_segment(
        project, "VIP", columns=["email"], hashing="meta", consent="consent_ads"
    )
    assert hashed.table.height == agreed.height


def test_consent_from_the_history_holds_today(project_copy: Path) -> None:
    store = open_workspace(project_copy)
    vip = sorted(store.members("VIP")["customer_id"].cast(pl.String).to_list())
    project = sw.Project.from_yaml(project_copy)
    with pytest.raises(ConfigError, match="the project has no consent history"):
        export_segment(project, "VIP", consent_purpose="ads")
    with pytest.raises(ConfigError, match="--consent and --consent-purpose both given"):
        export_segment(project, "VIP", consent="consent_ads", consent_purpose="ads")
    rows = [(c, "ads", "granted", "2024-01-01") for c in vip[:4]] + [
        (vip[0], "ads", "revoked", "2024-02-01"),  # changed their mind
        (vip[4], "email", "granted", "2024-01-01"),  # another purpose
    ]
    names = ["customer", "purpose", "status", "changed"]
    history = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    history.write_csv(project_copy.parent / "data" / "consents.csv")
    project_copy.write_text(
        project_copy.read_text().replace(
            "sources:\n",
            "sources:\n  consents: {path: data/consents.csv, customer_id: customer, "
            "purpose: purpose, status: status, timestamp: changed}\n",
            1,
        )
    )
    found = export_segment(sw.Project.from_yaml(project_copy), "VIP", consent_purpose="ads")
    assert sorted(found.table["customer_id"].to_list()) == vip[1:4]
    assert found.consent == "purpose:ads" and found.without_consent == len(vip) - 3
