"""The runtime: plugins loaded once, packs compiled once, cases reviewed many times.

:func:`govauto.review` uses a default :class:`Runtime` created on first use. An application that wants its own
plugins, or a test, creates a ``Runtime`` of its own; nothing global needs poking.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from govauto.errors import (
    CaseError,
    EngineError,
    FieldProblem,
    LookupUnavailableError,
    MatterError,
    OcrEngineUnavailableError,
    PackError,
    PackNotInForceError,
    PackProblem,
    PluginError,
    UnknownMatterError,
)
from govauto.extract.facts import EXTRACTION_LISTS, extracted_paths, extraction_facts, material_files
from govauto.extract.pipeline import Extraction, Extractor
from govauto.extract.templates import DocumentType, read_document_type
from govauto.facts import COMMON_DERIVED_FACTS, DERIVED_LISTS, case_facts
from govauto.lookups import BUSINESS_NAMES, LOOKUP_KINDS
from govauto.matterfile import MATTER_FILE, MatterFile, find_declarations, read_matter
from govauto.matters import Matter
from govauto.model import CaseEnvelope, fact_paths, read_case_file, validate_case
from govauto.outcome import Decision, Finding, RuleTrace, decide
from govauto.packs import PACKS_ENV, packs_path
from govauto.plugins import make_plugin_manager
from govauto.reload import PackSignature, ReloadedPack, ReloadReport, matter_signature, pack_signature
from govauto.rules.compiler import (
    CompiledPack,
    FactSchema,
    compile_pack,
    computed_in,
    describe,
    evaluate_operand,
    item_facts,
    prepare,
)
from govauto.rules.engines import RuleEngine
from govauto.rules.pack import Pack, read_pack

if TYPE_CHECKING:
    from govauto.robots.base import Robot

DEFAULT_ENGINE = "python"
DEFAULT_OCR_ENGINE = "rapidocr"
"""Chosen by ``make bench`` (bench/bench_extract.py): the engine that meets the accuracy target on scans."""

log = logging.getLogger("govauto")
_T = TypeVar("_T")

CaseInput = CaseEnvelope | Mapping[str, Any] | Path | str


@dataclass(frozen=True)
class _MatterSource:
    """A matter.yaml in force: its signature when read (hot reload), the matter it declares and its digest."""

    path: Path
    signature: PackSignature
    matter_id: str
    digest: str


@dataclass
class PluginInfo:
    """What one plugin registered, for ``govauto plugins``."""

    name: str
    hooks: list[str] = field(default_factory=list)
    matters: list[str] = field(default_factory=list)
    rule_packs: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    rule_engines: list[str] = field(default_factory=list)
    ocr_engines: list[str] = field(default_factory=list)
    document_types: list[str] = field(default_factory=list)
    robots: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Runtime:
    """Loaded plugins and compiled packs.

    :param plugins: extra plugin objects or modules to register beside the built-ins and installed ones.
    :param load_entrypoints: load plugins installed under the ``govauto`` entry-point group.
    :param engine: the default rule engine (``python`` or ``durable``; see ``docs/engines.md``).
    :param ocr_engine: the OCR engine for scans and photos (default: ``GOVAUTO_OCR_ENGINE``, else
        ``rapidocr`` from the govauto-rapidocr plugin; ``tesseract`` is built in).
    :param lookups: data-sharing lookups to use *instead of* the ones plugins register, by kind, e.g.
        ``{"business_names": [MyRegistry()]}`` (configuration in code, and deterministic tests).
    :param packs: the packs path: directories searched for rule packs (``pack.yaml``) and matters
        (``matter.yaml``), as if a plugin registered each one (default: ``GOVAUTO_PACKS``, directories separated by
        ``:``). A pack found there replaces every version a plugin registered under the same id: that is how a
        deployment keeps and edits its own copy of a shipped pack. While the packs are hot-reloaded
        (:meth:`reload_packs`), packs and matters added under these directories are picked up too.
    """

    def __init__(self, plugins: Iterable[object] = (), load_entrypoints: bool = True,
                 engine: str = DEFAULT_ENGINE, lookups: Mapping[str, Iterable[object]] | None = None,
                 ocr_engine: str | None = None, packs: Iterable[Path | str] | None = None) -> None:
        self.ocr_engine = ocr_engine or os.environ.get("GOVAUTO_OCR_ENGINE") or DEFAULT_OCR_ENGINE
        self.packs_path: tuple[Path, ...] = tuple(Path(p) for p in packs) if packs is not None else packs_path()
        """The directories searched for packs and matters (see ``packs``)."""
        self._extra = list(plugins)
        self._lookup_overrides = {kind: list(items) for kind, items in (lookups or {}).items()}
        self._load_entrypoints = load_entrypoints
        self.default_engine = engine
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._info: dict[str, PluginInfo] = {}
        self._matters: dict[str, Matter] = {}
        self._pack_dirs: list[Path] = []
        self._path_pack_dirs: set[Path] = set()  # found on the packs path: they replace plugins' packs of their id
        self._matter_sources: dict[Path, _MatterSource] = {}  # matter.yaml files in force, by resolved path
        self._packs: dict[str, list[Pack]] | None = None
        self._read_packs: dict[Path, Pack] = {}  # every registered directory's pack as read, replaced or not
        self._pack_signatures: dict[Path, PackSignature] = {}  # as the packs in force were read (hot reload)
        self._reload_lock = threading.Lock()
        self._functions: dict[str, Callable[..., Any]] = {}
        self._lookups: dict[str, list[object]] = {}
        self._engine_factories: dict[str, Callable[[], RuleEngine]] = {}
        self._compiled: dict[tuple[str, str, Path], CompiledPack] = {}
        self._ocr_factories: dict[str, Callable[[], Any]] = {}
        self._ocr_instances: dict[str, Any] = {}
        self._type_paths: list[Path] = []
        self._types: dict[str, DocumentType] | None = None
        self._engines: dict[str, RuleEngine] = {}
        self._loaded_in: dict[str, dict[int, CompiledPack]] = {}
        self._robot_sources: list[tuple[str, object]] = []
        self._robots: dict[str, Robot] | None = None

    # ---- plugins -------------------------------------------------------------------------------------------

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy manager, with every plugin loaded and registrations collected (on first use)."""
        with self._lock:
            if self._pm is None:
                pm = make_plugin_manager(self._extra, self._load_entrypoints)
                self._collect(pm)
                self._pm = pm
            return self._pm

    def _collect(self, pm: pluggy.PluginManager) -> None:
        def each(hook_name: str, make_register: Callable[[PluginInfo], Callable[..., None]]) -> None:
            for impl in getattr(pm.hook, hook_name).get_hookimpls():
                info = self._info.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name))
                info.hooks.append(hook_name)
                impl.function(register=make_register(info))

        def matters(info: PluginInfo) -> Callable[[Matter | Path | str], None]:
            def register(matter: Matter | Path | str) -> None:
                if isinstance(matter, (str, Path)):
                    self._add_matter_file(Path(matter), info)
                    return
                if not isinstance(matter, Matter):
                    raise PluginError(f"plugin {info.name}: register() takes a govauto.Matter or the path of a "
                                      f"matter.yaml, got {matter!r}")
                if matter.id in self._matters:
                    raise PluginError(f"plugin {info.name}: matter {matter.id!r} is already registered")
                self._matters[matter.id] = matter
                info.matters.append(matter.id)
            return register

        def packs(info: PluginInfo) -> Callable[[Path], None]:
            def register(path: Path | str) -> None:
                directory = Path(path)
                if not (directory / "pack.yaml").is_file():
                    raise PluginError(f"plugin {info.name}: {directory} is not a rule pack (no pack.yaml)")
                self._pack_dirs.append(directory)
                info.rule_packs.append(str(directory))
                if (directory / MATTER_FILE).is_file():  # a pack directory may carry the matter it reviews
                    self._add_matter_file(directory / MATTER_FILE, info)
            return register

        def functions(info: PluginInfo) -> Callable[..., None]:
            def register(name: str, function: Callable[..., Any]) -> None:
                if not name.isidentifier() or not callable(function):
                    raise PluginError(f"plugin {info.name}: register(name, function) needs an identifier and a "
                                      f"callable, got {name!r}, {function!r}")
                if name in self._functions:
                    raise PluginError(f"plugin {info.name}: rule function {name!r} is already registered")
                self._functions[name] = function
                info.functions.append(name)
            return register

        def lookups(info: PluginInfo) -> Callable[[str, object], None]:
            def register(kind: str, lookup: object) -> None:
                _check_lookup(f"plugin {info.name}", kind, lookup)
                self._lookups.setdefault(kind, []).append(lookup)
                info.lookups.append(kind)
            return register

        def engines(info: PluginInfo) -> Callable[[str, Callable[[], RuleEngine]], None]:
            def register(name: str, factory: Callable[[], RuleEngine]) -> None:
                if name in self._engine_factories:
                    raise PluginError(f"plugin {info.name}: rule engine {name!r} is already registered")
                self._engine_factories[name] = factory
                info.rule_engines.append(name)
            return register

        each("govauto_register_matters", matters)
        each("govauto_register_rule_packs", packs)
        each("govauto_register_functions", functions)
        each("govauto_register_lookups", lookups)
        each("govauto_register_rule_engines", engines)

        def ocr_engines(info: PluginInfo) -> Callable[[str, Callable[[], Any]], None]:
            def register(name: str, factory: Callable[[], Any]) -> None:
                if name in self._ocr_factories:
                    raise PluginError(f"plugin {info.name}: OCR engine {name!r} is already registered")
                if not callable(factory):
                    raise PluginError(f"plugin {info.name}: register(name, factory) needs a callable factory")
                self._ocr_factories[name] = factory
                info.ocr_engines.append(name)
            return register

        def document_types(info: PluginInfo) -> Callable[[Path], None]:
            def register(path: Path | str) -> None:
                location = Path(path)
                if not location.exists():
                    raise PluginError(f"plugin {info.name}: document type path {location} does not exist")
                files = sorted(location.glob("*.y*ml")) if location.is_dir() else [location]
                self._type_paths.extend(files)
                info.document_types.extend(f.stem for f in files)
            return register

        def robots(info: PluginInfo) -> Callable[[object], None]:
            def register(robot: object) -> None:
                if isinstance(robot, (str, Path)):
                    if not Path(robot).is_file():
                        raise PluginError(f"plugin {info.name}: form map {robot} does not exist")
                    info.robots.append(Path(robot).stem)
                else:
                    info.robots.append(str(getattr(robot, "id", robot)))
                self._robot_sources.append((info.name, robot))
            return register

        each("govauto_register_ocr_engines", ocr_engines)
        each("govauto_register_document_types", document_types)
        each("govauto_register_robots", robots)
        self._collect_declared()
        for kind, items in self._lookup_overrides.items():
            for item in items:
                _check_lookup("Runtime(lookups=...)", kind, item)
            self._lookups[kind] = list(items)
        for name, plugin in pm.list_name_plugin():
            info = self._info.setdefault(name, PluginInfo(name))
            for caller in pm.get_hookcallers(plugin) or []:
                if caller.name not in info.hooks:
                    info.hooks.append(caller.name)
        if "name_taken" not in self._functions:
            self._functions["name_taken"] = self._name_taken

    def _collect_declared(self) -> None:
        """The packs path: every pack directory and matter.yaml under its directories, as if a plugin registered
        them (plugin name ``packs:<directory>``)."""
        for root in self.packs_path:
            if not root.is_dir():
                raise PluginError(f"the packs path names {root}, which is not a directory: check {PACKS_ENV} or "
                                  "govauto --packs")
            info = self._info.setdefault(f"packs:{root}", PluginInfo(f"packs:{root}"))
            directories, files = find_declarations(root)
            for file in files:
                self._add_matter_file(file, info)
            registered = {d.resolve() for d in self._pack_dirs}
            for directory in directories:
                if directory.resolve() in registered:
                    continue  # a plugin registered it already (the packs path includes a plugin's directory)
                self._pack_dirs.append(directory)
                self._path_pack_dirs.add(directory)
                info.rule_packs.append(str(directory))

    def _add_matter_file(self, path: Path, info: PluginInfo | None = None) -> Matter:
        """Read and register a matter.yaml. :raises MatterError: it is invalid. :raises PluginError: see _adopt."""
        matter = self._adopt(read_matter(path), info.name if info is not None else "")
        if info is not None and matter.id not in info.matters:
            info.matters.append(matter.id)
        return matter

    def _adopt(self, declared: MatterFile, who: str = "") -> Matter:
        """Register a declared matter; the same declaration again (this file, or an identical copy beside another
        version of the pack) is kept once.

        :raises PluginError: another declaration of the matter's id is registered (Python, or a different file).
        """
        key = declared.path.resolve()
        matter_id = declared.matter.id
        existing = self._matters.get(matter_id)
        if existing is not None:
            other = self._matter_sources.get(existing.source) if existing.source is not None else None
            if other is None or other.digest != declared.digest:
                where = f"in {existing.source}" if existing.source is not None else "in Python by a plugin"
                raise PluginError(f"{'plugin ' + who + ': ' if who else ''}{declared.path} declares matter "
                                  f"{matter_id!r}, which is already declared {where}"
                                  + (" differently: make the two files identical, or keep one"
                                     if other is not None else ": remove one of the two"))
        self._matter_sources.setdefault(key, _MatterSource(key, matter_signature(key), matter_id, declared.digest))
        if existing is not None:
            return existing
        self._matters[matter_id] = declared.matter
        return declared.matter

    def register_matter_file(self, path: Path | str) -> Matter:
        """Register the matter declared in a ``matter.yaml`` (or the directory holding one) for this runtime: a
        matter under development. ``govauto pack new``, ``pack check`` and ``pack test`` use it for the
        matter.yaml beside a pack whose matter is not installed. Registering the same declaration again returns
        the matter already registered.

        :raises MatterError: the file is invalid (every problem, with file and line).
        :raises PluginError: another declaration of the same matter id is registered.
        """
        with self._lock:
            self.plugin_manager  # noqa: B018
            return self._adopt(read_matter(path))

    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin and what it registered."""
        self.plugin_manager  # noqa: B018 - loads the plugins
        return sorted(self._info.values(), key=lambda i: (not i.name.startswith("govauto."), i.name))

    @property
    def matters(self) -> dict[str, Matter]:
        """Registered matters by id."""
        self.plugin_manager  # noqa: B018
        return dict(self._matters)

    @property
    def engines(self) -> list[str]:
        """Names of the registered rule engines."""
        self.plugin_manager  # noqa: B018
        return sorted(self._engine_factories)

    @property
    def functions(self) -> dict[str, Callable[..., Any]]:
        """Rule functions by name."""
        self.plugin_manager  # noqa: B018
        return dict(self._functions)

    def _name_taken(self, name: Any, division: Any) -> bool | None:
        """Whether any connected business-name registry has ``name`` in ``division``; ``None`` if unknown."""
        registries = self._lookups.get(BUSINESS_NAMES, [])
        if not registries or not isinstance(name, str) or not name or not isinstance(division, str):
            return None
        unknown = False
        for registry in registries:
            try:
                if registry.name_taken(name, division):  # type: ignore[attr-defined]
                    return True
            except LookupUnavailableError as exc:
                log.warning("business-name registry %r could not answer: %s", registry, exc)
                unknown = True
        return None if unknown else False

    # ---- robots --------------------------------------------------------------------------------------------

    def robots(self) -> dict[str, Robot]:
        """Every registered robot by id, its form map read and its facts checked against its matter (once).

        :raises FormMapError: with every problem of every invalid map (file and line of each).
        :raises PluginError: when a plugin registered something that is not a form map or a Robot, or an id twice.
        """
        from govauto.robots.registry import load_robots

        with self._lock:
            self.plugin_manager  # noqa: B018
            if self._robots is None:
                self._robots = load_robots(self._robot_sources, self._matters, self.schema_for)
            return self._robots

    def robot(self, robot_id: str) -> Robot:
        """The robot with this id.

        :raises RobotConfigError: when no plugin registered it (the message lists those that did).
        """
        from govauto.errors import RobotConfigError

        robots = self.robots()
        if robot_id not in robots:
            available = ", ".join(sorted(robots)) or "none"
            raise RobotConfigError(f"no robot {robot_id!r} is registered (available: {available})")
        return robots[robot_id]

    def robot_for(self, matter_id: str) -> Robot | None:
        """The robot that enters approved cases of a matter: the one the matter names, else the only one
        registered for it, else ``None``."""
        matter = self._matter(matter_id)
        if matter.robot is not None:
            return self.robot(matter.robot)
        candidates = [r for r in self.robots().values() if r.matter == matter_id]
        return candidates[0] if len(candidates) == 1 else None

    # ---- packs ---------------------------------------------------------------------------------------------

    def packs(self) -> dict[str, Pack]:
        """Every registered pack, read (not compiled), by id: the latest version of each (the one with the latest
        ``effective_from``; :meth:`pack_versions` lists them all)."""
        return {pack_id: versions[-1] for pack_id, versions in self._pack_registry().items()}

    def pack_versions(self, pack_id: str) -> list[Pack]:
        """Every registered version of pack ``pack_id``, oldest ``effective_from`` first (empty when none)."""
        return list(self._pack_registry().get(pack_id, []))

    def _pack_registry(self) -> dict[str, list[Pack]]:
        with self._lock:
            self.plugin_manager  # noqa: B018
            if self._packs is None:
                signatures = {d: pack_signature(d) for d in self._pack_dirs}  # before reading: a change while
                read = [read_pack(d) for d in self._pack_dirs]                # reading is seen next time
                self._packs = _by_version(_installed(read, self._path_pack_dirs))
                self._read_packs = {p.path: p for p in read}
                self._pack_signatures = signatures
            return self._packs

    def schema_for(self, matter_id: str) -> FactSchema:
        """The facts a matter's cases provide (contract fields and derived facts)."""
        return self._schema(self._matter(matter_id))

    def _schema(self, matter: Matter) -> FactSchema:
        paths, lists = fact_paths(matter.case_model)
        derived = {**COMMON_DERIVED_FACTS, **matter.derived_facts}
        lists_out = {k: frozenset(v) for k, v in lists.items()}
        for name in derived:
            if name in DERIVED_LISTS:
                lists_out.setdefault(name, frozenset({""}))
            else:
                paths.add(name)
        lists_out.update(EXTRACTION_LISTS)
        paths |= extracted_paths(self.document_types().values())
        return FactSchema(frozenset(paths), lists_out)

    # ---- hot reload of packs (govauto.reload) ---------------------------------------------------------------

    def pack_signatures(self) -> dict[Path, PackSignature]:
        """What hot reload watches, read from disk now: the :func:`~govauto.reload.pack_signature` of every
        registered pack directory and of every new one on the packs path, and the signature of every matter.yaml
        in force or new on the packs path (empty before the packs were first read: nothing is in force yet)."""
        with self._lock:
            if self._packs is None:
                return {}
            directories = list(self._pack_dirs)
            files = list(self._matter_sources)
        new_dirs, new_files = self._discover(directories, files)
        signatures = {d: pack_signature(d) for d in [*directories, *new_dirs]}
        signatures.update({f: matter_signature(f) for f in [*files, *new_files]})
        return signatures

    def _discover(self, directories: Iterable[Path], files: Iterable[Path]) -> tuple[list[Path], list[Path]]:
        """Pack directories and matter.yaml files on the packs path that are not among those given."""
        known_dirs = {d.resolve() for d in directories}
        known_files = set(files)
        new_dirs: list[Path] = []
        new_files: list[Path] = []
        for root in self.packs_path:
            if not root.is_dir():
                continue  # gone: the registered directories under it show up as changed, and are refused
            found_dirs, found_files = find_declarations(root)
            for directory in found_dirs:
                if directory.resolve() not in known_dirs:
                    known_dirs.add(directory.resolve())
                    new_dirs.append(directory)
            for file in found_files:
                if file.resolve() not in known_files:
                    known_files.add(file.resolve())
                    new_files.append(file.resolve())
        return new_dirs, new_files

    def reload_packs(self) -> ReloadReport:
        """Re-read the packs and matters whose files changed, and put them in force if every one is valid.

        What is watched: the registered pack directories (``pack.yaml`` and ``rules/*.yaml``), the matter.yaml files
        in force, and the packs path (:attr:`packs_path`), where a pack directory or matter.yaml that appears is
        read as a change. A changed matter recompiles every pack of that matter (its contract is what rules read).

        The changes are read and compiled off to the side (reviews go on with what is in force), then swapped in at
        once under the runtime's lock: a review sees either every old or every new version. When anything changed
        is invalid (a pack does not read or compile, its matter is unknown, its period overlaps another version's,
        its id and version are another directory's; a matter.yaml is invalid, declares a matter another file or a
        plugin declares differently, or changed its id), nothing changes: the report lists every problem with its
        file and line, and the previous versions stay in force. Packs whose files and matter did not change keep
        their compiled form. Engines load a reloaded pack on its first review (a new object).

        Directories a plugin registers later need a new :class:`Runtime`. Packs not read yet (no review so far) are
        left to their first use.
        """
        with self._reload_lock:
            with self._lock:
                if self._packs is None:
                    return ReloadReport()
                directories = list(self._pack_dirs)
                path_dirs = set(self._path_pack_dirs)
                before = dict(self._pack_signatures)
                read = dict(self._read_packs)
                matters = dict(self._matters)
                sources = dict(self._matter_sources)
            new_dirs, new_files = self._discover(directories, sources)
            all_dirs = [*directories, *new_dirs]
            now = {d: pack_signature(d) for d in all_dirs}
            changed = [d for d in all_dirs if now[d] != before.get(d)]
            files_now = {f: matter_signature(f) for f in [*sources, *new_files]}
            changed_files = [f for f, signature in files_now.items() if f not in sources
                             or signature != sources[f].signature]
            report = ReloadReport(unchanged=[d for d in all_dirs if d not in changed], changed=[*changed,
                                                                                                 *changed_files])
            if not changed and not changed_files:
                return report
            new_matters, new_sources, changed_matters = self._reload_matters(changed_files, files_now, matters,
                                                                             sources, report)
            if report.problems:
                return report
            fresh: dict[Path, CompiledPack] = {}
            for directory in all_dirs:
                recompile = directory in changed or (directory in read and read[directory].matter in changed_matters)
                if not recompile:
                    continue
                try:
                    pack = read_pack(directory) if directory in changed else read[directory]
                    fresh[directory] = self._compile_aside(pack, new_matters)
                except PackError as error:
                    report.problems.extend(error.problems)
            if report.problems:
                return report
            packs = [fresh[d].pack if d in fresh else read[d] for d in all_dirs]
            new_path_dirs = path_dirs | set(new_dirs)
            try:
                registry = _by_version(_installed(packs, new_path_dirs))
            except PackError as error:
                report.problems.extend(error.problems)
                return report
            except PluginError as error:  # the same id and version in two directories
                report.problems.extend(PackProblem(str(d / "pack.yaml"), None, str(error)) for d in fresh)
                return report
            with self._lock:
                compiled = {key: value for key, value in self._compiled.items() if key[2] not in fresh}
                compiled.update({(c.pack.id, c.pack.version, c.pack.path): c for c in fresh.values()})
                self._matters = new_matters
                self._matter_sources = new_sources
                self._packs = registry
                self._read_packs = {p.path: p for p in packs}
                self._compiled = compiled
                self._pack_dirs = all_dirs
                self._path_pack_dirs = new_path_dirs
                self._pack_signatures = {**before, **{d: now[d] for d in changed}}
                self._note_discovered(new_dirs, changed_matters)
            report.reloaded = [ReloadedPack(c.pack.id, c.pack.version, d) for d, c in fresh.items()]
            report.matters = sorted(changed_matters)
            return report

    def _reload_matters(self, changed_files: list[Path], files_now: Mapping[Path, PackSignature],
                        matters: Mapping[str, Matter], sources: Mapping[Path, _MatterSource],
                        report: ReloadReport) -> tuple[dict[str, Matter], dict[Path, _MatterSource], set[str]]:
        """Read the changed and new matter.yaml files: the matters after the change, their sources, and the ids of
        the matters whose declaration changed (their packs are recompiled). Problems go to ``report``."""
        new_matters = dict(matters)
        new_sources = dict(sources)
        declared: dict[Path, MatterFile] = {}
        for file in changed_files:
            try:
                declaration = read_matter(file)
            except MatterError as error:
                report.problems.extend(error.problems)
                continue
            old = sources.get(file)
            matter_id = declaration.matter.id
            if old is not None and old.matter_id != matter_id:
                report.problems.append(PackProblem(str(file), None, f"the matter's id changed from {old.matter_id!r} "
                                                   f"to {matter_id!r}: cases and packs name a matter by its id, so it "
                                                   "cannot change while govauto runs; restart it to rename a matter"))
                continue
            declared[file] = declaration
            new_sources[file] = _MatterSource(file, files_now[file], matter_id, declaration.digest)
        changed: set[str] = set()
        for matter_id in sorted({d.matter.id for d in declared.values()}):
            existing = matters.get(matter_id)
            if existing is not None and existing.source is None:
                files = ", ".join(str(f) for f, d in declared.items() if d.matter.id == matter_id)
                report.problems.append(PackProblem(files, None, f"matter {matter_id!r} is defined in Python by a "
                                                   "plugin; a matter.yaml cannot declare it again: remove the file"))
                continue
            group = sorted(s.path for s in new_sources.values() if s.matter_id == matter_id)
            if len({new_sources[f].digest for f in group}) > 1:
                report.problems.append(PackProblem(str(group[0]), None, f"matter {matter_id!r} is declared "
                                                   f"differently in {' and '.join(str(f) for f in group)}: make the "
                                                   "files identical, or keep one"))
                continue
            old_source = sources.get(existing.source) if existing is not None and existing.source is not None else None
            old_digest = old_source.digest if old_source is not None else None
            if old_digest == new_sources[group[0]].digest:
                continue  # comments or layout changed: the matter in force stays as it is
            new_matters[matter_id] = next(d.matter for d in declared.values() if d.matter.id == matter_id)
            changed.add(matter_id)
        return new_matters, new_sources, changed

    def _note_discovered(self, new_dirs: list[Path], matters: set[str]) -> None:
        """``plugins()`` lists what the packs path added while running."""
        for directory in new_dirs:
            for root in self.packs_path:
                if directory.is_relative_to(root):
                    self._info.setdefault(f"packs:{root}", PluginInfo(f"packs:{root}")).rule_packs.append(
                        str(directory))
                    break
        for matter_id in matters:
            source = self._matters[matter_id].source
            for root in self.packs_path:
                if source is not None and source.is_relative_to(root.resolve()):
                    info = self._info.setdefault(f"packs:{root}", PluginInfo(f"packs:{root}"))
                    if matter_id not in info.matters:
                        info.matters.append(matter_id)
                    break

    def _compile_aside(self, pack: Pack, matters: Mapping[str, Matter] | None = None) -> CompiledPack:
        """Compile ``pack`` without caching it (:meth:`compile` caches registered packs), against ``matters``
        (default: the registered ones)."""
        self.plugin_manager  # noqa: B018
        matter = (self._matters if matters is None else matters).get(pack.matter)
        if matter is None:
            known = ", ".join(sorted(self._matters if matters is None else matters)) or "none"
            raise PackError([PackProblem(str(pack.path / "pack.yaml"), None,
                                         f"matter {pack.matter!r} is not registered by any plugin (known: {known}); "
                                         f"declare it in a {MATTER_FILE} beside pack.yaml (govauto matter new), or "
                                         "install the plugin that registers it")])
        compiled, problems = compile_pack(pack, self._schema(matter), self._functions)
        if problems:
            raise PackError(problems)
        return compiled

    # ---- extraction ----------------------------------------------------------------------------------------

    def document_types(self) -> dict[str, DocumentType]:
        """Every registered document type, by id (templates are read once).

        :raises PackError: when a template is invalid (file, line and field of each problem).
        """
        with self._lock:
            self.plugin_manager  # noqa: B018
            if self._types is None:
                self._types = _by_unique_id("document type", [read_document_type(p) for p in self._type_paths],
                                            lambda t: t.file)
            return self._types

    @property
    def ocr_engines(self) -> list[str]:
        """Names of the registered OCR engines."""
        self.plugin_manager  # noqa: B018
        return sorted(self._ocr_factories)

    def extractor(self, ocr_engine: str | None = None, cache_dir: Path | None = None) -> Extractor:
        """An :class:`~govauto.extract.pipeline.Extractor` with the registered document types.

        :param ocr_engine: the OCR engine for scans and photos (default: ``GOVAUTO_OCR_ENGINE`` or the
            runtime's ``ocr_engine``).
        :param cache_dir: keep results by file hash here (``None``: no cache).
        An engine that is not installed is reported when a scan first needs it (text-layer PDFs need none).
        """
        name = ocr_engine or self.ocr_engine
        self.plugin_manager  # noqa: B018

        def shared_engine() -> Any:
            # one engine instance per runtime: loading a model (RapidOCR) must not happen once per case
            with self._lock:
                if name not in self._ocr_instances:
                    factory = self._ocr_factories.get(name)
                    if factory is None:
                        raise OcrEngineUnavailableError(
                            f"OCR engine {name!r} is not installed (installed: "
                            f"{', '.join(self.ocr_engines) or 'none'}); "
                            + ("install it with `pip install govauto-rapidocr` (make does), or set "
                               "GOVAUTO_OCR_ENGINE=tesseract" if name == "rapidocr"
                               else "set GOVAUTO_OCR_ENGINE to an installed engine"))
                    self._ocr_instances[name] = factory()
                return self._ocr_instances[name]

        return Extractor(self.document_types(), shared_engine, name, cache_dir=cache_dir)

    def extract_file(self, path: Path | str, doc_type: str | None = None, material_kind: str | None = None,
                     ocr_engine: str | None = None) -> Extraction:
        """Read one material file: its document type, and each field with confidence and source.

        A material that cannot be read is reported in the result (``error``), not raised.
        """
        return self.extractor(ocr_engine).extract(path, material_kind, doc_type)

    def extract_case(self, case: CaseEnvelope, base_dir: Path | str = ".", ocr_engine: str | None = None,
                     cache_dir: Path | None = None) -> list[Extraction]:
        """Read every material of ``case`` given as a file (paths relative to ``base_dir``)."""
        files = material_files(case.materials, Path(base_dir))
        if not files:
            return []
        extractor = self.extractor(ocr_engine, cache_dir)
        return [extractor.extract(path, kind) for kind, path in files]

    def compile(self, pack: Pack | Path | str) -> CompiledPack:
        """Compile a pack (a registered one is compiled once and cached).

        A pack directory may carry the matter it reviews, in a ``matter.yaml`` beside ``pack.yaml``: when that
        matter is not registered, it is registered with :meth:`register_matter_file` first (a matter under
        development).

        :raises PackError: with every problem found: file, line and rule id (the problems of the matter.yaml
            beside the pack too).
        """
        if not isinstance(pack, Pack):
            pack = read_pack(pack)
        key = (pack.id, pack.version, pack.path)
        with self._lock:
            cached = self._compiled.get(key)
            if cached is not None:
                return cached
            self._matter_beside(pack)
            compiled = self._compile_aside(pack)
            if any(p.version == pack.version and p.path == pack.path for p in self.pack_versions(pack.id)):
                self._compiled[key] = compiled
            return compiled

    def _matter_beside(self, pack: Pack) -> None:
        """Register the matter.yaml beside ``pack`` when its matter is not registered yet.

        :raises PackError: the file is invalid, declares another matter than the pack reviews, or declares it
            differently from the matter registered under that id.
        """
        file = pack.path / MATTER_FILE
        if not file.is_file():
            return
        self.plugin_manager  # noqa: B018
        registered = self._matters.get(pack.matter)
        if registered is not None and registered.source == file.resolve():
            return
        try:
            declared = read_matter(file)
        except MatterError as error:
            raise PackError(error.problems) from None
        if declared.matter.id != pack.matter:
            raise PackError([PackProblem(str(file), None, f"declares matter {declared.matter.id!r}, but pack.yaml "
                                                          f"says the pack reviews {pack.matter!r}: make them agree")])
        try:
            self._adopt(declared)
        except PluginError as error:
            raise PackError([PackProblem(str(file), None, f"{error}; the pack is checked against the registered "
                                                          "matter")]) from None

    def pack_for(self, matter_id: str, on: dt.date | None = None) -> CompiledPack:
        """The compiled pack that reviews ``matter_id``: the version in force on ``on`` (default: the latest
        version, whatever its dates). Each version is compiled once.

        :raises PackNotInForceError: when no installed version is in force on ``on`` (the message lists them).
        """
        if on is None:
            return self.compile(self._matter_pack_versions(matter_id)[-1])
        return self._pack_in_force(matter_id, on, "", f"on {on}")

    def _matter_pack_versions(self, matter_id: str) -> list[Pack]:
        matter = self._matter(matter_id)
        versions = self.pack_versions(matter.pack)
        if not versions:
            raise PluginError(f"matter {matter_id!r} is reviewed by pack {matter.pack!r}, which no plugin registered")
        return versions

    def _pack_in_force(self, matter_id: str, day: dt.date, before: str, when: str, after: str = "") -> CompiledPack:
        versions = self._matter_pack_versions(matter_id)
        for pack in versions:
            if _in_force(pack, day):
                return self.compile(pack)
        installed = "; ".join(f"{p.version} in force {_period(p)} ({p.path})" for p in versions)
        raise PackNotInForceError(f"{before}no version of rule pack {versions[0].id} was in force {when} "
                                  f"(installed: {installed}){after}")

    def _matter(self, matter_id: str) -> Matter:
        matters = self.matters
        if matter_id not in matters:
            raise UnknownMatterError(f"no installed plugin handles matter {matter_id!r} (installed: "
                                     f"{', '.join(sorted(matters)) or 'none'}); see `govauto plugins`")
        return matters[matter_id]

    def engine(self, name: str | None = None) -> RuleEngine:
        """The engine instance called ``name`` (the runtime's default when ``None``)."""
        name = name or self.default_engine
        with self._lock:
            if name not in self._engines:
                self.plugin_manager  # noqa: B018
                if name not in self._engine_factories:
                    raise EngineError(f"unknown rule engine {name!r} (available: {', '.join(self.engines)})")
                self._engines[name] = self._engine_factories[name]()
            return self._engines[name]

    # ---- cases ---------------------------------------------------------------------------------------------

    def load_case(self, case: CaseInput) -> CaseEnvelope:
        """Validate a case given as a mapping, a path to a JSON/YAML file, or an already validated case.

        :raises CaseError: listing every field that does not fit the contract, by path (an unknown matter is
            reported on the ``matter`` field).
        """
        if isinstance(case, CaseEnvelope):
            return case
        source: str | None = None
        if isinstance(case, (str, Path)):
            source = str(case)
            data: Mapping[str, Any] = read_case_file(case)
        else:
            data = case
        matter = data.get("matter")
        if not isinstance(matter, str) or not matter:
            raise CaseError([FieldProblem("matter", "is required: the matter id, e.g. sole_proprietor.establish")],
                            source)
        if matter not in self.matters:
            raise CaseError([FieldProblem("matter", f"unknown matter {matter!r} (installed: "
                                          f"{', '.join(sorted(self._matters)) or 'none'})")], source)
        return validate_case(data, self._matters[matter].case_model, source)

    def facts(self, case: CaseEnvelope, extractions: Iterable[Extraction] = ()) -> dict[str, Any]:
        """The flat, enriched facts of a validated case, with what was read from its materials."""
        facts = case_facts(case)
        matter = self._matters.get(case.matter)
        facts.update(extraction_facts(extractions, facts, matter.confirmations if matter else None))
        self.plugin_manager.hook.govauto_enrich_facts(case=case, facts=facts)
        return facts

    def review(self, case: CaseInput, engine: str | None = None, explain: bool = False,
               pack: CompiledPack | None = None, extract: bool = True, base_dir: Path | str | None = None,
               cache_dir: Path | None = None, ocr_engine: str | None = None,
               extractions: Sequence[Extraction] | None = None, check_dates: bool = True) -> Decision:
        """Review one case and return the decision with every finding (一次性告知).

        :param case: a mapping as in the case contract, a path to a JSON/YAML case file, or a validated case.
        :param engine: the rule engine to use (default: the runtime's).
        :param explain: also return every rule evaluated with its inputs and result (``Decision.trace``).
        :param pack: review with this compiled pack instead of the version registered for the case's matter that
            was in force on the case's submitted date (``govauto pack test`` uses it for packs under development).
        :param extract: read the case's material files first (default), so rules can compare them.
        :param base_dir: where relative material paths start (default: the case file's directory, or the
            current directory for a mapping).
        :param cache_dir: keep extraction results by file hash here, so a second review does not OCR again
            (default for a case file: ``.govauto-cache`` beside it; for a mapping: no cache).
        :param ocr_engine: the OCR engine for scans and photos (default: the runtime's).
        :param extractions: what was already read from the case's materials (:meth:`extract_case`): used instead
            of reading them again (a pipeline that keeps the extractions passes them).
        :param check_dates: with an explicit ``pack``, ``False`` reviews the case even when it was submitted outside
            the pack's effective period (``govauto pack diff`` compares versions this way); never for real cases.
        :raises CaseError: when the case does not fit the contract.
        :raises PackNotInForceError: when no version of the matter's pack (or not ``pack``) was in force on the
            China date of ``submitted_at``.
        """
        if base_dir is None:
            base_dir = Path(case).parent if isinstance(case, (str, Path)) else Path(".")
            if cache_dir is None and isinstance(case, (str, Path)):
                cache_dir = Path(base_dir) / ".govauto-cache"
        valid = self.load_case(case)
        if pack is None:
            pack = self._pack_in_force(valid.matter, valid.submitted_on,
                                       f"case {valid.case_id} was submitted on {valid.submitted_on} (China date), "
                                       "but ", "on that day", ": no rules of this matter were in force on that "
                                       "day; check submitted_at")
        elif pack.pack.matter != valid.matter:
            raise CaseError([FieldProblem("matter", f"pack {pack.id} reviews {pack.pack.matter!r}, not "
                                          f"{valid.matter!r}")])
        if check_dates:
            _check_in_force(pack, valid)
        rule_engine = self.engine(engine)
        with self._lock:
            loaded = self._loaded_in.setdefault(rule_engine.name, {})
            if loaded.get(id(pack)) is not pack:  # the value keeps the pack alive, so its id stays unique
                rule_engine.load(pack)
                loaded[id(pack)] = pack
        if extractions is None:
            extractions = self.extract_case(valid, base_dir, ocr_engine, cache_dir) if extract else []
        facts = self.facts(valid, extractions)
        prepared = prepare(pack, facts)
        matches = sorted(set(rule_engine.evaluate(pack, prepared)), key=lambda m: (m[0], -1 if m[1] is None else m[1]))
        findings = tuple(_finding(pack, rule_index, item, facts) for rule_index, item in matches)
        trace = _trace(pack, prepared, set(matches), facts) if explain else None
        decision = Decision(valid.case_id, valid.matter, pack.id, pack.version, decide(findings), findings,
                            rule_engine.name, trace)
        self.plugin_manager.hook.govauto_decision_made(case=valid, decision=decision)
        return decision


