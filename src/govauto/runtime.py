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
from govauto.matters import Matter
from govauto.model import CaseEnvelope, fact_paths, read_case_file, validate_case
from govauto.outcome import Decision, Finding, RuleTrace, decide
from govauto.plugins import make_plugin_manager
from govauto.reload import PackSignature, ReloadedPack, ReloadReport, pack_signature
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
    """

    def __init__(self, plugins: Iterable[object] = (), load_entrypoints: bool = True,
                 engine: str = DEFAULT_ENGINE, lookups: Mapping[str, Iterable[object]] | None = None,
                 ocr_engine: str | None = None) -> None:
        self.ocr_engine = ocr_engine or os.environ.get("GOVAUTO_OCR_ENGINE") or DEFAULT_OCR_ENGINE
        self._extra = list(plugins)
        self._lookup_overrides = {kind: list(items) for kind, items in (lookups or {}).items()}
        self._load_entrypoints = load_entrypoints
        self.default_engine = engine
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._info: dict[str, PluginInfo] = {}
        self._matters: dict[str, Matter] = {}
        self._pack_dirs: list[Path] = []
        self._packs: dict[str, list[Pack]] | None = None
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

        def matters(info: PluginInfo) -> Callable[[Matter], None]:
            def register(matter: Matter) -> None:
                if not isinstance(matter, Matter):
                    raise PluginError(f"plugin {info.name}: register() takes a govauto.Matter, got {matter!r}")
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
                self._packs = _by_version([read_pack(d) for d in self._pack_dirs])  # reading is seen next time
                self._pack_signatures = signatures
            return self._packs

    def schema_for(self, matter_id: str) -> FactSchema:
        """The facts a matter's cases provide (contract fields and derived facts)."""
        matter = self._matter(matter_id)
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
        """The current :func:`~govauto.reload.pack_signature` of every registered pack directory (read from disk
        now; empty before the packs were first read: nothing is in force to reload yet)."""
        with self._lock:
            if self._packs is None:
                return {}
            directories = list(self._pack_dirs)
        return {d: pack_signature(d) for d in directories}

    def reload_packs(self) -> ReloadReport:
        """Re-read the registered packs whose files changed, and put them in force if every one is valid.

        The changed packs are read and compiled off to the side (reviews go on with the versions in force), then
        swapped in at once under the runtime's lock: a review sees either every old or every new version. When
        any changed pack is invalid (it does not read or compile, its matter is unknown, its period overlaps
        another version's, or its id and version are another directory's), nothing changes: the report lists
        every problem with its file and line, and the previous versions stay in force. Packs whose files did not
        change keep their compiled form. Engines load a reloaded pack on its first review (a new object).

        Only the directories plugins registered are watched: a directory registered later needs a new
        :class:`Runtime`. Packs not read yet (no review so far) are left to their first use.
        """
        with self._reload_lock:
            with self._lock:
                if self._packs is None:
                    return ReloadReport()
                directories = list(self._pack_dirs)
                before = dict(self._pack_signatures)
                in_force = {p.path: p for versions in self._packs.values() for p in versions}
            now = {d: pack_signature(d) for d in directories}
            changed = [d for d in directories if now[d] != before.get(d)]
            report = ReloadReport(unchanged=[d for d in directories if d not in changed], changed=changed)
            if not changed:
                return report
            fresh: dict[Path, CompiledPack] = {}
            for directory in changed:
                try:
                    fresh[directory] = self._compile_aside(read_pack(directory))
                except PackError as error:
                    report.problems.extend(error.problems)
            if report.problems:
                return report
            packs = [fresh[d].pack if d in fresh else in_force[d] for d in directories]
            try:
                registry = _by_version(packs)
            except PackError as error:
                report.problems.extend(error.problems)
                return report
            except PluginError as error:  # the same id and version in two directories
                report.problems.extend(PackProblem(str(d / "pack.yaml"), None, str(error)) for d in fresh)
                return report
            with self._lock:
                compiled = {key: value for key, value in self._compiled.items() if key[2] not in fresh}
                compiled.update({(c.pack.id, c.pack.version, c.pack.path): c for c in fresh.values()})
                self._packs = registry
                self._compiled = compiled
                self._pack_signatures = {**before, **{d: now[d] for d in changed}}
            report.reloaded = [ReloadedPack(c.pack.id, c.pack.version, d) for d, c in fresh.items()]
            return report

    def _compile_aside(self, pack: Pack) -> CompiledPack:
        """Compile ``pack`` without caching it (:meth:`compile` caches registered packs)."""
        if pack.matter not in self.matters:
            raise PackError([PackProblem(str(pack.path / "pack.yaml"), None,
                                         f"matter {pack.matter!r} is not registered by any plugin (known: "
                                         f"{', '.join(sorted(self._matters)) or 'none'})")])
        compiled, problems = compile_pack(pack, self.schema_for(pack.matter), self._functions)
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

        :raises PackError: with every problem found: file, line and rule id.
        """
        if not isinstance(pack, Pack):
            pack = read_pack(pack)
        key = (pack.id, pack.version, pack.path)
        with self._lock:
            cached = self._compiled.get(key)
            if cached is not None:
                return cached
            compiled = self._compile_aside(pack)
            if any(p.version == pack.version and p.path == pack.path for p in self.pack_versions(pack.id)):
                self._compiled[key] = compiled
            return compiled

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
