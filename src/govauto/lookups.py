"""Data-sharing lookups: connectors to registries a review consults (identity, existing business names).

A plugin registers one with ``govauto_register_lookups`` under the kind of protocol it implements.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

BUSINESS_NAMES = "business_names"


@runtime_checkable
class BusinessNameRegistry(Protocol):
    """Kind ``business_names``: answers whether a business name is already taken in an area."""

    def name_taken(self, name: str, division: str) -> bool:
        """Whether ``name`` is registered or reserved at the authority of GB/T 2260 area ``division``.

        :raises govauto.errors.LookupUnavailableError: when the registry cannot be reached or read.
        """
        ...


Lookup = BusinessNameRegistry
"""Any lookup protocol (the union grows as kinds are added)."""

LOOKUP_KINDS: dict[str, type] = {BUSINESS_NAMES: BusinessNameRegistry}
"""The lookup kinds a plugin may register, and the protocol each must implement."""
