"""Rule catalogs: segments defined by rules (or id lists) with their playbooks, kept in YAML.

A catalog is data, not code::

    name: lifecycle
    exclusive: true          # first match by priority wins; everyone else is "Other"
    segments:
      - name: VIP
        description: Our best customers
        where: "net_revenue > 2000 AND orders >= 6"
        priority: 1
        tags: [value]
        owner: crm-team
        playbook: {messaging: "Thank them", channels: [email], offers: "early access",
                   timing: "launch days", creative: "premium"}
      - name: Complainers
        ids: complainers.csv  # a static segment: the ids in a CSV file

See ``docs/rules.md`` for every key.
"""

from __future__ import annotations

from collections.abc import Callable  # noqa: TC003 - pydantic reads the field types at runtime
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from segwise._config import load_yaml_model, read_text_file
from segwise.exceptions import ConfigError, RuleError
from segwise.lang.parser import Rule, parse_rule

DOCS = "docs/rules.md"
#: Most segments in one catalog: an exclusive catalog is one expression over all of them.
MAX_SEGMENTS = 1_000
#: Most rule nodes in one catalog, summed over its segments (a rule alone may have 10,000).
MAX_CATALOG_NODES = 100_000


class Playbook(BaseModel):
    """What to do with a segment: the message, channels, offers, timing and creative."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messaging: str | None = None
    channels: list[str] = Field(default_factory=list)
    offers: str | list[str] | None = None
    timing: str | None = None
    creative: str | None = None

    def lines(self) -> list[str]:
        """The playbook as short "key: value" lines, for cards and tables."""
        out = []
        for key in ("messaging", "channels", "offers", "timing", "creative"):
            value = getattr(self, key)
            if value:
                shown = ", ".join(value) if isinstance(value, list) else value
                out.append(f"{key}: {shown}")
        return out

    def action(self) -> str | None:
        """The playbook as one action line: the message, then how and when.

        Examples
        --------
        >>> Playbook(messaging="Thank them", channels=["email"], offers="early access").action()
        'Thank them (via email; offer: early access)'
        >>> Playbook(channels=["sms"]).action()
        'Via sms'
        """
        details = []
        if self.channels:
            details.append("via " + ", ".join(self.channels))
        if self.offers:
            many = isinstance(self.offers, list) and len(self.offers) > 1
            shown = ", ".join(self.offers) if isinstance(self.offers, list) else self.offers
            details.append(f"{'offers' if many else 'offer'}: {shown}")
        details += [
            f"{key}: {getattr(self, key)}" for key in ("timing", "creative") if getattr(self, key)
        ]
        if self.messaging:
            return f"{self.messaging} ({'; '.join(details)})" if details else self.messaging
        if not details:
            return None
        line = "; ".join(details)
        return line[0].upper() + line[1:]


class SegmentDefinition(BaseModel):
    """One segment: a rule (``where``) or a static list of ids (``ids``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    where: str | None = None
    ids: str | None = None
    id_column: str | None = None
    priority: int | None = None
    tags: list[str] = Field(default_factory=list)
    owner: str | None = None
    playbook: Playbook | None = None

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("segment names cannot start or end with spaces")
        if value.startswith("__segwise"):
            raise ValueError("names starting with __segwise are reserved")
        return value

    @model_validator(mode="after")
    def _one_definition(self) -> SegmentDefinition:
        if (self.where is None) == (self.ids is None):
            raise ValueError(
                f"segment '{self.name}' needs exactly one of 'where' (a rule) or 'ids' (a CSV file)"
            )
        return self

    @property
    def is_static(self) -> bool:
        """True for a segment defined by a list of ids."""
        return self.ids is not None


class RuleCatalog(BaseModel):
    """A named set of segments; exclusive (first match wins) or overlapping audiences.

    Examples
    --------
    >>> catalog = RuleCatalog.from_dict({"segments": [
    ...     {"name": "Big", "where": "orders >= 5", "priority": 2},
    ...     {"name": "New", "where": "tenure_days < 30", "priority": 1}]})
    >>> [s.name for s in catalog.ordered()]
    ['New', 'Big']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "rules"
    description: str = ""
    exclusive: bool = True
    other: str = "Other"
    min_size: int = Field(default=1, ge=0)
    min_share: float = Field(default=0.0, ge=0.0, le=1.0)
    segments: list[SegmentDefinition] = Field(default_factory=list)
    base_dir: str | None = Field(default=None, exclude=True)
    #: When set, static segments' id files must resolve inside this folder (a project's).
    confine_to: str | None = Field(default=None, exclude=True)
    #: When set, how a static segment's ids become the table's (a project's pseudonyms).
    id_map: Callable[[pl.Series], pl.Series] | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleCatalog:
        seen: set[str] = set()
        for segment in self.segments:
            if segment.name in seen:
                raise ValueError(f"segment name '{segment.name}' is used twice")
            if segment.name == self.other:
                raise ValueError(
                    f"segment name '{segment.name}' is the catalog's 'other' label; rename one"
                )
            seen.add(segment.name)
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> RuleCatalog:
        """Load a catalog file; static segments' ``ids`` resolve from the file's folder."""
        target = Path(path)
        if not target.is_file():
            raise ConfigError(f"{target}: no such rule catalog", hint="check the path")
        catalog = load_yaml_model(
            cls, read_text_file(target, what="rule catalog"), source=str(target), docs=DOCS
        )
        return catalog.model_copy(update={"base_dir": str(target.resolve().parent)})

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: str | Path | None = None) -> RuleCatalog:
        """Build a catalog from a mapping (a project file's ``segmentations`` entry)."""
        try:
            catalog = cls.model_validate(data)
        except ValidationError:
            # Through YAML only to say where the mistake is (a rule editor sends one per
            # keystroke; the round trip cost more than the preview's own work).
            catalog = load_yaml_model(
                cls, yaml.safe_dump(data, sort_keys=False), source="rule catalog", docs=DOCS
            )
        return catalog.model_copy(update={"base_dir": None if base_dir is None else str(base_dir)})

    def ordered(self) -> list[SegmentDefinition]:
        """Segments in the order they win: by priority (lowest first), then as written."""
        indexed = list(enumerate(self.segments))
        indexed.sort(key=lambda pair: (pair[1].priority is None, pair[1].priority or 0, pair[0]))
        return [segment for _, segment in indexed]

    def rules(self) -> dict[str, Rule]:
        """Every rule segment's parsed rule, by name.

        Raises
        ------
        RuleSyntaxError
            Labelled with the catalog and the segment.
        """
        if len(self.segments) > MAX_SEGMENTS:
            raise ConfigError(
                f"{self.name}: {len(self.segments):,} segments; the limit is {MAX_SEGMENTS:,}",
                hint="split the catalog; a marketer acts on a handful of segments",
            )
        parsed: dict[str, Rule] = {}
        total = 0
        for segment in self.segments:
            if segment.where is None:
                continue
            try:
                parsed[segment.name] = parse_rule(segment.where)
            except RuleError as exc:
                raise exc.with_source(f"{self.name}, segment '{segment.name}'") from None
            # The caps hold for the catalog as a whole, not one rule at a time.
            total += sum(1 for _ in parsed[segment.name].root.walk())
            if total > MAX_CATALOG_NODES:
                raise ConfigError(
                    f"{self.name}: the rules have more than {MAX_CATALOG_NODES:,} parts in all "
                    f"(reached at segment '{segment.name}')",
                    hint="split the catalog, or use static segments for long id lists",
                )
        return parsed

    def static_ids(self) -> dict[str, pl.LazyFrame]:
        """Each static segment's ids as a one-column lazy frame."""
        out: dict[str, pl.LazyFrame] = {}
        for segment in self.segments:
            if segment.ids is None:
                continue
            path = Path(segment.ids)
            if not path.is_absolute() and self.base_dir is not None:
                path = Path(self.base_dir) / path
            if self.confine_to is not None and not path.resolve().is_relative_to(
                Path(self.confine_to).resolve()
            ):
                # Never read (or echo) a file outside the project on a project's say-so.
                raise ConfigError(
                    f"segment '{segment.name}': ids file '{segment.ids}' is outside the project "
                    "folder",
                    hint="keep id lists inside the project folder",
                )
            if not path.is_file():
                raise ConfigError(
                    f"segment '{segment.name}': ids file {path} does not exist",
                    hint="give the CSV path relative to the catalog file",
                )
            try:
                # Ids are text: inferring a schema would turn "00042" into 42.
                frame = pl.read_csv(path, infer_schema=False)
            except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: cannot read the ids ({exc})".splitlines()[0]) from None
            column = segment.id_column or frame.columns[0]
            if column not in frame.columns:
                raise ConfigError(
                    f"{path}: no column '{column}' for segment '{segment.name}'",
                    hint="the columns are " + ", ".join(frame.columns),
                )
            ids = frame.select(column).drop_nulls()
            if self.id_map is not None:
                ids = ids.with_columns(self.id_map(ids[column]).alias(column))
            out[segment.name] = ids.lazy()
        return out
