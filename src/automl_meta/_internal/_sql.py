"""Database helpers shared by the meta-dataset and the Optuna storages: SQLite write locking, creation races,
URLs fit for messages. SQLAlchemy is imported on first use: importing this module costs nothing."""

from __future__ import annotations

# Concurrent SQLite writers wait this long for the write lock before giving up.
SQLITE_BUSY_MS = 120_000


def lost_creation_race(exc: Exception) -> bool:
    """Whether a database error says another process created the same tables (or their first row) at the same
    moment: PostgreSQL fails the loser's CREATE TABLE (DuplicateTable, a ProgrammingError) or insert
    (IntegrityError); SQLite raises an OperationalError "table ... already exists"."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    return isinstance(exc, (IntegrityError, ProgrammingError)) or "already exists" in str(exc)


def serialize_sqlite_transactions(engine):
    """Make every transaction on a SQLite engine BEGIN IMMEDIATE (WAL journal, long busy timeout): a transaction
    takes the write lock up front and waits for it, instead of two deferred ones both reading a row and then
    both writing it (an Optuna trial popped from the queue by two processes), or failing with "database is
    locked" when they try to upgrade at once. Connections already pooled are dropped, so every one is set up."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _sqlite_setup(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy, not the sqlite3 module, opens transactions
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()
    return engine


def safe_url(url: str, fallback: str = "<url>") -> str:
    """A database URL fit for messages and logs: its password hidden (``fallback`` when it does not parse)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return fallback