def _by_unique_id(kind: str, items: list[_T], where: Callable[[_T], str]) -> dict[str, _T]:
    """``items`` by their ``id``; the same id registered twice is a :class:`PluginError` naming both places."""
    out: dict[str, _T] = {}
    for item in items:
        item_id: str = getattr(item, "id")  # noqa: B009 - Pack and DocumentType share no base class
        if item_id in out:
            raise PluginError(f"{kind} {item_id!r} is registered twice: {where(out[item_id])} and {where(item)}")
        out[item_id] = item
    return out


def _installed(packs: list[Pack], path_dirs: set[Path]) -> list[Pack]:
    """The packs in force: a pack found on the packs path replaces every version a plugin registered under its id."""
    from_path = {p.id for p in packs if p.path in path_dirs}
    replaced = [p for p in packs if p.path not in path_dirs and p.id in from_path]
    for pack in replaced:
        log.info("rule pack %s version %s (%s) is replaced by the one on the packs path", pack.id, pack.version,
                 pack.path)
    gone = {id(p) for p in replaced}
    return [p for p in packs if id(p) not in gone]


def _by_version(packs: list[Pack]) -> dict[str, list[Pack]]:
    """Packs by id, each id's versions oldest ``effective_from`` first.

    :raises PluginError: when the same id and version is registered twice (naming both directories).
    :raises PackError: when two versions of one pack are in force on the same day (naming both files and the days).
    """
    out: dict[str, list[Pack]] = {}
    problems: list[PackProblem] = []
    for pack in packs:
        versions = out.setdefault(pack.id, [])
        for other in versions:
            if other.version == pack.version:
                raise PluginError(f"rule pack {pack.id!r} version {pack.version} is registered twice: {other.path} "
                                  f"and {pack.path}")
        for other in versions:
            start = max(other.effective_from or dt.date.min, pack.effective_from or dt.date.min)
            end = min(other.effective_until or dt.date.max, pack.effective_until or dt.date.max)
            if start <= end:
                days = (f"from {'the beginning' if start == dt.date.min else start} to "
                        f"{'further notice' if end == dt.date.max else end}")
                problems.append(PackProblem(
                    str(pack.path / "pack.yaml"), None,
                    f"rule pack {pack.id} version {pack.version} ({_period(pack)}) and version {other.version} in "
                    f"{other.path / 'pack.yaml'} ({_period(other)}) are both in force {days}: give each version an "
                    "effective period of its own (effective_until of the older one the day before effective_from "
                    "of the newer)"))
        versions.append(pack)
    if problems:
        raise PackError(problems)
    for versions in out.values():
        versions.sort(key=lambda p: p.effective_from or dt.date.min)
    return out


