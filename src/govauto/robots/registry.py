"""Loading the robots plugins register: form maps read and checked, Python robots checked, ids unique."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from govauto.errors import FormMapError, PackProblem, PluginError
from govauto.matters import Matter
from govauto.robots.base import Robot
from govauto.robots.formmap_robot import FormMapRobot
from govauto.rules.compiler import FactSchema


def load_robots(sources: Sequence[tuple[str, object]], matters: Mapping[str, Matter],
                schema_for: Callable[[str], FactSchema]) -> dict[str, Robot]:
    """Build every registered robot; report every invalid map at once.

    :param sources: (plugin name, form-map path or :class:`Robot`) in registration order.
    :raises FormMapError: every problem of every map (structure, unknown matter, unknown facts).
    :raises PluginError: something registered that is neither, or a robot id registered twice.
    """
    robots: dict[str, Robot] = {}
    problems: list[PackProblem] = []
    for plugin, source in sources:
        if isinstance(source, (str, Path)):
            try:
                robot: Robot = FormMapRobot.from_file(source)
            except FormMapError as exc:
                problems.extend(exc.problems)
                continue
        elif isinstance(source, Robot):
            robot = source
        else:
            raise PluginError(f"plugin {plugin}: register() takes a form map path or a govauto.robots.Robot, "
                              f"got {source!r}")
        if robot.id in robots:
            raise PluginError(f"plugin {plugin}: robot {robot.id!r} is already registered "
                              f"(by {robots[robot.id].source})")
        if robot.matter not in matters:
            problems.append(PackProblem(robot.source, None, f"matter: no matter '{robot.matter}' is registered "
                                        f"(available: {', '.join(sorted(matters)) or 'none'})"))
            continue
        problems.extend(robot.check(schema_for(robot.matter)))
        robots[robot.id] = robot
    if problems:
        raise FormMapError(problems)
    return robots
