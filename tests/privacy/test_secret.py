"""The project's secret key: where it is read from, what is refused, and the keyed hash."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segwise.exceptions import ConfigError
from segwise.privacy.secret import keyed_hash, keyed_hashes, load_key, require_key

if TYPE_CHECKING:
    from pathlib import Path

KEY = "0123456789abcdef0123456789abcdef"


def test_the_variable_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "segwise.key"
    key_file.write_text("f" * 32 + "\n")
    monkeypatch.delenv("SW_TEST_KEY", raising=False)
    assert load_key("SW_TEST_KEY", key_file) == b"f" * 32  # the newline is not part of it
    monkeypatch.setenv("SW_TEST_KEY", KEY)
    assert load_key("SW_TEST_KEY", key_file) == KEY.encode()
    assert load_key("SW_TEST_KEY") == KEY.encode()


def test_no_key_anywhere_is_none_and_require_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SW_TEST_KEY", raising=False)
    assert load_key("SW_TEST_KEY") is None
    with pytest.raises(ConfigError, match="segwise forget needs the project's secret key") as err:
        require_key(None, "segwise forget", "SW_TEST_KEY")
    assert "SW_TEST_KEY" in str(err.value.hint)


def test_a_short_or_missing_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SW_TEST_KEY", raising=False)
    short = tmp_path / "short.key"
    short.write_text("tooshort")
    with pytest.raises(ConfigError, match="the key is 8 bytes; it needs at least 16"):
        load_key("SW_TEST_KEY", short)
    with pytest.raises(ConfigError, match="does not exist"):
        load_key("SW_TEST_KEY", tmp_path / "absent.key")


@given(st.text(max_size=40), st.binary(min_size=16, max_size=64))
def test_keyed_hash_is_hmac_sha256(value: str, key: bytes) -> None:
    expected = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    assert keyed_hash(key, value) == expected == keyed_hashes(key, [value])[0]
    assert keyed_hash(key, value) != hashlib.sha256(value.encode("utf-8")).hexdigest()