def _in_force(pack: Pack, day: dt.date) -> bool:
    return not ((pack.effective_from and day < pack.effective_from)
                or (pack.effective_until and day > pack.effective_until))


def _period(pack: Pack) -> str:
    return f"from {pack.effective_from or 'the beginning'} to {pack.effective_until or 'further notice'}"


def _check_lookup(who: str, kind: str, lookup: object) -> None:
    protocol = LOOKUP_KINDS.get(kind)
    if protocol is None:
        raise PluginError(f"{who}: unknown lookup kind {kind!r} (known: {', '.join(sorted(LOOKUP_KINDS))})")
    if not isinstance(lookup, protocol):
        raise PluginError(f"{who}: a {kind!r} lookup must implement {protocol.__name__}, got {lookup!r}")


def _check_in_force(pack: CompiledPack, case: CaseEnvelope) -> None:
    if not _in_force(pack.pack, case.submitted_on):
        raise PackNotInForceError(
            f"case {case.case_id} was submitted on {case.submitted_on} (China date), but rule pack {pack.id} "
            f"{pack.version} is in force {_period(pack.pack)}: no rules of this matter were in force on that day; "
            "check submitted_at")


def _view(pack: CompiledPack, rule_index: int, item: int | None, facts: Mapping[str, Any]) -> Mapping[str, Any]:
    scope = pack.compiled[rule_index].scope
    if item is None:
        return facts
    return {**facts, **item_facts(facts[scope][item])}


