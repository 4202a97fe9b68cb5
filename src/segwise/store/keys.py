"""API keys for the service: created once, stored only as salted scrypt hashes.

A key reads ``sw_<key id>_<secret>``. The key id is public (it names the row
and shows in lists and the audit log); the secret is 32 random bytes that the
store never sees: only ``scrypt(secret, salt)`` is kept, so a copy of the
store gives nobody a working key. Revoked keys keep their row (the audit log
names them) with ``revoked_at`` set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from segwise.exceptions import ConfigError, NotFoundError

if TYPE_CHECKING:
    from segwise.store.workspace import Workspace

Role = Literal["viewer", "editor", "admin"]

#: Each role includes the ones before it.
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")

#: Extra rights a key can be given: ``members`` shows a viewer the members' ids.
GRANTS = ("members",)

#: scrypt's cost: about 30 ms per check here, memory-hard (the service caches a key it has
#: checked, so a request pays this only on the key's first use).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

_PREFIX = "sw_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key as stored: never the secret."""

    key_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    salt: str
    hash: str
    #: What the role alone does not allow: ``members`` lets a viewer see member ids.
    grants: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether the key still opens the service."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """Name, id, role and dates (no hash): what ``segwise keys list`` shows."""
        return {
            "name": self.name,
            "key_id": self.key_id,
            "role": self.role,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "revoked_at": None
            if self.revoked_at is None
            else self.revoked_at.isoformat(timespec="seconds"),
            "grants": list(self.grants),
        }

    def matches(self, secret: str) -> bool:
        """Whether ``secret`` is this key's secret (constant-time comparison)."""
        digest = _hash(secret, base64.b64decode(self.salt))
        return hmac.compare_digest(digest, self.hash)


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def split_key(key: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed key, else None.

    Examples
    --------
    >>> split_key("sw_0a1b2c3d_secret")
    ('0a1b2c3d', 'secret')
    >>> split_key("Bearer nonsense") is None
    True
    """
    if not key.startswith(_PREFIX):
        return None
    key_id, _, secret = key[len(_PREFIX) :].partition("_")
    if len(key_id) != 8 or not secret:
        return None
    return key_id, secret


def check_role(role: str) -> Role:
    """``role`` if it is one of :data:`ROLES`, else a one-line error."""
    if role not in ROLES:
        raise ConfigError(f"unknown role '{role}'", hint="use viewer, editor or admin")
    return role


def create_key(
    store: Workspace, name: str, role: str, grants: tuple[str, ...] = ()
) -> tuple[ApiKey, str]:
    """Create a key; return it and the full key text, which is shown once and never kept."""
    checked = check_role(role)
    unknown = [g for g in grants if g not in GRANTS]
    if unknown:
        raise ConfigError(f"unknown grant '{unknown[0]}'", hint="the grants are: members")
    if not name.strip() or len(name) > 100:
        raise ConfigError("a key's name must be 1 to 100 characters", hint="e.g. 'crm-sync'")
    if any(k.name == name and k.active for k in list_keys(store)):
        raise ConfigError(
            f"an active key is already named '{name}'",
            hint="revoke it first (segwise keys revoke) or choose another name",
        )
    key_id, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(32), secrets.token_bytes(16)
    created = datetime.now()
    key = ApiKey(
        key_id,
        name,
        checked,
        created,
        None,
        base64.b64encode(salt).decode(),
        _hash(secret, salt),
        tuple(sorted(set(grants))),
    )
    with store.writing() as connection:
        connection.execute(
            "INSERT INTO api_keys (key_id, name, role, salt, hash, created_at, grants) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                key.key_id,
                key.name,
                key.role,
                key.salt,
                key.hash,
                key.created_at,
                ",".join(key.grants) or None,
            ],
        )
    return key, f"{_PREFIX}{key_id}_{secret}"


def list_keys(store: Workspace) -> list[ApiKey]:
    """Every key, active and revoked, oldest first (empty for a store without keys)."""
    if not store.path.exists():
        return []
    with store.reading() as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'api_keys'"
        ).fetchall()
        if not tables[0][0]:
            return []
        columns = {row[0] for row in connection.execute("DESCRIBE api_keys").fetchall()}
        grants = "grants" if "grants" in columns else "NULL AS grants"
        rows = connection.execute(
            f"SELECT key_id, name, role, created_at, revoked_at, salt, hash, {grants} "
            "FROM api_keys ORDER BY created_at, key_id"
        ).fetchall()
    return [_key(row) for row in rows]


def _key(row: tuple[Any, ...]) -> ApiKey:
    key_id, name, role, created, revoked, salt, digest, grants = row
    kept = tuple(grants.split(",")) if grants else ()
    return ApiKey(key_id, name, role, created, revoked, salt, digest, kept)


def revoke_key(store: Workspace, name_or_id: str) -> ApiKey:
    """Revoke the active key with this name or key id; return it, revoked."""
    found = [k for k in list_keys(store) if k.active and name_or_id in (k.name, k.key_id)]
    if not found:
        raise NotFoundError(
            f"no active key named '{name_or_id}'", hint="segwise keys list CONFIG shows them"
        )
    key = found[0]
    revoked = datetime.now().replace(microsecond=0)
    with store.writing() as connection:
        connection.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", [revoked, key.key_id]
        )
    return replace(key, revoked_at=revoked)
