"""Putting an approved case on the job queue for its matter's robot."""

from __future__ import annotations

from pathlib import Path

from govauto.errors import RobotConfigError
from govauto.jobs.model import Job
from govauto.jobs.queue import JobQueue
from govauto.runtime import CaseInput, Runtime


def submit_case(queue: JobQueue, runtime: Runtime, case: CaseInput, *, robot: str | None = None,
                base_dir: Path | str | None = None, max_attempts: int = 3, priority: int = 0) -> tuple[Job, bool]:
    """Queue a robot job that enters ``case`` into its target system; at most one job per case and robot.

    :param case: a case file, mapping or validated case (validated against its contract here).
    :param robot: the robot id (default: the matter's robot, :meth:`govauto.Runtime.robot_for`).
    :param base_dir: where the case's relative material paths start (default: the case file's directory).
    :returns: the job and whether it was created now (``False``: the case already had a job for this robot,
        which is returned unchanged: submitting twice never makes two jobs).
    :raises CaseError: when the case does not fit its contract.
    :raises RobotConfigError: when no robot is registered for the case's matter, or ``robot`` is for another one.
    """
    valid = runtime.load_case(case)
    chosen = runtime.robot(robot) if robot else runtime.robot_for(valid.matter)
    if chosen is None:
        raise RobotConfigError(f"no robot enters {valid.matter} cases: register one (govauto_register_robots) or "
                               "name it with --robot")
    if chosen.matter != valid.matter:
        raise RobotConfigError(f"robot {chosen.id!r} enters {chosen.matter} cases, not {valid.matter}")
    if base_dir is None:
        base_dir = Path(case).parent if isinstance(case, (str, Path)) else Path(".")
    from govauto.pipeline import review_group

    payload = {"case": valid.model_dump(mode="json"), "base_dir": str(Path(base_dir).resolve()),
               "group": review_group(valid)}  # the reviewers who get the case if the robot needs a person
    return queue.submit(chosen.id, chosen.target, valid.case_id, payload, max_attempts=max_attempts,
                        priority=priority)


def robot_limits(runtime: Runtime) -> dict[str, int]:
    """The session limit of each target system: the smallest ``max_sessions`` of the robots that use it."""
    limits: dict[str, int] = {}
    for robot in runtime.robots().values():
        limits[robot.target] = min(limits.get(robot.target, robot.max_sessions), robot.max_sessions)
    return limits
