"""Where a project's work runs: the ``engine:`` of a project file.

Part of the ``segwise.yaml`` model (:mod:`segwise.project.config`, which re-exports
these classes): Polars or DuckDB in this process, or Spark, with the warehouse
table each run's memberships are written back to.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from segwise.engine.sessions import ENGINES
from segwise.project.config_sources import Strict, WarehouseLocation


class MembershipsTable(WarehouseLocation):
    """``engine.spark.memberships``: where each run's memberships are written back."""

    @model_validator(mode="after")
    def _not_jdbc(self) -> MembershipsTable:
        if self.format == "jdbc":
            raise ValueError("memberships are written as a table or files, not through jdbc")
        return self


class SparkSettings(Strict):
    """Where Spark runs: a master (``local[2]``, ``spark://…``, ``yarn``) or a Spark Connect URL."""

    master: str = "local[2]"
    #: A Spark Connect server (``sc://host:15002``): the client/server path a cluster offers
    #: (Databricks, EMR, a ``start-connect-server.sh``). Instead of ``master``.
    remote: str | None = None
    config: dict[str, str] = Field(default_factory=dict)
    #: Each run's memberships written back to the warehouse as well as the workspace store
    #: (a catalog table or a path; partitioned by run, a run written again is replaced).
    memberships: MembershipsTable | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SparkSettings:
        if self.remote is not None:
            if "master" in self.model_fields_set:
                raise ValueError("give master or remote, not both: remote is a Spark Connect URL")
            if not self.remote.startswith("sc://"):
                raise ValueError(
                    f"remote must be a Spark Connect URL like sc://host:15002, not '{self.remote}'"
                )
        return self


class SparkEngine(Strict):
    """``engine: {spark: {master: "local[2]"}}``."""

    spark: SparkSettings = Field(default_factory=SparkSettings)


def engine_shorthand(value: object) -> object:
    """``engine:`` as people write it: a name in any case, ``spark`` for Spark's defaults.

    ``engine: spark`` was refused in two lines of schema errors ("Input should be 'polars'
    or 'duckdb'", "Input should be a valid dictionary or instance of SparkEngine").

    Examples
    --------
    >>> engine_shorthand("Spark"), engine_shorthand("DuckDB")
    ({'spark': {}}, 'duckdb')
    >>> engine_shorthand("pandas")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'pandas' is not an engine: polars, duckdb or spark (...)
    """
    if not isinstance(value, str):
        return value
    name = value.strip().lower()
    if name not in ENGINES:
        raise ValueError(
            f"'{value}' is not an engine: polars, duckdb or spark "
            "({spark: {master: ...}} for a cluster)"
        )
    return {"spark": {}} if name == "spark" else name
