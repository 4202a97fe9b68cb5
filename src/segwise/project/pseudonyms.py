"""Pseudonymisation at ingestion: ids and personal columns replaced by keyed hashes.

With ``privacy.pseudonymise: true`` every source is read with its customer ids
replaced by HMAC-SHA256 pseudonyms under the project's secret key, and the
customers source's ``pii:`` columns too. Features, segments, the store, the
report, quarantine files and logs then hold pseudonyms only. The way back is
the key, not a table: activation reads the customers source as written,
computes each row's pseudonym, and so sends the real identifiers of the
pseudonyms it holds (``raw_contacts``); a copy of the store alone names nobody.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.privacy.secret import hmac_values, require_key
from segwise.project.tombstones import project_key

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from segwise.io.dataset import Dataset
    from segwise.project.pipeline import Project


def key_for_pseudonyms(project: Project) -> bytes:
    """The project's key, or a one-line error saying how to give it."""
    settings = project.config.privacy
    return require_key(project_key(project), "privacy.pseudonymise", settings.key_env)


def pseudonymised(project: Project, dataset: Dataset) -> Dataset:
    """``dataset`` with its ids and declared personal columns replaced by pseudonyms."""
    key = key_for_pseudonyms(project)
    return dataset.with_pseudonyms(
        lambda values: hmac_values(values, key).to_list(), list(dataset.roles.pii)
    )


def pseudonyms_of(project: Project, customer_ids: Sequence[str]) -> list[str]:
    """The pseudonyms of raw ``customer_ids`` (as written in the sources), in order."""
    key = key_for_pseudonyms(project)
    return hmac_values(pl.Series(list(customer_ids), dtype=pl.String), key).to_list()


def id_map(project: Project) -> Callable[[pl.Series], pl.Series] | None:
    """How ids written in a file of the project's become the store's, or None (as written).

    With ``privacy.pseudonymise`` the run's customers are pseudonyms: a static segment's
    id list or a lookalike's seed file, written with the real ids, matched nobody.
    """
    if not project.config.privacy.pseudonymise:
        return None

    def pseudonymise(ids: pl.Series) -> pl.Series:
        return pl.Series(ids.name, pseudonyms_of(project, ids.cast(pl.String).to_list()))

    return pseudonymise


def as_stored(project: Project, customer_id: str, held: Callable[[str], bool]) -> str:
    """The id the store holds ``customer_id`` under: as given, else its pseudonym.

    A pseudonymised project's lists show pseudonyms, while a support desk knows the
    id its CRM writes: a lookup takes either. The id as given is tried first
    (``held``), so a pseudonym read off a list is found as it is.
    """
    if not project.config.privacy.pseudonymise or held(customer_id):
        return customer_id
    return pseudonyms_of(project, [customer_id])[0]
