"""Ingestion: readers for every source, column roles, cleaning policies, quality reports."""

from __future__ import annotations

from segwise.io.dataset import Dataset
from segwise.io.entity_readers import (
    read_accounts,
    read_consents,
    read_exposures,
    read_outcomes,
    read_responses,
)
from segwise.io.options import SourceOptions
from segwise.io.policy import ONLINE_RETAIL_NON_PRODUCT_CODES, CleaningPolicy
from segwise.io.quality import QualityReport
from segwise.io.readers import (
    read_customers,
    read_events,
    read_transactions,
)
from segwise.io.roles import ColumnRoles, detect_roles
from segwise.io.writers import write_table, write_text

__all__ = [
    "ONLINE_RETAIL_NON_PRODUCT_CODES",
    "CleaningPolicy",
    "ColumnRoles",
    "Dataset",
    "QualityReport",
    "SourceOptions",
    "detect_roles",
    "read_accounts",
    "read_consents",
    "read_customers",
    "read_events",
    "read_exposures",
    "read_outcomes",
    "read_responses",
    "read_transactions",
    "write_table",
    "write_text",
]
