"""Versioned segment definitions: a content hash per run, and a readable diff between runs.

Each run stores every segmentation's definition (the method's settings, the
rules or score map, the fitted model). Its hash is the SHA-256 of the
definition as canonical JSON, so two runs with the same hash used the same
definition. ``diff`` shows what changed as unified-diff lines of the
definition written out key by key; a fitted model (cluster centres, scaler)
is shown by its hash, not its numbers. :func:`edited_segmentations` says which
segmentations the user edited between two runs, as far as who is in which segment goes.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Parts of a definition that are fitted numbers, shown by their hash in a diff.
FITTED = ("model",)
#: Words about a segment that do not decide its members (what to do with it, not who is in it).
NOT_DECIDING = frozenset({"description", "playbook", "tags"})
#: What a run says about its definition, not the definition: whether this run fitted the
#: model it used, the run's warnings, and how a reused model fits this run's customers (its
#: agreement with a fresh fit, the share it leaves as outliers). A frozen cluster model's
#: first reuse read as a changed definition ("refitted": true → false) though the model was
#: the same, and so did every run once the stale-model check began (its agreement moves).
RUN_NOTES = frozenset({"refitted", "warnings", "staleness", "outgrown"})


def canonical(definition: dict[str, Any]) -> str:
    """The definition as canonical JSON: sorted keys, no spaces (what the hash is of).

    The run's notes about it (:data:`RUN_NOTES`) are left out.
    """
    return json.dumps(_defining(definition), sort_keys=True, separators=(",", ":"), default=str)


def _defining(definition: dict[str, Any]) -> dict[str, Any]:
    # A hybrid holds its children's definitions (``within``), notes and all.
    return {
        key: _defining(value) if isinstance(value, dict) else value
        for key, value in definition.items()
        if key not in RUN_NOTES
    }


def definition_hash(definition: dict[str, Any]) -> str:
    """SHA-256 of the canonical definition (first 16 hex digits).

    Examples
    --------
    >>> definition_hash({"b": 1, "a": [1, 2]}) == definition_hash({"a": [1, 2], "b": 1})
    True
    >>> definition_hash({"k": 4, "refitted": True}) == definition_hash({"k": 4, "refitted": False})
    True
    """
    return hashlib.sha256(canonical(definition).encode()).hexdigest()[:16]


def _readable(definition: dict[str, Any]) -> list[str]:
    shown = {
        key: (f"<fitted, hash {definition_hash({key: value})}>" if key in FITTED else value)
        for key, value in _defining(definition).items()
    }
    return json.dumps(shown, sort_keys=True, indent=2, default=str).splitlines()


@dataclass(frozen=True)
class DefinitionChange:
    """One segmentation between two runs: added, removed, changed, refitted or unchanged."""

    segmentation: str
    status: str
    hash_before: str | None
    hash_after: str | None
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segmentation": self.segmentation,
            "status": self.status,
            "hash_before": self.hash_before,
            "hash_after": self.hash_after,
            "diff": self.lines,
        }


def diff_definitions(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    *,
    labels: tuple[str, str] = ("before", "after"),
    refitted: frozenset[str] | set[str] = frozenset(),
) -> list[DefinitionChange]:
    """Compare two runs' definitions, segmentation by segmentation (by name).

    A definition that differs is ``changed``, or ``refitted`` for the names in ``refitted``
    (:func:`refitted_segmentations`: the same settings, fitted again on the run's data).
    """
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        hash_old = None if old is None else definition_hash(old)
        hash_new = None if new is None else definition_hash(new)
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        else:
            status = (
                "unchanged"
                if hash_old == hash_new
                else ("refitted" if name in refitted else "changed")
            )
        lines = []
        if status != "unchanged":
            lines = list(
                difflib.unified_diff(
                    [] if old is None else _readable(old),
                    [] if new is None else _readable(new),
                    fromfile=f"{name} ({labels[0]})",
                    tofile=f"{name} ({labels[1]})",
                    lineterm="",
                )
            )
        changes.append(DefinitionChange(name, status, hash_old, hash_new, lines))
    return changes


def _deciding(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _deciding(v) for k, v in node.items() if k not in NOT_DECIDING}
    if isinstance(node, list):
        return [_deciding(v) for v in node]
    return node


def _specs(config_text: str | None) -> dict[str, Any]:
    try:
        document = yaml.safe_load(config_text or "") or {}
    except yaml.YAMLError:
        return {}  # a stored text that no longer parses: nothing to compare with
    found = document.get("segmentations") if isinstance(document, dict) else None
    return found if isinstance(found, dict) else {}


def edited_segmentations(
    before_config: str | None,
    before_definitions: dict[str, dict[str, Any]],
    now_config: str | None,
    now_definitions: Mapping[str, dict[str, Any]],
) -> set[str]:
    r"""The segmentations of ``now_definitions`` edited since the run that read ``before_config``.

    Rule segmentations are compared on their stored definitions (a catalog file's
    rules are there, not in the project file); the other methods on the project
    file, since their stored definitions also hold what each run fits afresh.

    Examples
    --------
    >>> before = "segmentations:\n  v: {method: rfm, bins: 5, description: old}\n"
    >>> now = "segmentations:\n  v: {method: rfm, bins: 5, description: new}\n"
    >>> value = {"v": {"method": "rfm"}}
    >>> edited_segmentations(before, {}, now, value)
    set()
    >>> edited_segmentations(before, {}, now.replace("5", "4"), value)
    {'v'}
    """
    compared = _compared(before_config, before_definitions, now_config, now_definitions)
    return {name for name, same in compared.items() if not same}


def refitted_segmentations(
    before_config: str | None,
    before_definitions: dict[str, dict[str, Any]],
    now_config: str | None,
    now_definitions: Mapping[str, dict[str, Any]],
) -> set[str]:
    r"""The segmentations whose settings are the same in both runs but whose definitions differ.

    A clv segmentation's definition holds the parameters each run fits, and its value
    tiers the thresholds each run finds: run again on new data, they differ with not a
    setting touched. Only those whose settings both runs' project files hold are judged.

    Examples
    --------
    >>> spec = "segmentations:\n  f: {method: clv}\n"
    >>> refitted_segmentations(spec, {"f": {"r": 0.79}}, spec, {"f": {"r": 0.87}})
    {'f'}
    >>> refitted_segmentations(None, {"f": {"r": 0.79}}, spec, {"f": {"r": 0.87}})
    set()
    """
    compared = _compared(before_config, before_definitions, now_config, now_definitions)
    return {
        name
        for name, same in compared.items()
        if same
        and name in before_definitions
        and definition_hash(before_definitions[name]) != definition_hash(now_definitions[name])
    }


def _compared(
    before_config: str | None,
    before_definitions: dict[str, dict[str, Any]],
    now_config: str | None,
    now_definitions: Mapping[str, dict[str, Any]],
) -> dict[str, bool]:
    """Per segmentation that can be compared, whether its settings are the same."""
    was, now = _specs(before_config), _specs(now_config)
    found = {}
    for name, definition in now_definitions.items():
        old: Any
        new: Any
        # A clv segmentation's value tiers are set in its own entry (``of``).
        spec = name if name in was else str(definition.get("of", name))
        if definition.get("method") == "rules" and name in before_definitions:
            old, new = before_definitions[name], definition
        elif spec in was:
            old, new = was[spec], now.get(spec)
        else:
            continue  # a new segmentation: nothing to compare with
        found[name] = canonical(_deciding(old)) == canonical(_deciding(new or {}))
    return found
