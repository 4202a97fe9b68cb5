"""Edit a project's rule segmentations in ``segwise.yaml``, keeping its comments.

The service writes definitions back to the project file, the one source of
truth a team also edits by hand and keeps in git. So every edit is a
round-trip through ruamel.yaml (comments, key order and quoting stay as the
people wrote them), validated by the same code that loads a project for
``segwise run`` (and every rule compiled against the latest run's customer
table when there is one) before anything is written, and written atomically.

Each segmentation's *version* is the hash of its definition as the project
file holds it; an edit can name the version it was based on, and a stale one
is refused instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from segwise._config import load_yaml_model, read_text_file
from segwise.exceptions import ConfigError, NotFoundError, RuleError, SegwiseError
from segwise.io.writers import write_text
from segwise.lang.evaluate import EVENT_ID, EVENT_NAME, EVENT_TIME
from segwise.project.catalogs import catalog_of
from segwise.project.config import DOCS, ProjectConfig, RulesSegmentation
from segwise.project.paths import ProjectPaths
from segwise.segmenters import RuleSegmenter
from segwise.store.definitions import definition_hash

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.store import Workspace

#: Names people type and URLs carry: letters, digits, spaces, dots, dashes, underscores.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9 _.\-]{0,63}$")

#: One edit at a time per process: read, change, validate and write are one step.
_EDITING = threading.Lock()


class ConflictError(ConfigError):
    """The definition changed since the version the edit was based on."""


@dataclass(frozen=True)
class Saved:
    """A written definition: its segmentation, its new version, and the one it replaced."""

    segmentation: str
    version: str | None
    previous: str | None
    definition: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segmentation": self.segmentation,
            "version": self.version,
            "previous_version": self.previous,
            "definition": self.definition,
        }


def check_name(name: str, what: str) -> str:
    """``name`` when it is a plain name, else a one-line error (no paths, no control text).

    Examples
    --------
    >>> check_name("lifecycle", "segmentation")
    'lifecycle'
    >>> check_name("../etc", "segmentation")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    segwise.exceptions.NotFoundError: ...
    """
    if not _NAME.match(name) or ".." in name:
        raise NotFoundError(
            f"'{name[:80]}' is not a valid {what} name",
            hint="use letters, digits, spaces, dots, dashes and underscores (64 at most)",
        )
    return name


def _yaml() -> YAML:
    handler = YAML()  # round-trip: comments and order survive
    handler.preserve_quotes = True
    handler.width = 4096  # never re-wrap a rule people wrote on one line
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def _plain(node: Any) -> Any:
    """The round-trip (commented) containers as plain dicts and lists (for hashing and JSON)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def written(project_file: Path) -> dict[str, dict[str, Any]]:
    """Each segmentation as the project file writes it (no defaults filled in).

    What an editor loads and sends back: saving it unchanged changes nothing.
    """
    document = _yaml().load(read_text_file(project_file, what="project file"))
    found = document.get("segmentations") or {}
    return {str(name): _plain(spec) for name, spec in found.items()}


def versions(project_file: Path) -> dict[str, str]:
    """Each segmentation's current version (hash of its definition in the project file)."""
    return {name: definition_hash(spec) for name, spec in written(project_file).items()}


def put_segmentation(
    project_file: Path,
    name: str,
    definition: dict[str, Any],
    *,
    create: bool,
    expected: str | None = None,
    store: Workspace | None = None,
) -> Saved:
    """Create (``create=True``) or replace a rule segmentation; return the new version."""
    check_name(name, "segmentation")
    if definition.get("method") != "rules":
        raise ConfigError(
            f"segmentations.{name}: the service edits rule segmentations (method: rules)",
            hint="edit other methods in segwise.yaml",
        )
    with _EDITING:
        document, segmentations = _load(project_file)
        previous = segmentations.get(name)
        if create and previous is not None:
            raise ConflictError(
                f"segmentations.{name}: already exists", hint="update it instead (PUT)"
            )
        if not create and previous is None:
            raise NotFoundError(f"segmentations.{name}: not in the project file")
        before = None if previous is None else _editable(name, previous)
        _check_expected(name, before, expected)
        _replace(segmentations, name, definition)
        return _write(project_file, document, name, before, store)


