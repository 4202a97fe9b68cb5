"""Standard Webhooks signatures: how a receiver knows a batch came from segwise, unaltered.

Each request carries ``webhook-id`` (the batch's idempotency key),
``webhook-timestamp`` (seconds since the epoch, of this attempt) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``. The
secret is written ``whsec_<base64>`` (the base64 alone is accepted) and is read
from the environment variable a destination names, never from the project file
or the store.

References
----------
Standard Webhooks specification, "Signature scheme" (standardwebhooks.com).

Examples
--------
>>> key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
>>> signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
>>> verify(key, headers(key, "msg_1", 1614265330, b"{}"), b"{}", now=1614265330)
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

_PREFIX = "whsec_"
#: A signature older or newer than this (seconds) is refused by :func:`verify` (the spec's
#: replay window).
TOLERANCE = 300


def decode_secret(secret: str) -> bytes:
    """The HMAC key in ``secret`` (``whsec_<base64>``, or the base64 alone).

    Raises
    ------
    ValueError
        When the text is not base64 (say what to put there instead).
    """
    text = secret.strip()
    text = text.removeprefix(_PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise ValueError(
            "the secret must be whsec_ and at least 16 random bytes in base64, e.g. "
            "python -c \"import base64,secrets;print('whsec_'+base64.b64encode("
            'secrets.token_bytes(32)).decode())"'
        )
    return key


def signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three signature headers of one attempt."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, webhook_id, timestamp, body),
    }


def verify(key: bytes, received: dict[str, str], body: bytes, *, now: float | None = None) -> bool:
    """Whether ``received`` headers sign ``body`` with ``key``, within the replay window.

    For receivers written in Python; any Standard Webhooks library verifies the same.
    """
    lowered = {name.lower(): value for name, value in received.items()}
    try:
        webhook_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE:
        return False
    expected = signature(key, webhook_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
