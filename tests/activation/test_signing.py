"""Standard Webhooks signatures: the spec's example, tampering, replay window, secrets."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from segwise.activation.signing import TOLERANCE, decode_secret, headers, signature, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEY = decode_secret(SECRET)


def test_the_specifications_example_is_reproduced() -> None:
    # standard-webhooks/spec, "Signature scheme": the example id, timestamp, body and result.
    found = signature(KEY, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert found == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@given(
    body=st.binary(max_size=2000),
    webhook_id=st.text(min_size=1, max_size=40).filter(str.isprintable),
)
def test_an_independent_implementation_accepts_every_signature(
    body: bytes, webhook_id: str
) -> None:
    now = int(time.time())
    sent = headers(KEY, webhook_id, now, body)
    assert verify(KEY, sent, body)
    text = body.decode("utf-8", "replace").encode()
    Webhook(SECRET).verify(text, headers(KEY, webhook_id, now, text), json_parse=False)


def test_a_changed_body_id_or_stale_timestamp_is_refused() -> None:
    sent = headers(KEY, "msg_1", 1_700_000_000, b'{"a":1}')
    assert verify(KEY, sent, b'{"a":1}', now=1_700_000_000)
    assert not verify(KEY, sent, b'{"a":2}', now=1_700_000_000)
    assert not verify(KEY, {**sent, "webhook-id": "msg_2"}, b'{"a":1}', now=1_700_000_000)
    assert not verify(KEY, sent, b'{"a":1}', now=1_700_000_000 + TOLERANCE + 1)
    assert not verify(KEY, {"webhook-id": "msg_1"}, b"{}")


def test_secrets_are_whsec_base64_or_base64_and_long_enough() -> None:
    raw = bytes(range(32))
    assert decode_secret("whsec_" + base64.b64encode(raw).decode()) == raw
    assert decode_secret(base64.b64encode(raw).decode()) == raw
    for bad in ("hunter2", "whsec_" + base64.b64encode(b"short").decode(), "whsec_!!!"):
        with pytest.raises(ValueError, match="at least 16 random bytes"):
            decode_secret(bad)
