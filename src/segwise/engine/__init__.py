"""The one place that knows Polars, DuckDB and Spark.

Everything above this package writes Narwhals expressions; the few operations
whose meaning differs between backends live in :mod:`segwise.engine.portable`.
"""

from __future__ import annotations

from segwise.engine.frames import Backend, backend_of, from_lazy, to_lazy

__all__ = ["Backend", "backend_of", "from_lazy", "to_lazy"]
