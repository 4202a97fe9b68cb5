"""The ``segwise.yaml`` project file as a pydantic model (DESIGN.md §4).

Unknown keys and wrong types are errors that name the file, the line, the key
and the fix; relative paths resolve from the file's folder.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from segwise._config import HoldoutShare, PurchaseModelName
from segwise.activation.destinations import Destination, hashing_of
from segwise.activation.triggers import Trigger
from segwise.privacy.retention import Period
from segwise.privacy.secret import KEY_ENV
from segwise.privacy.small_groups import K_MIN
from segwise.project.config_engine import (
    MembershipsTable,
    SparkEngine,
    SparkSettings,
    engine_shorthand,
)
from segwise.project.config_sources import (
    MEASUREMENT_SOURCES,
    NOT_FEATURES,
    AccountsSource,
    ConsentsSource,
    CustomersSource,
    EventsSource,
    ExposuresSource,
    OutcomesSource,
    QuantityPrice,
    ResponsesSource,
    Sources,
    Strict,
    TransactionsSource,
    WarehouseLocation,
    WarehouseSource,
)
from segwise.segmenters.rule_catalog import Playbook, SegmentDefinition

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

DOCS = "docs/project.md"


#: Whom a segmentation segments: people (customers, contacts) or B2B accounts.
Level = Literal["customer", "account"]


class _Segmentation(Strict):
    """What every segmentation method accepts."""

    #: ``account``: segment accounts, on features rolled up from their contacts.
    level: Level = "customer"
    #: A standing holdout ("5%"): that share of every segment is kept out of every
    #: activation, so ``segwise kpis`` can measure what being targeted adds. Left out of the
    #: stored definition: it changes who is sent, not who is in a segment.
    holdout: HoldoutShare = Field(default=None, exclude=True)
    #: The hash salt of the holdout (default ``holdout:<segmentation>``).
    holdout_salt: str | None = Field(default=None, exclude=True)


class RfmSegmentation(_Segmentation):
    """RFM scores and named segments."""

    method: Literal["rfm"]
    bins: int = Field(default=5, ge=2, le=9)
    preset: str = "segwise"
    map: str | None = None
    binning: Literal["quantile", "jenks"] = "quantile"


class RulesSegmentation(_Segmentation):
    """Rule segments, written here or in a catalog file."""

    method: Literal["rules"]
    catalog: str | None = None
    exclusive: bool | None = None
    other: str = "Other"
    segments: list[SegmentDefinition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> RulesSegmentation:
        if (self.catalog is None) == (not self.segments):
            raise ValueError("give either 'segments' (a list) or 'catalog' (a YAML file)")
        return self


class ClusterSegmentEdit(Strict):
    """A project's own name, description and playbook for one cluster segment (by its id)."""

    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    playbook: Playbook | None = None


class ClusterSegmentation(_Segmentation):
    """Clustering segments (k chosen automatically by default).

    ``model`` keeps the fitted model in a JSON file so later runs assign to the same
    segments with the same names; ``refit`` says when to fit again (``never``, the default
    with a model; ``monthly``; ``when_outgrown``, once a run finds it outgrown or stale;
    ``always``). ``segments`` renames segments and gives them playbooks, keyed by id.
    """

    method: Literal["cluster"]
    features: list[str] | None = None
    categorical: list[str] | None = None
    k: Literal["auto"] | int = "auto"
    k_min: int = Field(default=3, ge=1)
    k_max: int = Field(default=8, ge=1)
    algorithm: Literal["kmeans", "gmm", "kprototypes"] = "kmeans"
    seed: int = 0
    sample_size: int = Field(default=20_000, ge=10)
    #: A k whose smallest segment is below this share of customers is not chosen.
    min_segment_share: float = Field(default=0.02, ge=0.0, le=0.5)
    #: … or holds fewer customers than this (the least a segment's KPIs can measure).
    min_segment_size: int = Field(default=30, ge=1)
    #: Customers far from every centre go to "Outliers" (segment -1); null turns it off.
    outlier_cutoff: float | None = Field(default=3.0, ge=0.0)
    model: str | None = None
    refit: Literal["always", "monthly", "when_outgrown", "never"] | None = None
    #: A frozen model reused for this many runs is checked against a fresh fit each run.
    stale_after: int = Field(default=6, ge=1)
    segments: dict[int, ClusterSegmentEdit] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _refit_needs_a_model(self) -> ClusterSegmentation:
        if self.refit not in (None, "always") and self.model is None:
            raise ValueError(
                f"refit: {self.refit} needs 'model: PATH' (a JSON file) to keep the fitted model in"
            )
        return self

    @property
    def refit_policy(self) -> str:
        """``never`` when a model file is named and refit is not set, else the setting."""
        return self.refit or ("never" if self.model else "always")


