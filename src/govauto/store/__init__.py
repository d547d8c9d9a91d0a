"""The database: cases' jobs, their history and artifacts, review tasks, the audit trail, casework.

SQLAlchemy Core on SQLite by default (one file, ``$GOVAUTO_HOME/govauto.db``) or on PostgreSQL
(``postgresql://user:password@host/dbname``, psycopg 3), with the same schema, made and changed by the Alembic
migrations in :mod:`govauto.store.migrate`::

    from govauto.store import open_store

    store = open_store()                       # $GOVAUTO_DATABASE_URL, else sqlite:///.govauto/govauto.db;
                                               # the schema is brought to the newest revision
    with store.begin(write=True) as conn:      # one transaction; writers take SQLite's lock up front
        conn.execute(...)
"""

from __future__ import annotations

from govauto.store._store import DATABASE_URL_ENV, HOME_ENV, Store, default_url, home_dir, open_store
from govauto.store.review import ReviewTask, list_review_tasks

__all__ = [
    "DATABASE_URL_ENV",
    "HOME_ENV",
    "ReviewTask",
    "Store",
    "default_url",
    "home_dir",
    "list_review_tasks",
    "open_store",
]
