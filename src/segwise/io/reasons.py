"""Why a row cannot be used: every quarantine reason and what it means, in testing order.

A row gets the first reason that applies (:func:`segwise.io.validate.reason_tests`
tests them in this order).
"""

from __future__ import annotations

from segwise.io.order_lines import ORDER_LINE_REASON
from segwise.io.order_status import VOID_ORDER_REASON

#: Every exclusion reason, in the order they are tested (a row gets the first that applies).
REASONS: dict[str, str] = {
    "extra_fields": "more fields than the header (a value holding the delimiter, unquoted?)",
    "missing_customer_id": "no customer id",
    "missing_timestamp": "no timestamp",
    "unparseable_timestamp": "timestamp cannot be read as a date in 1900–2099",
    "placeholder_timestamp": "timestamp is a day written for no date (1900-01-01, 1970-01-01)",
    "missing_event": "no event name",
    "missing_question": "no question",
    "missing_answer": "no answer",
    "missing_experiment": "no experiment",
    "missing_variant": "no variant",
    "missing_metric": "no metric name",
    "missing_value": "no value",
    "non_numeric_value": "value is not a number",
    "missing_purpose": "no consent purpose",
    "missing_status": "no consent status",
    "unknown_status": "consent status is not granted, denied or revoked",
    "unparseable_expiry": "expiry cannot be read as a date",
    VOID_ORDER_REASON: "the order's status says it brought no money (cancelled, refunded, "
    "failed, voided)",
    ORDER_LINE_REASON: "a further line of an order whose amount is on another of its rows "
    "(the order counts once, with that amount)",
    "missing_amount": "no amount",
    "other_currency": "amount is in another currency than most rows' (its sign or code, or "
    "the currency column)",
    "non_numeric_amount": "amount is not a number",
    "non_numeric_refund": "refunded amount is not a number",
    "non_numeric_quantity": "quantity is not a number",
    "non_numeric_price": "unit price is not a number",
    "amount_out_of_range": "amount is infinite or beyond ±1e15",
    "zero_or_negative_price": "unit price is zero or negative",
    "zero_quantity": "quantity is zero",
    "after_as_of": "timestamp is after the as-of date",
    "return": "return or cancellation (policy: exclude)",
    "duplicate_customer_id": "customer id already seen in an earlier row",
    "missing_account_id": "no account id",
    "duplicate_account_id": "account id already seen in an earlier row",
    "duplicate_answer": "a second answer by the same respondent to the same question",
    "several_variants": "the customer was exposed to more than one variant of the experiment",
    "duplicate": "exact duplicate of an earlier row (policy: drop)",
    "repeated_from_earlier_source": "repeats a row of an earlier file read with it (policy: drop)",
    "non_product_code": "product code is not a product (policy: non-product codes)",
}