class ClvSegmentation(_Segmentation):
    """Predictive segments from a purchase model (BG/NBD by default) + Gamma-Gamma, backtested."""

    method: Literal["clv"]
    #: BG/NBD, MBG/NBD or Pareto/NBD (any spelling: ``pareto_nbd``, ``mbgnbd``); the
    #: backtest's model comparison says which predicts the holdout best.
    purchase_model: PurchaseModelName = "BG/NBD"
    calibration_end: Literal["auto"] | date = "auto"
    holdout_weeks: int = Field(default=26, ge=1)
    #: ``W`` (days ÷ 7), ``D``, or calendar periods: ``isoweek``, ``month``.
    time_unit: Literal["W", "D", "isoweek", "month"] = "W"
    horizon: float | None = None
    discount_rate: float = Field(default=0.0, ge=0.0)
    tiers: list[float] = Field(default_factory=lambda: [0.2, 0.6], min_length=2, max_length=2)
    churn_threshold: float = Field(default=0.3, gt=0.0, lt=1.0)
    #: Parameter draws for an interval on every prediction (0: point predictions only).
    draws: int = Field(default=0, ge=0, le=5000)
    #: The intervals' coverage (0.95: from the 2.5% to the 97.5% quantile of the draws).
    coverage: float = Field(default=0.95, gt=0.0, lt=1.0)
    #: ``clv_lower``: value tiers by the interval's lower bound (needs draws).
    tier_by: Literal["clv", "clv_lower"] = "clv"
    #: Predictive segments as conditions on the predictions, first match wins, instead of
    #: the built-in four: ``upper(p_alive) < 0.3`` (surely at risk) reads the bounds.
    segments: list[SegmentDefinition] = Field(default_factory=list)
    #: The segment of customers no condition matches.
    other: str = "Everyone else"

    @model_validator(mode="after")
    def _bounds_need_draws(self) -> ClvSegmentation:
        if self.tier_by == "clv_lower" and not self.draws:
            raise ValueError("tier_by: clv_lower needs prediction intervals: set draws (e.g. 200)")
        if any(segment.ids for segment in self.segments):
            raise ValueError("clv segments are conditions on the predictions ('where'), not ids")
        return self


class PropensitySegmentation(_Segmentation):
    """Tiers by the predicted chance of an outcome over the next days (``sw.PropensitySegmenter``).

    ``outcome`` is ``churn``, ``purchase`` or a rule over the window's
    customer features; the model is backtested on the latest complete window.
    """

    method: Literal["propensity"]
    outcome: str = Field(default="churn", min_length=1)
    horizon_days: int = Field(default=90, ge=1)
    cutoffs: int = Field(default=8, ge=1, le=24)
    step_days: int = Field(default=45, ge=1)
    features: list[str] | None = None
    calibration: Literal["isotonic", "sigmoid"] = "isotonic"
    #: scikit-learn's histogram gradient boosting, or LightGBM when installed.
    model: Literal["gradient_boosting", "lightgbm"] = "gradient_boosting"
    tiers: list[float] = Field(default_factory=lambda: [0.2, 0.5], min_length=1, max_length=4)
    seed: int = 0


class LookalikeSeed(Strict):
    """Who the audience should look like.

    One segment of a segmentation that runs earlier in the project, a rule on
    the customer table, or a file of customer ids.
    """

    segmentation: str | None = None
    segment: str | None = None
    where: str | None = Field(default=None, min_length=1)
    ids: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> LookalikeSeed:
        ways = [self.segment is not None, self.where is not None, self.ids is not None]
        if sum(ways) != 1 or (self.segmentation is not None) != (self.segment is not None):
            raise ValueError(
                "give one of: 'segmentation' and 'segment' (an earlier segmentation's segment), "
                "'where' (a rule) or 'ids' (a file with one customer id per row)"
            )
        return self


class LookalikeSegmentation(_Segmentation):
    """The customers who look most like a seed group (``sw.LookalikeSegmenter``).

    ``size`` is a share of the customers outside the seed, or a number of them.
    """

    method: Literal["lookalike"]
    seed: LookalikeSeed
    size: float | int = Field(default=0.1, gt=0)
    features: list[str] | None = None


