"""What a robot is: the steps one target system needs, without retries, idempotency or evidence.

A robot knows its target (log in, find an application already entered, enter a new one, log out). The runner
(:func:`govauto.robots.runner.run_robot`) owns everything that must be the same for every robot: retries by
error kind with back-off, re-login on an expired session, the search before any re-submission after an unknown
outcome, tracing (paused while credentials are typed), and the screenshot, HTML and trace kept on failure.

Most robots are YAML form maps (:class:`~govauto.robots.formmap_robot.FormMapRobot`). For an odd flow, subclass
:class:`Robot` in Python and register an instance through ``govauto_register_robots``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from govauto.errors import PackProblem
from govauto.robots.credentials import Credentials
from govauto.robots.session import RobotSession
from govauto.rules.compiler import FactSchema


@dataclass(frozen=True)
class EntryContext:
    """What :meth:`Robot.enter` gets besides the page: the case's facts and where its files are."""

    facts: Mapping[str, Any]
    base_dir: Path
    mark_submitting: Callable[[], None]
    """Call right before the action after which the application may exist in the target (the final submit)."""


class Robot(ABC):
    """A robot for one matter on one target system.

    :ivar id: dotted id (``legacy_portal.establish``), what jobs and matters refer to.
    :ivar matter: the matter whose approved cases it enters.
    :ivar target: the target system; jobs for one target share its session limit.
    :ivar max_sessions: the most sessions the target takes at once (the default per-target limit).
    :ivar credentials: the name its credentials are stored under (:mod:`govauto.robots.credentials`).
    """

    id: str
    title: str
    matter: str
    target: str
    max_sessions: int = 1
    credentials: str
    user_agent: str | None = None
    """The user agent to present (default :data:`govauto.robots.browser.USER_AGENT`)."""
    source: str = "python"
    """Where the robot was defined (a form map's file), for messages."""

    @abstractmethod
    def open_session(self, page: Page) -> RobotSession:
        """Wrap a fresh page for one job (frames, time-outs, dialog policy)."""

    @abstractmethod
    def login(self, session: RobotSession, credentials: Credentials) -> None:
        """Log in. Wrong credentials raise :class:`~govauto.errors.RobotConfigError` (kind ``login``)."""

    @abstractmethod
    def logged_in(self, session: RobotSession) -> bool:
        """Whether the session is still logged in (after an error, before trying again)."""

    @abstractmethod
    def find(self, session: RobotSession, facts: Mapping[str, Any]) -> str | None:
        """The receipt number of this case's application if the target already has it, else ``None``."""

    @abstractmethod
    def enter(self, session: RobotSession, entry: EntryContext) -> str:
        """Fill the form, submit it and return the receipt number the target gave."""

    def logout(self, session: RobotSession) -> None:  # noqa: B027 - optional
        """Log out (best effort: the runner ignores errors here)."""

    def check(self, schema: FactSchema) -> list[PackProblem]:
        """Problems with the facts this robot reads, for the matter's schema (checked when robots are loaded)."""
        return []
