"""Where audiences go: the ``destinations:`` of a project file.

Each destination names the segments it receives (``segmentation/segment``,
or ``segmentation/*`` for all of one segmentation's), the identifier columns
it sends (from the customers source), how it is kept in step with the
segments (``mode``) and the governance applied at the edge: a consent
column, a minimum audience size and a suppression list.

- ``mirror``: adds and removes, so the destination equals the segment;
- ``upsert``: adds only (but people who lost consent or were suppressed are
  still removed);
- ``snapshot``: the whole audience each time.

Types: ``file`` (CSV, Parquet or JSON lines), ``webhook`` (signed JSON
batches over HTTP, see :mod:`segwise.activation.webhooks`), and the upload
files of Meta Custom Audiences (``meta_custom_audience``) and Google Customer
Match (``google_customer_match``), with identifiers hashed as each matches them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from segwise._config import HoldoutShare  # noqa: TC001 - pydantic reads it at runtime
from segwise.activation.audience import GOOGLE_CLEAR, identifier_kind

Mode = Literal["mirror", "upsert", "snapshot"]


def qualified_segments(value: list[str]) -> list[str]:
    """``value`` if every name is ``segmentation/segment`` or ``segmentation/*``."""
    for name in value:
        head, _, tail = name.partition("/")
        if not head or not tail:
            raise ValueError(
                f"segment '{name}': write segmentation/segment, or segmentation/* for all"
            )
    return value


class _Destination(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    segments: list[str] = Field(min_length=1)
    mode: Mode = "mirror"
    identifiers: list[str] = Field(default_factory=list)
    #: Below this many members (after consent and suppression) nothing is sent.
    min_size: int = Field(default=100, ge=0)
    #: A customers-source column: only customers whose value grants consent are sent.
    consent: str | None = None
    #: Optional date columns: when the consent status was given, and when it expires.
    #: Consent then counts only if given on or before the day of the sync and not expired.
    consent_date: str | None = None
    consent_expires: str | None = None
    #: Or a purpose of the project's consent history (``sources.consents``): only customers
    #: whose consent for it is in force on the day of the sync are sent.
    consent_purpose: str | None = Field(default=None, min_length=1)
    #: A CSV file of customer ids (first column, or ``customer_id``) never to send.
    suppression: str | None = None
    #: A standing holdout of this destination ("5%"): that share of its members is never
    #: sent (a hash of the id and ``holdout_salt``, default ``holdout:<destination>``).
    holdout: HoldoutShare = None
    holdout_salt: str | None = None

    @field_validator("segments")
    @classmethod
    def _qualified(cls, value: list[str]) -> list[str]:
        return qualified_segments(value)

    @model_validator(mode="after")
    def _dates_need_a_status(self) -> _Destination:
        if (self.consent_date or self.consent_expires) and self.consent is None:
            raise ValueError("consent_date and consent_expires date a consent: name it in consent")
        if self.consent is not None and self.consent_purpose is not None:
            raise ValueError(
                "consent names a column and consent_purpose a purpose of the consent history: "
                "keep one"
            )
        return self

    def consent_columns(self) -> list[str]:
        """The customers-source columns consent is read from (none without ``consent``)."""
        found = [self.consent, self.consent_date, self.consent_expires]
        return [c for c in found if c]

    @property
    def consent_column(self) -> str | None:
        """The column of the contacts table that says consent: ``consent``, or the purpose's.

        With ``consent_purpose`` the column (``consent:<purpose>``) is added to the
        contacts from the consent history: ``granted`` where consent is in force.
        """
        if self.consent_purpose is not None:
            return f"consent:{self.consent_purpose}"
        return self.consent


class _PlainIdentifiers(_Destination):
    """Destinations that receive identifiers as written, with the customer id always."""

    @field_validator("identifiers")
    @classmethod
    def _id_always_sent(cls, value: list[str]) -> list[str]:
        # The customer id is always sent; naming it as well is allowed, and said once.
        return [column for column in dict.fromkeys(value) if column != "customer_id"]


class FileDestination(_PlainIdentifiers):
    """Files in a folder: one per sync, with adds and removes, or the whole audience."""

    type: Literal["file"]
    path: str = Field(min_length=1)
    format: Literal["csv", "parquet", "jsonl"] = "csv"


class WebhookDestination(_PlainIdentifiers):
    """Signed JSON batches POSTed to a URL (the Standard Webhooks scheme)."""

    type: Literal["webhook"]
    url: str
    #: The environment variable that holds the signing secret (never the secret itself).
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    #: Seconds to wait for the receiver's answer to one POST.
    timeout: float = Field(default=10.0, gt=0, le=300)
    #: Tries per batch within one sync (the first included); then it is parked as failed.
    attempts: int = Field(default=5, ge=1, le=20)
    #: First wait between tries, in seconds; doubled each time, with jitter.
    backoff: float = Field(default=1.0, ge=0, le=60)
    #: The longest wait between tries; a ``Retry-After`` asking for more parks the batch.
    max_backoff: float = Field(default=60.0, ge=0, le=3600)
    #: HTTPS: a PEM file of the certificate authorities to trust (a private CA), instead of
    #: the system's. Certificates are always verified.
    ca_file: str | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"'{value}': give an http:// or https:// URL")
        return value


class _AdPlatform(_Destination):
    path: str = Field(min_length=1)
    identifiers: list[str] = Field(default_factory=list, validate_default=True)
    #: Phone numbers written without their +country code are read in this column's country.
    country_col: str | None = None
    #: ... or in this one (ISO code) when there is no column.
    country: str | None = Field(default=None, min_length=2, max_length=2)

    @field_validator("identifiers")
    @classmethod
    def _matchable(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name the email and phone columns to send, e.g. [email, phone]")
        for column in value:
            if identifier_kind(column) is None and column.lower() not in GOOGLE_CLEAR:
                raise ValueError(
                    f"'{column}' is not an email, phone or name column (named like email, "
                    "phone, first_name, last_name)"
                )
        return value


class MetaAudienceDestination(_AdPlatform):
    """Meta Custom Audience upload files (hashed emails, phones and names)."""

    type: Literal["meta_custom_audience"]

    @field_validator("identifiers")
    @classmethod
    def _all_hashed(cls, value: list[str]) -> list[str]:
        for column in value:
            if identifier_kind(column) is None:
                raise ValueError(f"'{column}': Meta takes every field hashed; send {column} "
                                 "to Google, or leave it out")  # fmt: skip
        return value


class GoogleCustomerMatchDestination(_AdPlatform):
    """Google Customer Match upload files (hashed emails, phones and names)."""

    type: Literal["google_customer_match"]

    @model_validator(mode="after")
    def _names_with_country_and_zip(self) -> GoogleCustomerMatchDestination:
        kinds = {identifier_kind(c) for c in self.identifiers}
        clear = {c.lower() for c in self.identifiers} & GOOGLE_CLEAR
        has_country = bool(clear & {"country", "country_code"})
        if "name" in kinds and not (has_country and clear - {"country", "country_code"}):
            raise ValueError(
                "Google matches names only with the country and postal code: add those "
                "columns to identifiers (e.g. [email, first_name, last_name, country, zip])"
            )
        return self


Destination = Annotated[
    FileDestination | WebhookDestination | MetaAudienceDestination | GoogleCustomerMatchDestination,
    Field(discriminator="type"),
]


def hashing_of(spec: Destination) -> Literal["meta", "google"] | None:
    """The ad platform whose hashing ``spec`` sends, or None for identifiers as written."""
    if isinstance(spec, MetaAudienceDestination):
        return "meta"
    if isinstance(spec, GoogleCustomerMatchDestination):
        return "google"
    return None
