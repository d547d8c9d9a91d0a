"""The govauto plugin (entry point ``name_registry`` in the ``govauto`` group).

It registers one :class:`~govauto_name_registry.registry.NameRegistry` as the lookup kind ``business_names``.
Registration is cheap: the database is only opened when a rule asks whether a name is taken, so a missing or
broken database makes those reviews refer the name to a person (``name.conflict_unchecked``) instead of
failing to load the plugin.
"""

from __future__ import annotations

from collections.abc import Callable

from govauto import hookimpl
from govauto.lookups import BUSINESS_NAMES, Lookup

from govauto_name_registry.registry import NameRegistry


@hookimpl
def govauto_register_lookups(register: Callable[[str, Lookup], None]) -> None:
    register(BUSINESS_NAMES, NameRegistry.from_environment())
