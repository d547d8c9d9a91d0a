"""A believable old government registration system (个体工商户登记管理系统) for robots to practise on.

It serves GBK pages in frames, multipart forms (个体工商户设立, 变更 and 注销登记) with an old-style
``checkForm()``, a confirmation step and a receipt number, sessions that time out, and faults on demand: slow
answers, 500 and 503 pages, dropped connections, expired sessions, a success page lost after the record was
committed, and requests that hang.
Standard library only (``http.server``, ``sqlite3``), so every byte on the wire is under its control.

.. code-block:: python

    from govauto.testing.legacy_portal import Fault, LegacyPortal

    with LegacyPortal(tmp_path / "portal.db") as portal:
        portal.add_fault(Fault("lose_success", times=1))
        run_my_robot(portal.url, user="robot", password="robot-pass")
        assert len(portal.records()) == 1      # submitted once, even though the first answer was lost

See ``docs/legacy-portal.md`` for the pages, the fault kinds and the admin endpoints.
"""

from __future__ import annotations

from govauto.testing.legacy_portal.catalogue import (
    BUSINESS_TYPES,
    CHANGE_ITEMS,
    COMMITMENTS,
    DEREGISTER_KINDS,
    DEREGISTER_REASONS,
    DIVISIONS,
    FORMS,
    ID_TYPES,
    SIMPLIFIED_PERIOD_DAYS,
    ScopeItem,
    scope_items,
)
from govauto.testing.legacy_portal.faults import KINDS, SUBMIT_PATHS, Fault
from govauto.testing.legacy_portal.forms import MESSAGES
from govauto.testing.legacy_portal.records import APPLICATION_KINDS, RECEIPT_PREFIXES
from govauto.testing.legacy_portal.server import DEFAULT_USERS, LegacyPortal, mask_ids, serve

__all__ = [
    "APPLICATION_KINDS",
    "BUSINESS_TYPES",
    "CHANGE_ITEMS",
    "COMMITMENTS",
    "DEFAULT_USERS",
    "DEREGISTER_KINDS",
    "DEREGISTER_REASONS",
    "DIVISIONS",
    "FORMS",
    "ID_TYPES",
    "KINDS",
    "MESSAGES",
    "RECEIPT_PREFIXES",
    "SIMPLIFIED_PERIOD_DAYS",
    "SUBMIT_PATHS",
    "Fault",
    "LegacyPortal",
    "ScopeItem",
    "mask_ids",
    "scope_items",
    "serve",
]
