"""The reviewer web page (``govauto serve``): people review the cases the machine referred.

Server-rendered pages (Starlette, Jinja2 templates shipped in this package, plain CSS, no script): a reviewer's
queue and their groups' queues, each case with its declared and extracted data side by side (every field with a
crop of the page where it was read), its findings with their legal bases, its versions and audit history, and
the decision form (approve, 补正 with the findings that stand plus free-text items, refer further, reject).
Decisions are carried out by :mod:`govauto.decisions` (four-eyes, notices, robot jobs)::

    from govauto.web import create_app

    app = create_app("sqlite:///cases.db")      # an ASGI app: uvicorn, or Starlette's TestClient

See ``docs/reviewer-guide.md``.
"""

from __future__ import annotations

from govauto.web.app import create_app

__all__ = ["create_app"]
