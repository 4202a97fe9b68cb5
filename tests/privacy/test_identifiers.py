"""Identifier normalisation and hashing: the platforms' documented examples, and idempotence."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.activation import hash_identifier, normalize_identifier


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("value", "kind", "platform", "country", "expected"),
    [
        # Google Customer Match's own examples (issue 17).
        (
            "cloudy.sanfrancisco+shopping@gmail.com",
            "email",
            "google",
            None,
            "cloudysanfrancisco@gmail.com",
        ),
        ("user.name+NYC@Example.com", "email", "google", None, "user.name+nyc@example.com"),
        ("(800)555-0100", "phone", "google", "US", "+18005550100"),
        # Meta's: digits only, country code first.
        ("+44 7123 456789", "phone", "meta", None, "447123456789"),
        ("07123 456789", "phone", "meta", "GB", "447123456789"),
        ("07123 456789", "phone", "google", "gb", "+447123456789"),
        ("  Jane.Doe+News@GoogleMail.com ", "email", "google", None, "janedoe@googlemail.com"),
        ("  Jane.Doe+News@GoogleMail.com ", "email", "meta", None, "jane.doe+news@googlemail.com"),
        ("J. Doe@example.com", "email", "google", None, "j.doe@example.com"),
    ],
    ids=[
        "google-gmail",
        "google-other-domain",
        "google-us-phone",
        "meta-international",
        "meta-national-gb",
        "google-national-gb",
        "google-googlemail",
        "meta-keeps-dots-and-tags",
        "google-drops-inner-space",
    ],
)
def test_documented_examples(
    value: str, kind: str, platform: str, country: str | None, expected: str
) -> None:
    assert normalize_identifier(value, kind, platform, country) == expected  # type: ignore[arg-type]
    assert hash_identifier(value, kind, platform, country) == sha256(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind", "platform", "country"),
    [
        (None, "email", "meta", None),
        ("   ", "email", "google", None),
        ("no-at-sign.example.com", "email", "meta", None),
        ("two@@example.com", "email", "google", None),
        ("+.@gmail.com", "email", "google", None),
        ("07123 456789", "phone", "meta", None),  # national, and no country to read it by
        ("(800)555-0100", "phone", "google", None),
        ("12", "phone", "google", "US"),
        ("call me", "phone", "meta", "US"),
        ("0044 7123 456789", "phone", "google", "XX"),
    ],
    ids=[
        "none",
        "blank",
        "no-at",
        "two-ats",
        "empty-gmail-local",
        "national-no-country",
        "google-no-country",
        "too-short",
        "not-a-number",
        "unknown-country",
    ],
)
def test_values_that_cannot_be_normalised_give_none(
    value: object, kind: str, platform: str, country: str | None
) -> None:
    assert normalize_identifier(value, kind, platform, country) is None  # type: ignore[arg-type]
    assert hash_identifier(value, kind, platform, country) is None  # type: ignore[arg-type]


def test_unknown_kind_or_platform_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown identifier kind"):
        normalize_identifier("a@b.co", "fax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown platform"):
        hash_identifier("a@b.co", "email", "tiktok")  # type: ignore[arg-type]


EMAILS = st.builds(
    lambda local, tag, domain, pad: f"{pad}{local}{tag}@{domain}{pad}",
    st.text(alphabet="abcXYZ.09_-", min_size=1, max_size=12),
    st.sampled_from(["", "+promo", "+A.b"]),
    st.sampled_from(["gmail.com", "GoogleMail.com", "example.co.uk", "Mail.Example.org"]),
    st.sampled_from(["", " ", "\t"]),
)
PHONES = st.builds(
    lambda prefix, digits, sep: prefix + sep.join(digits[i : i + 3] for i in range(0, 12, 3)),
    st.sampled_from(["+44 ", "+1 ", "+33 ", "0", "", "+49"]),
    st.text(alphabet="0123456789", min_size=6, max_size=12),
    st.sampled_from(["", " ", "-", "."]),
)


@settings(max_examples=300, deadline=None)
@given(EMAILS, st.sampled_from(["meta", "google"]))
def test_email_normalisation_is_idempotent(value: str, platform: str) -> None:
    once = normalize_identifier(value, "email", platform)  # type: ignore[arg-type]
    if once is not None:
        assert normalize_identifier(once, "email", platform) == once  # type: ignore[arg-type]
        assert once == once.strip().lower()


@settings(max_examples=300, deadline=None)
@given(PHONES, st.sampled_from([None, "US", "GB", "FR", "DE"]))
def test_phone_normalisation_is_idempotent_and_the_platforms_agree(
    value: str, country: str | None
) -> None:
    google = normalize_identifier(value, "phone", "google", country)
    meta = normalize_identifier(value, "phone", "meta", country)
    if google is not None:
        assert google.startswith("+") and google[1:].isdigit()
        assert normalize_identifier(google, "phone", "google", country) == google
        assert meta == google[1:]  # the same number, Meta without the '+'
    if meta is not None:
        # A Meta number carries its country code: it normalises to itself without a country.
        assert normalize_identifier(meta, "phone", "meta") == meta


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["meta", "google"]))
def test_name_normalisation_is_idempotent(value: str, platform: str) -> None:
    once = normalize_identifier(value, "name", platform)  # type: ignore[arg-type]
    if once is not None:
        assert normalize_identifier(once, "name", platform) == once  # type: ignore[arg-type]
        assert once == once.lower()
        if platform == "meta":
            assert all(c.isalpha() for c in once)


@pytest.mark.parametrize(
    ("value", "platform", "expected"),
    [
        (" Mary-Ann O'Neil ", "meta", "maryannoneil"),
        ("Valéry", "meta", "valéry"),
        ("Vale\u0301ry", "meta", "valéry"),  # an accent typed separately hashes the same
        ("John3", "meta", "john"),
        (" Jo Ann ", "google", "jo ann"),
        ("---", "meta", None),
    ],
)
def test_names_follow_each_platform(value: str, platform: str, expected: str | None) -> None:
    assert normalize_identifier(value, "name", platform) == expected  # type: ignore[arg-type]
