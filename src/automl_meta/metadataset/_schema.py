"""Tables of the meta-dataset (SQLAlchemy Core; the same schema on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

#: Version of this schema, recorded in the ``info`` table. 2: tasks carry their ``fidelity`` (the build's row cap
#: they were evaluated at: "base", "large"; NULL for tasks recorded by fits and searches) and ``collection``.
SCHEMA_VERSION = "2"
#: Columns added by each version, for migrating an older database in place (static SQL, no user input).
MIGRATIONS = {"2": ("ALTER TABLE tasks ADD COLUMN fidelity VARCHAR(16)", "ALTER TABLE tasks ADD COLUMN collection VARCHAR(64)")}

metadata = MetaData()

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("group_name", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("n_features", Integer, nullable=False),
    Column("n_classes", Integer),
    Column("fingerprint", String(64), nullable=False),
    Column("mf_version", String(16)),
    Column("metafeatures", Text),  # JSON object name -> value (null for NaN)
    Column("source", String(255)),
    Column("created_at", String(32), nullable=False),
    Column("fidelity", String(16)),
    Column("collection", String(64)),
    UniqueConstraint("fingerprint", "metric", name="uq_task_data_metric"),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(32), nullable=False, unique=True),  # identity across exports and merges
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("family", String(32), nullable=False),
    Column("strategy_key", String(16), nullable=False),
    Column("params", Text, nullable=False),  # JSON
    Column("space_version", String(16), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("score", Float),  # NULL unless status is ok
    Column("fold_scores", Text),  # JSON list
    Column("fit_seconds", Float),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("origin", String(32), nullable=False),
    Column("n_rows", Integer),
    Column("created_at", String(32), nullable=False),
    Index("ix_evaluations_task", "task_id", "strategy_key"),
)

info = Table(
    "info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)
