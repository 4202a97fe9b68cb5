"""Tombstones at read time: the rows of erased customers left out of every source read.

``segwise forget`` remembers each erased customer as a keyed hash of their id
(:mod:`segwise.store.erasure`). Each read of a source hashes its distinct
customer ids with the project's key and leaves out the rows of those whose
hash is a tombstone, before any check, so they are neither used nor
quarantined; the quality report counts them as ``erased``. It costs one HMAC
per distinct id (about 1 µs), and only once the store holds a tombstone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from segwise.privacy.secret import hmac_values, load_key, require_key
from segwise.store.erasure import tombstones

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.io.dataset import Dataset
    from segwise.project.pipeline import Project


def project_key(project: Project) -> bytes | None:
    """The project's secret key (privacy.key_env, else privacy.key_file), None if unset."""
    settings = project.config.privacy
    key_file = (
        None if settings.key_file is None else project.resolve(settings.key_file, key="key_file")
    )
    return load_key(settings.key_env, key_file)


def without_erased(project: Project, dataset: Dataset) -> Dataset:
    """``dataset`` without the rows of customers erased from the project (its tombstones)."""
    stones = _tombstones(project.store.path) if project.store.path.exists() else frozenset()
    if not stones:
        return dataset
    key = require_key(
        project_key(project),
        "reading a source after segwise forget",
        project.config.privacy.key_env,
    )
    ids = dataset.customer_ids().collect(backend="polars").to_native()["customer_id"]
    hashed = hmac_values(ids, key)
    erased = ids.filter(hashed.is_in(list(stones))).to_list()
    return dataset.without_customers(erased) if erased else dataset


@lru_cache(maxsize=8)
def _stones(path: str, stamp: tuple[int, int]) -> frozenset[str]:
    from segwise.store import Workspace  # noqa: PLC0415

    return frozenset(tombstones(Workspace(path)))


def _tombstones(path: Path) -> frozenset[str]:
    """The store's tombstones, read once per version of the file."""
    stat = path.stat()
    return _stones(str(path), (stat.st_size, stat.st_mtime_ns))
