"""API keys: shown once, stored only as scrypt hashes, revocable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from segwise.exceptions import ConfigError, NotFoundError
from segwise.store import Workspace
from segwise.store.keys import create_key, list_keys, revoke_key, split_key

if TYPE_CHECKING:
    from pathlib import Path


def test_the_store_never_holds_a_key_or_its_secret(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    key, text = create_key(store, "crm", "editor")
    key_id, secret = split_key(text) or ("", "")
    assert key_id == key.key_id
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in raw
    assert text.encode() not in raw
    stored = list_keys(store)[0]
    assert stored.matches(secret)
    assert not stored.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"))


def test_keys_are_random_and_salted(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    first, _ = create_key(store, "a", "viewer")
    second, _ = create_key(store, "b", "viewer")
    assert first.key_id != second.key_id
    assert first.salt != second.salt
    assert first.hash != second.hash


def test_revoked_keys_stay_listed_and_names_can_be_reused(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    create_key(store, "crm", "viewer")
    with pytest.raises(ConfigError, match="already named 'crm'"):
        create_key(store, "crm", "viewer")
    revoked = revoke_key(store, "crm")
    assert revoked.revoked_at is not None
    create_key(store, "crm", "admin")
    assert [(k.name, k.active) for k in list_keys(store)] == [("crm", False), ("crm", True)]
    with pytest.raises(NotFoundError):
        revoke_key(store, "nobody")


@pytest.mark.parametrize("role", ["root", "", "Admin"])
def test_unknown_roles_are_refused(tmp_path: Path, role: str) -> None:
    with pytest.raises(ConfigError, match="unknown role"):
        create_key(Workspace(tmp_path / "s.duckdb"), "x", role)


def test_a_store_without_keys_lists_none(tmp_path: Path) -> None:
    assert list_keys(Workspace(tmp_path / "missing.duckdb")) == []
