"""Robots: Playwright programs that enter approved cases into legacy approval systems, never twice.

- :class:`Robot` is what a robot is; :class:`FormMapRobot` is one written as a YAML form map
  (``docs/form-maps.md``); plugins register either through ``govauto_register_robots``.
- :func:`run_robot` runs one for one case with retries by error kind, a search before any re-submission, and a
  screenshot, the HTML and a trace on failure.
- :class:`RobotExecutor` runs robot jobs in ``govauto worker``; :func:`submit_case` queues one.
"""

from govauto.robots.base import EntryContext, Robot
from govauto.robots.browser import BrowserHost, chromium_path
from govauto.robots.credentials import Credentials, credentials_for
from govauto.robots.formmap import FormMap, read_form_map
from govauto.robots.formmap_robot import FormMapRobot
from govauto.robots.runner import LocalRunContext, RetryPolicy, RunContext, run_robot
from govauto.robots.session import RobotSession

__all__ = [
    "BrowserHost",
    "Credentials",
    "EntryContext",
    "FormMap",
    "FormMapRobot",
    "LocalRunContext",
    "RetryPolicy",
    "Robot",
    "RobotSession",
    "RunContext",
    "chromium_path",
    "credentials_for",
    "read_form_map",
    "run_robot",
]


def __getattr__(name: str) -> object:
    # RobotExecutor and submit_case import the job store; load them only when asked for.
    if name == "RobotExecutor":
        from govauto.robots.executor import RobotExecutor

        return RobotExecutor
    if name == "submit_case":
        from govauto.robots.enqueue import submit_case

        return submit_case
    raise AttributeError(name)
