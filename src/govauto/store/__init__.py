"""The database: cases' jobs, their history and artifacts, review tasks.

SQLAlchemy Core on SQLite by default (one file, ``$GOVAUTO_HOME/govauto.db``) and, later, PostgreSQL with the same
schema::

    from govauto.store import open_store

    store = open_store()                       # $GOVAUTO_DATABASE_URL, else sqlite:///.govauto/govauto.db
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
