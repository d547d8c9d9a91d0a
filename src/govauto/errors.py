"""The exceptions govauto raises.

Every error a user can cause is one of these, with a message that names what was wrong (the file, line,
field path or rule id) and what to do about it::

    GovautoError
    ├── CaseError                 a case does not fit the case contract (CLI exit code 2)
    ├── PackError                 a rule pack is malformed: holds one PackProblem per defect
    ├── MatterError               a matter.yaml is malformed: holds one PackProblem per defect (file:line)
    ├── ExpressionError           a rule's ``when`` text is not in the expression language
    ├── PluginError               a plugin registered something invalid, or twice
    ├── UnknownMatterError        no plugin registered the case's matter
    ├── PackNotInForceError       the case was submitted when its matter's rule pack was not in force
    ├── EngineError               a rule engine failed or is unknown
    ├── LookupUnavailableError    a data-sharing lookup could not answer
    ├── MaterialError             an uploaded material cannot be read (the case goes to a person)
    │   ├── EmptyMaterialError        the file is empty
    │   ├── UnsupportedMaterialError  its real type (from its bytes) is not one govauto reads
    │   ├── CorruptMaterialError      truncated or damaged
    │   ├── EncryptedMaterialError    password-protected
    │   └── MaterialTooLargeError     over a configured limit (pages, pixels, bytes), checked before work
    ├── OcrError                  an OCR engine failed on an image
    ├── OcrEngineUnavailableError the chosen OCR engine is not installed
    ├── FormMapError              a robot's form map is invalid: holds one PackProblem per defect (file:line)
    ├── RobotError                a robot could not enter a case into its target system; ``kind`` says why
    │   ├── RobotTransientError       network, time-out, 5xx, expired session, busy: retried with back-off
    │   ├── RobotBusinessError        the target refused the data (its own validation message): to a person
    │   ├── RobotDataError            the case lacks a value the map needs, or one the target cannot hold
    │   ├── RobotSelectorError        an element the map names is not on the loaded page (map or target changed)
    │   └── RobotConfigError          no browser, no credentials, wrong credentials, unknown robot
    ├── JobError                  a robot job cannot be submitted, found or moved (CLI exit code 2)
    │   ├── JobNotFoundError          no job has that id
    │   ├── JobStateError             the job's state does not allow it, e.g. cancelling a finished job
    │   ├── LeaseLostError            this worker no longer holds the job's lease: its result is refused
    │   └── ExecutorLoadError         an executor path (``module:callable``) cannot be imported or called
    ├── StoreError                the database cannot be opened or used (its URL is named, password hidden)
    ├── BrokerError               the message broker of the Celery runner cannot be used (URL named, password hidden)
    ├── AuditError                an audit record cannot be written or read (bad action, actor or detail)
    │   └── AuditIntegrityError       the audit chain was edited, cut or reordered: holds every problem
    ├── CaseworkError             a case, review task or account operation was refused (the message says why)
    │   ├── CaseNotFoundError         no stored case (or no such version of it) has that id
    │   ├── CaseStateError            the case version does not allow it, e.g. deciding a superseded version
    │   ├── TaskNotFoundError         no review task has that id
    │   ├── TaskStateError            the task's status does not allow it, e.g. deciding a decided task
    │   ├── ReviewPermissionError     the user may not do that: another group, not a supervisor, four-eyes
    │   ├── AccountError              an account cannot be created or changed (name, role, password policy)
    │   ├── AccountNotFoundError      no account has that user name
    │   └── ApiTokenError             an API token cannot be created, found or revoked
    └── CalendarError             the working-day calendar lacks a year, or its data file is malformed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class GovautoError(Exception):
    """Base class of every error govauto raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One field of a case that does not fit the contract: ``path`` is dotted, with ``[i]`` for list items."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CaseError(GovautoError):
    """A case does not fit the case contract.

    ``problems`` lists every wrong field at once, each named by its path, e.g.
    ``business.premises[0].division: must be 6 digits, got "44030"``.
    """

    def __init__(self, problems: Sequence[FieldProblem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{where}the case does not fit the contract ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class PackProblem:
    """One defect in a rule pack, located by file, line and (where it concerns one) rule id."""

    file: str
    line: int | None
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"{where}{rule}: {self.message}"


class PackError(GovautoError):
    """A rule pack was refused at load; ``problems`` lists every defect found, not only the first."""

    def __init__(self, problems: Sequence[PackProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the rule pack is invalid ({len(self.problems)} problem(s)):\n{lines}")


class MatterError(GovautoError):
    """A ``matter.yaml`` (a matter declared without Python) was refused; ``problems`` lists every defect found, each
    with its file and line (:class:`PackProblem`; a field's problem starts with ``field <path>:``)."""

    def __init__(self, problems: Sequence[PackProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the matter declaration is invalid ({len(self.problems)} problem(s)):\n{lines}")


class ExpressionError(GovautoError):
    """A ``when`` expression uses syntax or names outside the expression language.

    ``offset`` is the 0-based column in the expression text where the problem starts, when known.
    """

    def __init__(self, message: str, text: str = "", offset: int | None = None) -> None:
        self.text = text
        self.offset = offset
        self.reason = message
        pointer = ""
        if text and offset is not None:
            pointer = f"\n    {text}\n    {' ' * offset}^"
        super().__init__(f"{message}{pointer}")


class PluginError(GovautoError):
    """A plugin registered something invalid (a duplicate name, a missing directory, a wrong type)."""


class UnknownMatterError(GovautoError):
    """The case names a matter that no installed plugin registered."""


class PackNotInForceError(GovautoError):
    """The case was submitted on a date outside its rule pack's ``effective_from``..``effective_until``.

    A case is judged by the rules in force on the China date of ``submitted_at``; govauto never judges it by
    rules that were not yet, or no longer, in force.
    """


class EngineError(GovautoError):
    """A rule engine is unknown, or failed while evaluating a pack."""


class LookupUnavailableError(GovautoError):
    """A data-sharing lookup (e.g. the business-name registry) could not answer."""


class MaterialError(GovautoError):
    """An uploaded material cannot be read. ``file`` names it and ``reason`` is a short code
    (``empty``, ``unsupported``, ``corrupt``, ``encrypted``, ``too_large``) that findings and reports key on."""

    reason = "unreadable"

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.detail = message
        super().__init__(f"{file}: {message}")


class EmptyMaterialError(MaterialError):
    """The file has no content."""

    reason = "empty"


class UnsupportedMaterialError(MaterialError):
    """The file's real type, sniffed from its bytes, is not PDF, PNG, JPEG or TIFF."""

    reason = "unsupported"


class CorruptMaterialError(MaterialError):
    """The file is truncated or damaged and cannot be parsed."""

    reason = "corrupt"


class EncryptedMaterialError(MaterialError):
    """The PDF is password-protected; ask the applicant for an unprotected copy."""

    reason = "encrypted"


class MaterialTooLargeError(MaterialError):
    """The file exceeds a limit (bytes, pages, pixels); limits are configurable and checked before any work."""

    reason = "too_large"


class OcrError(GovautoError):
    """An OCR engine failed on an image."""


class OcrEngineUnavailableError(GovautoError):
    """The chosen OCR engine is not installed or cannot run here; the message says how to install it."""


class FormMapError(GovautoError):
    """A robot's form map was refused at load; ``problems`` lists every defect, each with its file and line."""

    def __init__(self, problems: Sequence[PackProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the form map is invalid ({len(self.problems)} problem(s)):\n{lines}")


class RobotError(GovautoError):
    """A robot could not enter a case into its target system.

    ``kind`` is a short code that jobs, reports and retry policies key on; ``retryable`` says whether trying
    again can help; ``to_person`` whether a person must decide (the case's data or the target's answer).
    """

    kind = "robot"
    retryable = False
    to_person = False

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        if kind is not None:
            self.kind = kind
        super().__init__(message)


class RobotTransientError(RobotError):
    """Trying again can help: ``kind`` is ``network``, ``timeout``, ``server_error``, ``session_expired`` or
    ``busy``. Retried with exponential back-off and jitter; after the last attempt the job fails with it."""

    kind = "network"
    retryable = True


class RobotBusinessError(RobotError):
    """The target system refused the data with its own message (an ``alert()``, an error text): retrying
    cannot help, a person reads the message (``kind`` ``business``)."""

    kind = "business"
    to_person = True


class RobotDataError(RobotError):
    """The case lacks a value the form map needs, or has one the target cannot hold (a character outside its
    charset, a term with no code): a person corrects or enters it (``kind`` ``data``)."""

    kind = "data"
    to_person = True


class RobotSelectorError(RobotError):
    """An element the form map names is not on a page that did load: the map or the target system changed.
    Ops fix the map (``kind`` ``selector``); the message names the field and the selector."""

    kind = "selector"


class RobotConfigError(RobotError):
    """The robot cannot run here: no browser, no or wrong credentials, an unknown robot (``kind`` ``config``
    or ``login``)."""

    kind = "config"


class JobError(GovautoError):
    """A robot job cannot be submitted, found or moved; the message names the job and what to do."""


class JobNotFoundError(JobError):
    """No job has the given id; ``govauto jobs list`` shows the ids."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no job has the id {job_id!r}; `govauto jobs list` shows the jobs and their ids")


class JobStateError(JobError):
    """The job's status does not allow the operation, e.g. cancelling a job that already finished."""

    def __init__(self, job_id: str, status: str, message: str) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id} is {status}: {message}")


class LeaseLostError(JobError):
    """The worker no longer holds the job's lease (it expired and another worker took the job, or the job was
    handed back): what it reports for that job is refused and changes nothing. Stop working on the job."""

    def __init__(self, job_id: str, worker_id: str, detail: str) -> None:
        self.job_id = job_id
        self.worker_id = worker_id
        super().__init__(f"job {job_id}: worker {worker_id} no longer holds its lease ({detail}); its result is "
                         "refused: another worker owns the job now or it was handed back")


class ExecutorLoadError(JobError):
    """An executor (or notify) path ``package.module:callable`` cannot be imported, or calling it failed."""


class StoreError(GovautoError):
    """The database cannot be opened or used. ``url`` is the database URL with its password hidden."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"database {url}: {message}")


class BrokerError(GovautoError):
    """The Celery runner's message broker (Redis, RabbitMQ) cannot be reached or used, or Celery is not installed.
    ``url`` is the broker URL with its password hidden."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"broker {url}: {message}")


class AuditError(GovautoError):
    """An audit record cannot be written or read: an action, actor or detail that does not fit (the message names
    it and says what is expected), or a connection that does not hold the write lock."""


class AuditIntegrityError(AuditError):
    """The audit chain is not intact: a record was edited, deleted or reordered, or the chain was cut.

    ``problems`` lists every problem :meth:`govauto.audit.AuditTrail.verify` found (each with ``seq``, ``id``,
    ``kind`` and ``message``), ``records`` how many records were checked.
    """

    def __init__(self, problems: Sequence[object], records: int) -> None:
        self.problems = list(problems)
        self.records = records
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the audit chain is broken ({len(self.problems)} problem(s) in {records} record(s)); "
                         f"restore the database from a backup and find out who changed it:\n{lines}")


class CaseworkError(GovautoError):
    """A case, review task or account operation was refused; the message names the case, task or user and what
    to do instead."""


class CaseNotFoundError(CaseworkError):
    """No stored case has the id (or the case has no such version)."""

    def __init__(self, case_id: str, version: int | None = None) -> None:
        self.case_id = case_id
        self.version = version
        what = f"case {case_id!r}" if version is None else f"version {version} of case {case_id!r}"
        super().__init__(f"{what} is not stored; cases are stored by intake (`govauto process`), and "
                         "CaseStore.versions(case_id) lists the versions of one")


class CaseStateError(CaseworkError):
    """The case version's state does not allow the operation, e.g. recording an outcome on a version that a
    resubmission superseded."""


class TaskNotFoundError(CaseworkError):
    """No review task has the id."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no review task has the id {task_id!r}; ReviewQueue.list() shows the tasks and their ids")


class TaskStateError(CaseworkError):
    """The task's status does not allow the operation, e.g. deciding a task that is already decided, or claiming
    one another reviewer holds."""

    def __init__(self, task_id: str, status: str, message: str) -> None:
        self.task_id = task_id
        self.status = status
        super().__init__(f"review task {task_id} is {status}: {message}")


class ReviewPermissionError(CaseworkError):
    """The user may not do this: the task belongs to another group, the action needs a supervisor, the account is
    unknown or inactive, or four-eyes forbids it (the reviewer who decided cannot confirm their own decision)."""


class AccountError(CaseworkError):
    """An account cannot be created or changed: an invalid or taken user name, an unknown role, a password that
    does not meet the policy (the password itself is never part of the message)."""


class AccountNotFoundError(AccountError):
    """No account has the user name."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"no account has the user name {username!r}; Accounts.list() shows the accounts")


class ApiTokenError(CaseworkError):
    """An API token cannot be created, found or revoked: an invalid or taken client name, an unknown token id, a
    token already revoked (the token itself is never part of the message)."""


class CalendarError(GovautoError):
    """The working-day calendar cannot answer: the date's year is not in its data (the message names the year and
    the file to extend), or a data file is malformed (the message names the file, year and entry)."""