def _display(scope: str, path: str, item: int | None) -> str:
    if item is None:
        return path
    if path == "item":
        return f"{scope}[{item}]"
    if path.startswith("item."):
        return f"{scope}[{item}].{path[5:]}"
    return path


def _finding(pack: CompiledPack, rule_index: int, item: int | None, facts: Mapping[str, Any]) -> Finding:
    rule = pack.rules[rule_index]
    compiled = pack.compiled[rule_index]
    view = _view(pack, rule_index, item, facts)
    inputs = {_display(compiled.scope, path, item): view.get(path) for path, _ in compiled.inputs}
    message = _render(pack, rule_index, view)
    return Finding(rule.id, rule.outcome, message, rule.basis, inputs)  # type: ignore[arg-type]


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _render(pack: CompiledPack, rule_index: int, view: Mapping[str, Any]) -> str:
    rule = pack.rules[rule_index]
    lets = pack.lets[rule_index]

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in lets:
            scope = pack.scopes[pack.compiled[rule_index].scope]
            key = lets[name]
            operand = scope.computed.get(key)
            raw = evaluate_operand(pack.functions, operand, view) if operand is not None else view.get(
                scope.reads.get(key, name))
        else:
            raw = view.get(name)
        return _text(raw)

    return _PLACEHOLDER.sub(value, rule.message)


def _text(value: Any) -> str:
    if value is None:
        return "（未填写）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trace(pack: CompiledPack, prepared: Mapping[str, list[tuple[int | None, dict[str, Any]]]],
           fired: set[tuple[int, int | None]], facts: Mapping[str, Any]) -> tuple[RuleTrace, ...]:
    out: list[RuleTrace] = []
    for compiled in pack.compiled:
        computed = computed_in(compiled.condition)
        for item, fact in prepared.get(compiled.scope, []):
            view = _view(pack, compiled.index, item, facts)
            inputs = {_display(compiled.scope, p, item): view.get(p) for p, _ in compiled.inputs}
            for node in computed:
                inputs[describe(node.call)] = fact.get(node.key)
            out.append(RuleTrace(compiled.id, (compiled.index, item) in fired, inputs, item))
    return tuple(out)
