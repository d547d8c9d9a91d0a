"""Loading plugins: the built-ins, then the ``govauto`` entry-point group, once per plugin manager.

Environment switches (read when a :class:`~govauto.runtime.Runtime` loads its plugins):

``GOVAUTO_DISABLE_PLUGINS``
    ``*`` loads no installed (entry-point) plugins; otherwise a comma-separated list of plugin names to skip.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

import pluggy

from govauto import hookspecs
from govauto.default_plugins import DEFAULT_PLUGINS

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT_NAME)

ENTRY_POINT_GROUP = "govauto"


def _disabled() -> set[str]:
    raw = os.environ.get("GOVAUTO_DISABLE_PLUGINS", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugin_manager(extra_plugins: Iterable[object] = (), load_entrypoints: bool = True) -> pluggy.PluginManager:
    """Create a plugin manager with the built-in plugins, installed plugins and ``extra_plugins``.

    :param extra_plugins: plugin objects or modules to register as well (tests, embedding applications).
    :param load_entrypoints: whether to load plugins installed under the ``govauto`` entry-point group.
    :raises pluggy.PluginValidationError: when a plugin implements a ``govauto_`` hook that does not exist.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    disabled = _disabled()
    if load_entrypoints and "*" not in disabled:
        for name in disabled:
            pm.set_blocked(name)
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm
