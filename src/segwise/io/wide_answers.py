"""A survey tool's export, one row per respondent and one column per question, read long.

Google Forms, Typeform, Qualtrics and most survey tools export answers wide: a row per
respondent, a column per question (its header the question's text or id), beside the
tool's own columns (when it was submitted, the respondent's IP, a token). The responses
reader takes answers long (respondent, question, answer), and a wide export stopped with
"no question column found". A responses source with no question column is now read as
wide: the tool's columns are left out by name, every other column is a question, and the
frame is unpivoted in its engine to one row per answer; an empty cell is a question the
respondent skipped, not an answer. Qualtrics writes two more header rows (the questions'
text, then their import ids) under its header: they are left out too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.exceptions import ColumnNotFoundError
from segwise.io.roles import find_role, name_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.io.sources import RawSource

#: The long columns a wide export becomes (the responses reader recognises these names).
QUESTION, ANSWER = "question", "answer"

#: Columns survey tools add beside the answers (compared as :func:`name_key` compares).
TOOL_COLUMNS = frozenset(
    name_key(name)
    for name in (
        # Google Forms
        "Timestamp", "Email Address", "Email", "Score",
        # Typeform
        "#", "Submitted At", "Start Date (UTC)", "Submit Date (UTC)", "Network ID", "Token",
        "Response Type", "Tags", "Ending",
        # SurveyMonkey and Jotform
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
        "First Name", "Last Name", "Custom Data 1", "Submission Date", "Submission ID",
        # Qualtrics
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
        "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
        "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
        "DistributionChannel", "UserLanguage",
        # Any tool
        "Created At", "Updated At", "Completed At", "User Agent", "Browser", "Platform",
        "Referrer", "Language", "Device",
    )
)  # fmt: skip

#: Qualtrics' second header row writes these columns' names in words.
_QUALTRICS_LABELS = {"StartDate": "Start Date", "ResponseId": "Response ID"}
_QUALTRICS_IMPORT = '{"ImportId"'


def long_answers(raw: RawSource, given: Mapping[str, str | None]) -> RawSource:
    """``raw`` as long answers when it is a wide export; unchanged when it is long.

    Wide means no question or answer column was named or is recognised by name.

    Raises
    ------
    ColumnNotFoundError
        A wide export whose respondent column is not recognised, or that has no
        column left once the tool's own are set aside.
    """
    if given.get("question") or given.get("answer"):
        return raw
    # A long export's answer column (bar a quiz's "Score", a tool column) says it is long.
    own = [c for c in raw.columns if name_key(c) not in TOOL_COLUMNS]
    if find_role("responses", "question", raw.columns, raw.fields) or find_role(
        "responses", "answer", own, raw.fields
    ):
        return raw
    respondent = given.get("customer_id") or find_role(
        "responses", "customer_id", raw.columns, raw.fields
    )
    if respondent is None:
        raise ColumnNotFoundError(
            f"{raw.name}: no question column, so this reads as a survey export with one "
            "column per question, and no column says which customer answered",
            hint="name the respondent's customer id column with --customer-col "
            "(customer_id= in Python; a hidden field of the form, or Qualtrics' "
            "ExternalReference), or, for one answer per row, --question-col and --answer-col",
        )
    tool = [c for c in raw.columns if name_key(c) in TOOL_COLUMNS and c != respondent]
    questions = [c for c in raw.columns if c not in {respondent, *tool}]
    if not questions:
        raise ColumnNotFoundError(
            f"{raw.name}: no question column, and no column besides the respondent and the "
            "survey tool's own to read as one",
            hint="give the answers long (customer, question, answer) or one column per question",
        )
    note = (
        f"read as a survey export with one column per question: {len(questions)} "
        f"question(s); empty cells (skipped questions) are not answers"
        + (f"; the tool's columns left out: {_listed(tool)}" if tool else "")
    )
    header_rows = _qualtrics_header_rows(raw.columns, respondent)

    def scan(_text: Any) -> nw.LazyFrame[Any]:
        frame = raw.scan(set(raw.columns))  # as written: "00042", "5", "Agree"
        if header_rows is not None:
            frame = frame.filter(~header_rows)
        frame = frame.select(nw.col(respondent), *(nw.col(q).cast(nw.String()) for q in questions))
        long = frame.unpivot(
            on=questions, index=[respondent], variable_name=QUESTION, value_name=ANSWER
        )
        return long.filter(nw.col(ANSWER).str.strip_chars().str.len_chars() > 0)

    notes = [note] + (
        ["Qualtrics' two header rows under the column names left out"]
        if header_rows is not None
        else []
    )
    return replace(
        raw, columns=[respondent, QUESTION, ANSWER], scan=scan, notes=[*raw.notes, *notes]
    )


def _qualtrics_header_rows(columns: list[str], respondent: str) -> nw.Expr | None:
    """The rows Qualtrics writes under its header, or None for another tool's export."""
    labelled = [c for c in _QUALTRICS_LABELS if c in columns]
    if not labelled:
        return None
    said = [nw.col(c) == _QUALTRICS_LABELS[c] for c in labelled]
    imported = nw.col(respondent).cast(nw.String()).str.starts_with(_QUALTRICS_IMPORT)
    found = imported
    for one in said:
        found = found | one
    return found.fill_null(value=False)


def _listed(columns: list[str], most: int = 4) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:most])
    return shown + (f" and {len(columns) - most} more" if len(columns) > most else "")
