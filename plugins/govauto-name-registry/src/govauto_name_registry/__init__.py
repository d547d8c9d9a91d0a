"""govauto-name-registry: the registry of existing business names (名称库) as a govauto lookup.

Installed, it registers a :class:`NameRegistry` under the lookup kind ``business_names``, so that the rule
``name.conflict`` of the 个体工商户 pack can tell whether an applied-for name is already taken::

    from govauto_name_registry import NameRegistry

    registry = NameRegistry("/srv/names.sqlite")       # built with: python -m govauto_name_registry import
    registry.name_taken("深圳市南山区李四五金店（个体工商户）", "440305")

The plugin reads the database named by ``GOVAUTO_NAME_REGISTRY``, or a small shipped sample when it is unset.
"""

from __future__ import annotations

from govauto_name_registry.importer import ImportResult, NameImportError, import_csv, read_csv
from govauto_name_registry.names import Entry, normalise_name
from govauto_name_registry.registry import ENV_VAR, NameRegistry

__version__ = "0.1.0"

__all__ = [
    "ENV_VAR",
    "Entry",
    "ImportResult",
    "NameImportError",
    "NameRegistry",
    "__version__",
    "import_csv",
    "normalise_name",
    "read_csv",
]
