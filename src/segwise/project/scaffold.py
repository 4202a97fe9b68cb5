"""``segwise init``: a working project with the sample retailer's data and every method."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError
from segwise.io.file_kinds import DATA_FILES, file_suffix
from segwise.io.writers import write_text

if TYPE_CHECKING:
    from pathlib import Path

PROJECT_TEMPLATE = """\
# segwise project file: docs/project.md explains every key.
# Paths are relative to this file's folder.
name: {name}

# The workspace: every run, its segment definitions and memberships live here.
store: segwise.duckdb

# Where the work runs: polars (default), duckdb, or {{spark: {{master: "local[2]"}}}}.
engine: polars

# Everything is computed as of this date (data after it is ignored).
# Leave it out to use the last transaction date; segwise run --as-of overrides it.
# as_of: 2024-12-31

# The HTML report each run writes.
report: report.html

sources:
  # One row per order line. amount may also be {{quantity: COL, unit_price: COL}}.
  transactions:
    path: data/orders.csv.gz
    customer_id: customer_id
    timestamp: order_date
    amount: amount
    order_id: order_id
    category: category
    channel: channel
    # Returns and cancellations: net (default), keep or exclude.
    returns: net
  # One row per customer; pii lists columns with personal identifiers.
  customers:
    path: data/customers.csv.gz
    customer_id: customer_id
    pii: [email, phone]
  # Engagement events: one row per visit, email open, app session...
  events:
    path: data/events.parquet
    customer_id: user_id
    timestamp: ts
    event: event

segmentations:
  # RFM scores 1-5 and the named segments of the segwise preset (or r-rfm, pymc, map: FILE).
  value:
    method: rfm
    bins: 5
    preset: segwise

  # Rule segments: the first match by priority wins; everyone else is "Other".
  # The language is SQL-like: docs/rules.md. Columns are the customer features.
  lifecycle:
    method: rules
    exclusive: true
    segments:
      - name: VIP
        description: Our best customers by spend and frequency
        where: "net_revenue > 1500 AND orders >= 12"
        priority: 1
        playbook:
          messaging: Thank them; early access to new collections
          channels: [email, app]
          offers: free express delivery
          timing: launch days
      - name: Busy parents
        description: Families with children who still shop with us
        where: "children_at_home > 0 AND household_size >= 3 AND recency_days <= 90"
        priority: 2
        playbook:
          messaging: "Save time: everything for the week in one order"
          channels: [email]
          offers: family bundles
          timing: weekday evenings
      - name: App engaged
        description: Use the app every week
        where: "performed('app_session', at_least => 4, within => '30d')"
        priority: 3
        playbook: {{messaging: App-only drops, channels: [app]}}
      - name: Lapsed
        description: Have not bought for over a year
        where: "recency_days > 365"
        priority: 4
        playbook: {{messaging: We miss you, channels: [email], offers: 15% comeback code}}

  # Natural clusters; k between 3 and 8 is chosen automatically. The first run keeps
  # the fitted model in models/behaviour.json and later runs assign to it, so the
  # segments and their names hold still. Delete the file to fit afresh.
  behaviour:
    method: cluster
    features: [recency_days, orders, net_revenue, avg_order_value, visit_30d, email_open_30d,
               device]
    k: auto
    seed: 0
    model: models/behaviour.json

  # BG/NBD + Gamma-Gamma: churn risk, value tiers, and a backtest on the last 26 weeks.
  future:
    method: clv
    calibration_end: auto
    holdout_weeks: 26
    tiers: [0.2, 0.6]

  # The other methods, ready to switch on: remove the leading "# " of a block.
  # Propensity: who is likely to stop buying in the next 90 days, learnt from past
  # quarters and backtested on the latest one (docs/propensity.md).
  # churn:
  #   method: propensity
  #   outcome: churn
  #   horizon_days: 90
  #
  # Lookalike: the customers who look most like the VIPs on what they are and do,
  # for an acquisition or upsell audience (docs/project.md).
  # like_vip:
  #   method: lookalike
  #   seed: {{segmentation: lifecycle, segment: VIP}}
  #   size: 0.05
  #   features: [age, income, household_size, lifestyle, device, visit_30d, share_home]
  #
  # Hybrid: rules first, then another method inside a rule segment; here the app users
  # are clustered on their own.
  # app_users:
  #   method: hybrid
  #   other: Everyone else
  #   segments:
  #     - {{name: App users, where: "app_session_30d >= 1"}}
  #   within:
  #     App users: {{method: cluster, features: [recency_days, orders, net_revenue], k: auto}}
"""


def project_file_for(directory: Path, *, force: bool = False) -> Path:
    """Where ``init`` writes the project file; refused over an existing project or a file."""
    config = directory / "segwise.yaml"
    if config.exists() and not force:
        raise ConfigError(
            f"{config}: a project already exists here", hint="pass --force to overwrite it"
        )
    if directory.exists() and not directory.is_dir():
        hint = "choose a new folder name"
        if file_suffix(directory) in DATA_FILES:
            # `segwise init orders.csv` is the first thing many people type.
            hint = (
                f"run `segwise init my-project --transactions {directory}` to write a "
                "project for this data"
            )
        raise ConfigError(f"{directory}: is a file, not a folder", hint=hint)
    return config


def scaffold(directory: Path, *, force: bool = False) -> Path:
    """Write ``segwise.yaml`` and copy the sample data into ``directory/data``."""
    config = project_file_for(directory, force=force)
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    for path in sample_paths().values():
        shutil.copyfile(path, data / path.name)
    name = directory.resolve().name or "project"
    return write_text(PROJECT_TEMPLATE.format(name=name), config)