def put_segment(
    project_file: Path,
    segmentation: str,
    segment: dict[str, Any],
    *,
    expected: str | None = None,
    store: Workspace | None = None,
) -> Saved:
    """Add a segment to a rule segmentation, or replace the one with the same name."""
    check_name(segmentation, "segmentation")
    check_name(str(segment.get("name", "")), "segment")
    with _EDITING:
        document, segmentations = _load(project_file)
        spec = segmentations.get(segmentation)
        if spec is None:
            raise NotFoundError(f"segmentations.{segmentation}: not in the project file")
        before = _editable(segmentation, spec)
        _check_expected(segmentation, before, expected)
        listed = spec.setdefault("segments", CommentedSeq())
        names = [str(s.get("name")) for s in listed]
        if segment["name"] in names:
            at = names.index(segment["name"])
            _replace(listed, at, segment)
        else:
            listed.append(_commented(segment))
        return _write(project_file, document, segmentation, before, store)


def delete(
    project_file: Path,
    segmentation: str,
    segment: str | None = None,
    *,
    expected: str | None = None,
    store: Workspace | None = None,
) -> Saved:
    """Delete a rule segmentation, or one segment of it."""
    check_name(segmentation, "segmentation")
    with _EDITING:
        document, segmentations = _load(project_file)
        spec = segmentations.get(segmentation)
        if spec is None:
            raise NotFoundError(f"segmentations.{segmentation}: not in the project file")
        before = _editable(segmentation, spec)
        _check_expected(segmentation, before, expected)
        if segment is None:
            del segmentations[segmentation]
        else:
            listed = spec.get("segments") or []
            names = [str(s.get("name")) for s in listed]
            if segment not in names:
                raise NotFoundError(f"segmentations.{segmentation}: no segment '{segment}'")
            del listed[names.index(segment)]
        return _write(project_file, document, segmentation, before, store)


def _load(project_file: Path) -> tuple[Any, Any]:
    document = _yaml().load(read_text_file(project_file, what="project file"))
    if not isinstance(document, dict) or not isinstance(document.get("segmentations"), dict):
        raise ConfigError(f"{project_file}: no segmentations mapping to edit")
    return document, document["segmentations"]


def _editable(name: str, spec: Any) -> str:
    """The version of a segmentation the service may edit (rules written in the file)."""
    if not isinstance(spec, dict) or spec.get("method") != "rules":
        raise ConfigError(
            f"segmentations.{name}: the service edits rule segmentations only",
            hint="edit other methods in segwise.yaml",
        )
    if spec.get("catalog") is not None:
        raise ConfigError(
            f"segmentations.{name}: its rules live in the catalog file {spec['catalog']}",
            hint="edit that file, or move the segments into segwise.yaml",
        )
    return definition_hash(_plain(spec))


def _check_expected(name: str, version: str | None, expected: str | None) -> None:
    if expected is not None and expected != version:
        raise ConflictError(
            f"segmentations.{name}: changed since version {expected} (now {version})",
            hint="reload the definition and apply the edit again",
        )


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _commented(item)
        return out
    if isinstance(value, list):
        return CommentedSeq([_commented(v) for v in value])
    return value


def _replace(parent: Any, key: Any, value: dict[str, Any]) -> None:
    """Set ``parent[key]``, editing an existing mapping in place so its comments stay."""
    current = parent[key] if isinstance(parent, list) else parent.get(key)
    if not isinstance(current, dict):
        parent[key] = _commented(value)
        return
    for old in [k for k in current if k not in value]:
        del current[old]
    for field, item in value.items():
        if _plain(current.get(field)) != item:
            current[field] = _commented(item)


def _write(
    project_file: Path, document: Any, name: str, before: str | None, store: Workspace | None
) -> Saved:
    """Validate the edited file as ``segwise run`` would, then write it atomically."""
    text = _splice(read_text_file(project_file, what="project file"), document, name)
    config = load_yaml_model(ProjectConfig, text, source=str(project_file), docs=DOCS)
    spec = config.segmentations.get(name)
    if isinstance(spec, RulesSegmentation):
        _compile(name, spec, project_file, store)
    write_text(text, project_file)
    after = document["segmentations"].get(name)
    plain = None if after is None else _plain(after)
    return Saved(name, None if plain is None else definition_hash(plain), before, plain)


def _splice(original: str, document: Any, name: str) -> str:
    """The original text with only segmentation ``name``'s lines replaced.

    Everything else stays byte for byte as people wrote it (ruamel would re-flow
    hand-wrapped lists elsewhere in the file).
    """
    lines = original.splitlines(keepends=True)
    fresh = _yaml().load(original)
    segmentations = fresh["segmentations"]
    top_keys = list(fresh)
    after_top = top_keys.index("segmentations") + 1
    end_of_mapping = (
        fresh.lc.key(top_keys[after_top])[0] if after_top < len(top_keys) else len(lines)
    )
    names = list(segmentations)
    indent = segmentations.lc.key(names[0])[1] if names else 2
    if name in segmentations:
        start = segmentations.lc.key(name)[0]
        following = names.index(name) + 1
        stop = (
            segmentations.lc.key(names[following])[0] if following < len(names) else end_of_mapping
        )
    else:
        start = stop = end_of_mapping
        while start > 0 and _loose(lines[start - 1]):
            start -= 1  # land before the comments that introduce the next top-level key
        stop = start
    while stop > start and _loose(lines[stop - 1]):
        stop -= 1  # blank lines and comments before the next key belong to it
    edited = document["segmentations"].get(name)
    block = "" if edited is None else _dump_block(name, edited, indent)
    return "".join(lines[:start]) + block + "".join(lines[stop:])


def _loose(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _dump_block(name: str, spec: Any, indent: int) -> str:
    """The segmentation's lines, dumped where it sits so inline comments keep their column."""
    buffer = io.StringIO()
    _yaml().dump({"segmentations": {name: spec}}, buffer)
    dumped = buffer.getvalue().splitlines(keepends=True)[1:]
    while dumped and _loose(dumped[-1]):
        dumped.pop()  # the comment ruamel hangs on the last item is the next key's
    shift = indent - 2  # ruamel indents mappings by 2; match a file that indents otherwise
    if shift > 0:
        dumped = [" " * shift + line if line.strip() else line for line in dumped]
    elif shift < 0:
        dumped = [line[-shift:] if line[:-shift].isspace() else line for line in dumped]
    return "".join(dumped)


def _compile(
    name: str, spec: RulesSegmentation, project_file: Path, store: Workspace | None
) -> None:
    """Every rule parses and, against the latest run's columns, compiles."""
    paths = ProjectPaths(project_file.parent, project_file)
    catalog = catalog_of(name, spec, paths)
    catalog.rules()  # syntax: every rule parses, with its position
    features = None if store is None or not store.path.exists() else store.latest_features()
    if features is None:
        return
    empty = {
        "events": pl.DataFrame(
            schema={EVENT_ID: pl.String, EVENT_TIME: pl.Datetime("us"), EVENT_NAME: pl.String}
        ),
        "transactions": pl.DataFrame(schema={EVENT_ID: pl.String, EVENT_TIME: pl.Datetime("us")}),
    }
    try:
        RuleSegmenter(catalog, id_col="customer_id").fit(features.head(0), **empty)
    except RuleError:
        raise  # keeps its position: the editor underlines it
    except SegwiseError as exc:
        raise ConfigError(f"segmentations.{name}: {exc.one_line()}") from None