class SurveySegmentation(_Segmentation):
    """Needs-based segments: latent classes of the survey answers (``sw.SurveySegmenter``).

    ``codebook`` (a YAML file) gives each question's kind, scale, construct
    and direction; ``questions`` limits the classes to some of them. With
    ``bridge`` (the default), customers who did not answer get the class a
    classifier predicts from their features, when it beats guessing and its
    probability reaches ``min_confidence``.
    """

    method: Literal["survey"]
    codebook: str | None = None
    questions: list[str] | None = Field(default=None, min_length=2)
    classes: Literal["auto"] | int = "auto"
    classes_min: int = Field(default=3, ge=1)
    classes_max: int = Field(default=8, ge=1)
    min_class_share: float = Field(default=0.02, ge=0.0, le=0.5)
    bridge: bool = True
    bridge_features: list[str] | None = None
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    seed: int = 0


#: What a hybrid segmentation may run inside one of its rule segments.
ChildSegmentation = Annotated[
    RfmSegmentation
    | RulesSegmentation
    | ClusterSegmentation
    | ClvSegmentation
    | PropensitySegmentation
    | LookalikeSegmentation,
    Field(discriminator="method"),
]


class HybridSegmentation(_Segmentation):
    """Rules first, then another method inside each rule segment.

    The rules are exclusive (each customer in one parent segment, or
    ``other``). ``within`` names, per parent segment, the method that splits
    it; its leaves are called ``parent › child`` and profiled against the
    parent. Parent segments not in ``within`` stay whole.
    """

    method: Literal["hybrid"]
    catalog: str | None = None
    other: str = "Other"
    segments: list[SegmentDefinition] = Field(default_factory=list)
    within: dict[str, ChildSegmentation] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> HybridSegmentation:
        if (self.catalog is None) == (not self.segments):
            raise ValueError("give either 'segments' (a list) or 'catalog' (a YAML file)")
        for parent, child in self.within.items():
            if "level" in child.model_fields_set and child.level != self.level:
                raise ValueError(
                    f"within.{parent}: level '{child.level}' differs from the hybrid's "
                    f"'{self.level}'; a segment is split at its own level (remove 'level' there)"
                )
        return self

    def parent(self) -> RulesSegmentation:
        """The rule level as a rules segmentation of its own (always exclusive)."""
        return RulesSegmentation(
            method="rules",
            catalog=self.catalog,
            exclusive=True,
            other=self.other,
            segments=self.segments,
        )


Segmentation = Annotated[
    RfmSegmentation
    | RulesSegmentation
    | ClusterSegmentation
    | ClvSegmentation
    | PropensitySegmentation
    | LookalikeSegmentation
    | SurveySegmentation
    | HybridSegmentation,
    Field(discriminator="method"),
]


