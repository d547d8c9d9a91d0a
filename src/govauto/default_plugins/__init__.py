"""The built-in plugins, registered through the same hooks as installed ones (like pytest's default plugins)."""

DEFAULT_PLUGINS: tuple[str, ...] = (
    "govauto.default_plugins.engines",
    "govauto.default_plugins.sole_proprietor",
    "govauto.default_plugins.documents",
    "govauto.default_plugins.robots",
    "govauto.default_plugins.review_queue",
)
