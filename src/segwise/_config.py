"""YAML files → pydantic models, with errors that name the key, its line and the fix.

Catalogs, score maps and project files share this loader, so a typo reads the
same everywhere: ``rules.yaml, line 7: segments.2.prority: unknown key. Did
you mean 'priority'?``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, cast, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ValidationError

from segwise._validation import did_you_mean, holdout_share, purchase_model_name
from segwise.exceptions import ConfigError, ProblemsError

M = TypeVar("M", bound=BaseModel)

#: Deepest nesting a definition file may have; real files stay under 10.
MAX_DEPTH = 64
#: Most aliases (``*name``) one file may use: enough for shared playbooks, not for bombs.
MAX_ALIASES = 100
#: Largest definition file read (a catalog of thousands of segments is far smaller).
MAX_BYTES = 10_000_000

#: A pydantic field type: a holdout written ``5%`` or ``0.05``, or None.
HoldoutShare = Annotated[float | None, BeforeValidator(holdout_share)]


def _model_spelling(value: object) -> object:
    """A purchase model's name as the report gives it, however it is spelled."""
    try:
        return purchase_model_name(value) if isinstance(value, str) else value
    except ConfigError:
        return value  # the choices' own error lists the names


#: A pydantic field type: BG/NBD, MBG/NBD or Pareto/NBD (``PURCHASE_MODEL_NAMES``), in
#: any spelling (``pareto_nbd``).
PurchaseModelName = Annotated[
    Literal["BG/NBD", "MBG/NBD", "Pareto/NBD"], BeforeValidator(_model_spelling)
]


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and deep nesting.

    A repeated key silently keeps the last value in plain YAML, so a catalog
    with two ``where:`` lines would run a rule nobody reviewed; deep nesting
    exhausts Python's stack inside the composer.
    """

    _depth = 0
    _aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            # Anchors are shared, not copied, here; but validation would expand them, and
            # ten nested aliases of ten make a billion values ("billion laughs").
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"more than {MAX_ALIASES} aliases (*name)", problem_mark=mark
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if first is None:
                seen[key] = key_node.start_mark.line + 1
            else:
                raise yaml.MarkedYAMLError(
                    problem=f"key '{key}' repeats the one on line {first}",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def read_text_file(path: str | Path, *, what: str = "file") -> str:
    r"""A definition file's text: UTF-8, bounded in size, with errors that name the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = target.write_bytes(b"name: caf\xe9")
    >>> read_text_file(target)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: ...x.yaml, line 1: byte 0xe9 is not UTF-8. Save the file ...
    """
    target = Path(path)
    try:
        if target.stat().st_size > MAX_BYTES:
            raise ConfigError(
                f"{target}: the {what} is over {MAX_BYTES // 1_000_000} MB",
                hint="split it into smaller files",
            )
        raw = target.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{target}: cannot read the {what} ({exc.strerror})", hint="check the path"
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{target}, line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8",
            hint="save the file as UTF-8",
        ) from None


def parse_yaml(text: str, *, source: str) -> tuple[Any, yaml.Node | None]:
    r"""YAML text as Python data and its node tree (for line numbers); strict and safe.

    Examples
    --------
    >>> parse_yaml("a: 1\na: 2", source="x.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: x.yaml, line 2: not valid YAML: key 'a' repeats the one ...
    """
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{source}{line}: not valid YAML: {problem}", hint="check the indentation and quotes"
        ) from None
    return data, root


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest parent)."""
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None
            )
            if match is None:
                continue  # a union's tag (e.g. "rfm") is in the path but not in the file
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line if line is not None else (root.start_mark.line + 1 if root is not None else None)


def _key_path(
    model: type[BaseModel], loc: Sequence[int | str]
) -> tuple[list[int | str], list[str]]:
    """``loc`` as the file writes it, and the keys its last part's parent takes.

    A tagged union's tag (``rules`` in ``segmentations.lifecycle.rules.segments``) is in
    pydantic's path but not in the file: it is dropped, and picks the union's member whose
    keys a misspelling is matched against.
    """
    current: Any = model
    path: list[int | str] = []
    for part in loc[:-1]:
        member = _tagged_member(current, part)
        if member is not None:
            current = member
            continue
        path.append(part)
        current = _inside(current, part)
    path.extend(loc[-1:])
    fields = [
        name
        for candidate in _members(current)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel)
        for name in candidate.model_fields
    ]
    return path, list(dict.fromkeys(fields))


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows: through ``Annotated``, ``Optional`` and unions."""
    if annotation is None:
        return []
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [inner for arg in get_args(annotation) for inner in _members(arg)]
    return [annotation]


def _inside(annotation: Any, part: int | str) -> Any:
    """The type at ``part`` of a value of ``annotation`` (a field, a mapping's value, an item)."""
    for candidate in _members(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if isinstance(part, str) and part in candidate.model_fields:
                return candidate.model_fields[part].annotation
        elif get_origin(candidate) in (dict, Mapping) and isinstance(part, str):
            return get_args(candidate)[-1]
        elif get_origin(candidate) in (list, tuple, Sequence) and isinstance(part, int):
            return get_args(candidate)[0]
    return None


def _tagged_member(annotation: Any, tag: int | str) -> type[BaseModel] | None:
    """The member of a discriminated union whose discriminator is ``tag``, if any."""
    if get_origin(annotation) is not Annotated:
        return None
    discriminator = next(
        (getattr(meta, "discriminator", None) for meta in get_args(annotation)[1:]), None
    )
    if not isinstance(discriminator, str):
        return None
    for member in _members(annotation):
        field = getattr(member, "model_fields", {}).get(discriminator)
        if field is not None and tag in get_args(field.annotation):
            return cast("type[BaseModel]", member)
    return None


def load_yaml_model(model: type[M], text: str, *, source: str, docs: str) -> M:
    r"""Validate YAML ``text`` as ``model``.

    Raises
    ------
    ConfigError
        Naming ``source``, the line, the key path and what to do.

    Examples
    --------
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Size(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     bins: int = 5
    >>> load_yaml_model(Size, "bins: 4", source="s.yaml", docs="docs/x.md").bins
    4
    >>> load_yaml_model(Size, "\nbinz: 4", source="s.yaml", docs="docs/x.md")
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: s.yaml, line 2: binz: unknown key. Did you mean 'bins'?
    """
    data, root = parse_yaml(text, source=source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected keys and values at the top level",
            hint=f"see {docs} for the format",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, root, model, source=source, docs=docs)
        if len(problems) == 1:
            raise problems[0] from None
        raise ProblemsError([p.one_line() for p in problems]) from None


def _problems(
    exc: ValidationError, root: Any, model: type[BaseModel], *, source: str, docs: str
) -> list[ConfigError]:
    """Every validation error as a located ConfigError, without the echoes of one mistake.

    A misspelt key is both "unknown" and a missing field beside it; only the
    misspelling is reported. The same message at the same place is said once.
    """
    errors = exc.errors()
    misspelt = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden" and e["loc"]}
    out: list[ConfigError] = []
    seen: set[str] = set()
    for error in sorted(errors, key=lambda e: e["type"] != "extra_forbidden"):
        loc = [part for part in error["loc"] if isinstance(part, int | str)]
        if error["type"] == "missing" and tuple(error["loc"][:-1]) in misspelt:
            continue
        line_number = _line_of(root, loc)
        path, keys = _key_path(model, loc)
        where = ".".join(str(part) for part in path) or "(top level)"
        at = f", line {line_number}" if line_number is not None else ""
        if error["type"] == "extra_forbidden":
            close = did_you_mean(str(loc[-1]), keys) if loc else []
            hint = f"did you mean '{close[0]}'?" if close else f"see {docs} for the keys"
            problem = ConfigError(f"{source}{at}: {where}: unknown key", hint=hint)
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            problem = ConfigError(f"{source}{at}: {where}: {message}", hint=f"see {docs}")
        if problem.one_line() not in seen:
            seen.add(problem.one_line())
            out.append(problem)
    return out