class PrivacySettings(Strict):
    """How the project protects the people in it (docs/privacy.md)."""

    #: Groups under this many people show as "< k_min", undescribed (1: no protection).
    k_min: int = Field(default=K_MIN, ge=1)
    #: The environment variable holding the secret key of keyed hashes (tombstones).
    key_env: str = Field(default=KEY_ENV, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    #: Or a file holding it (relative to the project), read when the variable is not set.
    key_file: str | None = None
    #: Replace customer ids and ``pii:`` columns by keyed hashes when reading (pseudonyms).
    pseudonymise: bool = False
    #: Keep the customers source's ``pii:`` columns among the features (off: left out of
    #: features, rules, profiles and clusters).
    pii_in_features: bool = False
    #: The consent history's purpose that allows profiling (clustering, predictions).
    profiling_purpose: str = Field(default="profiling", min_length=1)
    #: Customers without it: left out of those segmentations, or counted but not stored.
    profiling: Literal["exclude", "aggregate"] = "exclude"


#: A pydantic field type: a retention period written ``36 months``, ``90 days``, ``2 years``.
RetentionPeriod = Annotated[Period, BeforeValidator(Period.parse), PlainSerializer(str)]

#: What ``retention:`` may name: the sources with dates, the stored runs, the quarantine files.
RETAINED = ("transactions", "events", "exposures", "outcomes", "runs", "quarantine")


class ProjectConfig(Strict):
    """A whole project: name, store, engine, sources and segmentations."""

    name: str = Field(min_length=1)
    store: str = "segwise.duckdb"
    engine: Annotated[
        Literal["polars", "duckdb"] | SparkEngine, BeforeValidator(engine_shorthand)
    ] = "polars"
    as_of: date | None = None
    report: str = "report.html"
    #: How money reads on cards and traits: a code (GBP, EUR, USD…) or a symbol.
    currency: str | None = Field(default=None, min_length=1, max_length=8)
    sources: Sources
    segmentations: dict[str, Segmentation] = Field(min_length=1)
    #: Where audiences are synced (``segwise sync``; docs/activation.md).
    destinations: dict[str, Destination] = Field(default_factory=dict)

    #: Events for customers entering or leaving segments (``segwise sync``; docs/activation.md).
    triggers: dict[str, Trigger] = Field(default_factory=dict)
    #: How long each kind of data is kept (``segwise purge``; docs/privacy.md).
    retention: dict[str, RetentionPeriod] = Field(default_factory=dict)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @model_validator(mode="after")
    def _retention_names_what_is_kept(self) -> ProjectConfig:
        for name in self.retention:
            if name not in RETAINED:
                raise ValueError(
                    f"retention.{name}: not something segwise keeps; use {', '.join(RETAINED)}"
                )
        return self

    @model_validator(mode="after")
    def _destinations_named(self) -> ProjectConfig:
        for key, names in (("destinations", self.destinations), ("triggers", self.triggers)):
            for name in names:
                # Names go into file names and the store: plain words only.
                if not _PLAIN_NAME.match(name):
                    raise ValueError(f"{key}.{name}: use letters, digits, '-' and '_' in the name")
        return self

    @model_validator(mode="after")
    def _purposes_have_a_history(self) -> ProjectConfig:
        for name, spec in self.destinations.items():
            if spec.consent_purpose is not None and self.sources.consents is None:
                raise ValueError(
                    f"destinations.{name}.consent_purpose: the project has no consent history; "
                    "add sources.consents (customer, purpose, status, date, expiry)"
                )
        return self

    @model_validator(mode="after")
    def _triggers_send_somewhere(self) -> ProjectConfig:
        for name, trigger in self.triggers.items():
            for target in trigger.destinations():
                spec = self.destinations.get(target)
                if spec is None:
                    known = ", ".join(self.destinations) or "none declared"
                    raise ValueError(
                        f"triggers.{name}: no destination '{target}' (destinations: {known})"
                    )
                if hashing_of(spec) is not None:
                    raise ValueError(
                        f"triggers.{name}: '{target}' is an ad-platform audience; send events "
                        "to a webhook or file destination"
                    )
        return self

    @model_validator(mode="after")
    def _accounts_mapped(self) -> ProjectConfig:
        by_account = [n for n, s in self.segmentations.items() if s.level == "account"]
        for name in by_account:
            if isinstance(self.segmentations[name], SurveySegmentation):
                raise ValueError(
                    f"segmentations.{name}: a survey segments the people who answered, "
                    "not accounts; remove 'level: account' (its classes are per contact)"
                )
        customers = self.sources.customers
        if by_account and (customers is None or customers.account_id is None):
            raise ValueError(
                f"segmentations.{by_account[0]} has level: account, but no contact is mapped "
                "to an account: add sources.customers.account_id (the column with each "
                "contact's account)"
            )
        return self

    @model_validator(mode="after")
    def _purchase_models_have_orders(self) -> ProjectConfig:
        if self.sources.transactions is not None:
            return self
        for name, spec in self.segmentations.items():
            if isinstance(spec, RfmSegmentation | ClvSegmentation | PropensitySegmentation):
                raise ValueError(
                    f"segmentations.{name}: method {spec.method} models purchases and the "
                    "project has no sources.transactions; add the orders export, or use "
                    "rules, cluster or survey on the customer table"
                )
        return self

    @model_validator(mode="after")
    def _warehouse_needs_spark(self) -> ProjectConfig:
        for name, source in self.sources:
            if source is not None and source.warehouse is not None and self.engine_name != "spark":
                raise ValueError(
                    f"sources.{name}.warehouse is read by Spark where it lives; set engine: "
                    "{spark: {remote: sc://…}} (or master:), or give a path to a file instead"
                )
        return self

    @property
    def levels(self) -> set[str]:
        """The levels the segmentations run at (``customer``, ``account``)."""
        return {spec.level for spec in self.segmentations.values()}

    @property
    def engine_name(self) -> str:
        """``polars``, ``duckdb`` or ``spark``."""
        return self.engine if isinstance(self.engine, str) else "spark"


# The sources' classes stay importable from here (segwise.project.config_sources holds them).
__all__ = [
    "MEASUREMENT_SOURCES",
    "NOT_FEATURES",
    "AccountsSource",
    "ClusterSegmentation",
    "ClvSegmentation",
    "ConsentsSource",
    "CustomersSource",
    "EventsSource",
    "ExposuresSource",
    "HybridSegmentation",
    "LookalikeSegmentation",
    "MembershipsTable",
    "OutcomesSource",
    "ProjectConfig",
    "PropensitySegmentation",
    "QuantityPrice",
    "ResponsesSource",
    "RfmSegmentation",
    "RulesSegmentation",
    "Segmentation",
    "Sources",
    "SparkEngine",
    "SparkSettings",
    "SurveySegmentation",
    "TransactionsSource",
    "WarehouseLocation",
    "WarehouseSource",
]
