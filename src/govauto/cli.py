"""The ``govauto`` command line.

Exit codes: 0 when every case got a decision (whatever it is) or a check passed; 1 when a pack is invalid, a pack
test failed or a review could not be made; 2 when a case does not fit its contract or an option is wrong (an
unknown engine or matter).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from govauto.audit_cli import audit_app
from govauto.casework.cli import tasks_app
from govauto.errors import (
    CaseError,
    GovautoError,
    MatterError,
    PackError,
    PackNotInForceError,
    PluginError,
    UnknownMatterError,
)
from govauto.jobs.cli import jobs_app, worker_command
from govauto.outcome import Decision
from govauto.report_cli import report_command
from govauto.runtime import Runtime
from govauto.store import Store
from govauto.store.cli import db_app
from govauto.web.cli import serve_command, users_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Automated review of simple approval matters.")
pack_app = typer.Typer(no_args_is_help=True, help="Check and test rule packs (for rule authors).")
matter_app = typer.Typer(no_args_is_help=True, help="Declare matters in YAML, no Python needed (for rule authors).")
schema_app = typer.Typer(no_args_is_help=True, help="Print the JSON Schemas of the public contracts.")
app.add_typer(pack_app, name="pack")
app.add_typer(matter_app, name="matter")
app.add_typer(schema_app, name="schema")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

OUTCOME_STYLE = {"approve": "green", "correct": "yellow", "refer": "cyan", "reject": "red", "note": "dim"}


def _runtime() -> Runtime:
    return Runtime()


@app.callback()
def _options(
    packs: Annotated[list[Path] | None, typer.Option(
        "--packs", help="A directory of rule packs and matters (pack.yaml, matter.yaml) to use besides the installed "
        "ones; a pack there replaces an installed pack with the same id (repeatable; sets $GOVAUTO_PACKS, so `serve` "
        "and `worker` use it too).", show_default=False)] = None,
) -> None:
    """Automated review of simple approval matters."""
    if packs:
        import os

        from govauto.packs import PACKS_ENV

        missing = [str(p) for p in packs if not p.is_dir()]
        if missing:
            err.print(f"error: --packs {', '.join(missing)}: not a directory", markup=False)
            raise typer.Exit(2)
        os.environ[PACKS_ENV] = os.pathsep.join(str(p) for p in packs)


@app.command()
def review(
    cases: Annotated[list[Path], typer.Argument(help="Case files (JSON or YAML).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per case, one per line.")] = False,
    engine: Annotated[str | None, typer.Option(help="Rule engine: python or durable.")] = None,
    explain: Annotated[bool, typer.Option(help="Show every rule evaluated, with its inputs and result.")] = False,
    enqueue: Annotated[bool, typer.Option(
        "--enqueue", help="Queue a robot job for each approved case (its matter's robot; run them with govauto "
        "worker).")] = False,
    db: Annotated[str | None, typer.Option("--db", envvar="GOVAUTO_DATABASE_URL", show_envvar=False,
                                           help="Job database URL for --enqueue.", show_default=False)] = None,
) -> None:
    """Review cases and print each decision with all its findings."""
    runtime = _runtime()
    if engine is not None and engine not in runtime.engines:
        err.print(f"error: unknown rule engine {engine!r} (available: {', '.join(runtime.engines)})", markup=False)
        raise typer.Exit(2)
    failed = False
    decisions: list[tuple[Path, Decision]] = []
    for path in cases:
        try:
            decision = runtime.review(path, engine=engine, explain=explain)
        except (CaseError, UnknownMatterError, PackNotInForceError) as exc:
            failed = True
            err.print(f"[red]error[/red] {exc}", markup=True) if not as_json else print(str(exc), file=sys.stderr)
            continue
        except GovautoError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
        decisions.append((path, decision))
        if as_json:
            print(json.dumps(decision.to_dict(), ensure_ascii=False, default=str))
        else:
            _print_decision(path, decision, explain)
        if enqueue and decision.outcome == "approve":
            _enqueue(runtime, path, db, quiet=as_json)
    if not as_json and len(decisions) > 1:
        _print_summary(decisions)
    raise typer.Exit(2 if failed else 0)


def _enqueue(runtime: Runtime, path: Path, db: str | None, quiet: bool) -> None:
    from govauto.jobs.queue import JobQueue
    from govauto.robots.enqueue import submit_case
    from govauto.store import open_store

    try:
        job, created = submit_case(JobQueue(open_store(db)), runtime, path)
    except GovautoError as exc:
        err.print(f"error: cannot queue the robot job: {exc}", markup=False)
        raise typer.Exit(1) from None
    if not quiet:
        state = "queued" if created else f"already queued ({job.status})"
        out.print(f"  [dim]robot job {job.id} ({job.robot}) {state}[/dim]")


def _print_decision(path: Path, decision: Decision, explain: bool) -> None:
    style = OUTCOME_STYLE[decision.outcome]
    out.print(f"[bold]{escape(decision.case_id)}[/bold] ({escape(str(path))}) → [{style}]{decision.outcome}[/{style}] "
              f"[dim]{decision.pack_id} {decision.pack_version}, {len(decision.findings)} finding(s)[/dim]")
    for finding in decision.findings:
        fstyle = OUTCOME_STYLE[finding.outcome]
        out.print(f"  [{fstyle}]{finding.outcome:<7}[/{fstyle}] {finding.rule}: {escape(finding.message)}")
        out.print(f"          [dim]依据 {escape(finding.basis)}[/dim]")
    if explain and decision.trace is not None:
        out.print(f"  [dim]explain ({decision.engine} engine):[/dim]")
        for trace in decision.trace:
            mark = "[red]fired[/red]" if trace.fired else "[dim]ok   [/dim]"
            inputs = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in trace.inputs.items())
            item = f"[{trace.item}]" if trace.item is not None else ""
            out.print(f"    {mark} {escape(trace.rule + item)}  {escape(inputs)}")


def _print_summary(decisions: list[tuple[Path, Decision]]) -> None:
    table = Table(title="Decisions")
    table.add_column("case")
    table.add_column("outcome")
    table.add_column("findings")
    for _path, decision in decisions:
        style = OUTCOME_STYLE[decision.outcome]
        rules = ", ".join(f.rule for f in decision.findings) or "—"
        table.add_row(escape(decision.case_id), f"[{style}]{decision.outcome}[/{style}]", rules)
    out.print(table)


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Material files (PDF, PNG, JPEG, TIFF).", show_default=False)],
    doc_type: Annotated[str | None, typer.Option("--type", help="Read as this document type (skip recognition).")]
    = None,
    engine: Annotated[str | None, typer.Option(help="OCR engine for scans and photos (tesseract, rapidocr).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file, one per line.")] = False,
) -> None:
    """Read materials: recognise each file's document type and print its fields with confidence and source."""
    runtime = _runtime()
    if engine is not None and engine not in runtime.ocr_engines:
        err.print(f"error: unknown OCR engine {engine!r} (installed: {', '.join(runtime.ocr_engines)})", markup=False)
        raise typer.Exit(2)
    extractor = runtime.extractor(engine)
    if doc_type is not None and doc_type not in extractor.types:
        err.print(f"error: unknown document type {doc_type!r} (known: {', '.join(sorted(extractor.types))})",
                  markup=False)
        raise typer.Exit(2)
    failed = False
    for path in files:
        try:
            result = extractor.extract(path, doc_type=doc_type)
        except GovautoError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
        failed = failed or not result.ok
        if as_json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
            continue
        if result.error:
            out.print(f"[red]{escape(str(path))}: unreadable ({result.error})[/red] {escape(result.error_message)}")
            continue
        scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.scores.items(), key=lambda kv: -kv[1]) if v)
        if result.doc_type is None:
            out.print(f"[yellow]{escape(str(path))}: not recognised[/yellow] ({escape(result.reason)}; scores: "
                      f"{escape(scores or 'none')})")
            continue
        out.print(f"[bold]{escape(str(path))}[/bold]: {result.doc_type} ({result.pages} page(s), "
                  f"{', '.join(result.engines)})")
        low = {name for name, _, _ in result.low_confidence()}
        for name, value in result.fields.items():
            where = ""
            if value.source is not None:
                box = ",".join(str(round(v)) for v in value.source.bbox)
                where = f"p.{value.source.page} [{box}]"
            flag = "[red]LOW[/red] " if name in low else ""
            valid = "" if value.valid is None else (" ✓" if value.valid else " [red]✗ invalid[/red]")
            out.print(f"  {flag}{name:<18} {escape(str(value.value))!s:<30} {value.confidence:.2f} {where}{valid}")
    raise typer.Exit(1 if failed else 0)


sandbox_app = typer.Typer(no_args_is_help=True, help="Synthetic materials and practice systems.")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("documents")
def sandbox_documents(
    case: Annotated[Path, typer.Argument(help="A case file whose facts the documents carry.")],
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the documents into.")],
    variant: Annotated[str, typer.Option(help="clean, scanned or photographed.")] = "clean",
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same files.")] = 0,
    override: Annotated[list[str] | None, typer.Option(
        help="Plant a mismatch: KIND.FIELD=VALUE, e.g. lease.lessee=李四 (repeatable).")] = None,
    write_case: Annotated[bool, typer.Option(
        "--write-case", help="Also write OUT_DIR/case.yaml listing the generated files as its materials.")] = False,
) -> None:
    """Render synthetic materials (marked 样本) for a case: application form, ID card, lease ..."""
    from govauto.model import read_case_file
    from govauto.testing.documents import VARIANTS, generate_materials

    if variant not in VARIANTS:
        err.print(f"error: --variant must be one of {', '.join(VARIANTS)}", markup=False)
        raise typer.Exit(2)
    try:
        data = read_case_file(case)
    except CaseError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    overrides: dict[str, dict[str, str]] = {}
    for item in override or []:
        key, _, value = item.partition("=")
        kind, _, field_name = key.partition(".")
        if not value or not field_name:
            err.print(f"error: --override {item!r}: expected KIND.FIELD=VALUE, e.g. lease.lessee=李四", markup=False)
            raise typer.Exit(2)
        overrides.setdefault(kind, {})[field_name] = value
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        documents = generate_materials(data, out_dir / "materials", variant=variant, seed=seed, overrides=overrides)
    except (ValueError, GovautoError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    for document in documents:
        out.print(f"{document.material_kind:<22} {document.kind:<22} {escape(str(document.path))}")
    if write_case:
        import yaml

        data["materials"] = [{"kind": d.material_kind, "file": str(d.path.relative_to(out_dir))} for d in documents]
        (out_dir / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        out.print(f"case: {escape(str(out_dir / 'case.yaml'))}")


@sandbox_app.command("portal")
def sandbox_portal(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    db: Annotated[Path, typer.Option(help="SQLite file of the records (created when missing, kept).")]
    = Path("build/portal.db"),
    user: Annotated[list[str] | None, typer.Option(
        help="An account NAME:PASSWORD (repeatable; default robot:robot-pass).")] = None,
    idle_timeout: Annotated[float, typer.Option(help="Seconds without a request before a session expires.")]
    = 600.0,
    max_sessions: Annotated[int | None, typer.Option(help="Refuse logins while this many sessions are active.")]
    = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the random draws of fault rates.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log one line per request (ID numbers masked).")]
    = False,
) -> None:
    """Serve the legacy-portal simulator (个体工商户登记管理系统) until Ctrl-C or SIGTERM."""
    from govauto.testing.legacy_portal import DEFAULT_USERS, LegacyPortal, serve

    users: dict[str, str] = {}
    for item in user or []:
        name, sep, password = item.partition(":")
        if not sep or not name or not password:
            err.print(f"error: --user {item!r}: expected NAME:PASSWORD, e.g. robot:robot-pass", markup=False)
            raise typer.Exit(2)
        users[name] = password

    def started(portal: LegacyPortal) -> None:
        out.print(f"legacy portal: {portal.url}  (users: {', '.join(portal.users)}; records: {portal.db_path})",
                  markup=False)
        out.print("admin: /__admin/stats /__admin/records /__admin/faults; Ctrl-C to stop", markup=False)
        out.file.flush()

    try:
        serve(db, host=host, port=port, idle_timeout=idle_timeout, users=users or DEFAULT_USERS,
              max_sessions=max_sessions, seed=seed, verbose=verbose, on_start=started)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(1) from None
    out.print("legacy portal stopped", markup=False)


@app.command()
def plugins(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List every loaded plugin and what it registered."""
    infos = _runtime().plugins()
    if as_json:
        print(json.dumps([i.to_dict() for i in infos], ensure_ascii=False, indent=2))
        return
    table = Table(title="govauto plugins")
    for column in ("plugin", "matters", "rule packs", "functions", "lookups", "engines", "documents"):
        table.add_column(column, overflow="fold")
    for info in infos:
        engines = ", ".join([*info.rule_engines, *(f"ocr:{e}" for e in info.ocr_engines)])
        table.add_row(info.name, "\n".join(info.matters), "\n".join(info.rule_packs),
                      ", ".join(info.functions), ", ".join(info.lookups), engines, ", ".join(info.document_types))
    out.print(table)


@schema_app.command("case")
def schema_case(
    matter: Annotated[str, typer.Option(help="The matter whose case contract to print.")] = "sole_proprietor.establish",
) -> None:
    """Print the JSON Schema of a matter's case contract."""
    from govauto.schema import case_schema

    try:
        print(json.dumps(case_schema(_runtime(), matter), ensure_ascii=False, indent=2))
    except UnknownMatterError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


@schema_app.command("decision")
def schema_decision() -> None:
    """Print the JSON Schema of ``govauto review --json`` output."""
    from govauto.schema import decision_schema

    print(json.dumps(decision_schema(), ensure_ascii=False, indent=2))


@contextmanager
def _pack_errors() -> Iterator[None]:
    """An invalid pack or matter.yaml exits 1 with every problem; any other govauto error exits 2."""
    try:
        yield
    except (PackError, MatterError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except GovautoError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


@pack_app.command("check")
def pack_check(path: Annotated[Path, typer.Argument(help="A rule pack directory.")]) -> None:
    """Validate a pack: its YAML, every rule's expression, facts, functions and message placeholders."""
    runtime = _runtime()
    with _pack_errors():
        compiled = runtime.compile(path)
    out.print(f"ok: pack {compiled.id} {compiled.version} ({len(compiled.rules)} rules, "
              f"{len(compiled.pack.examples)} example cases)")


@pack_app.command("test")
def pack_test(
    path: Annotated[Path, typer.Argument(help="A rule pack directory.")],
    engine: Annotated[str | None, typer.Option(help="Rule engine: python or durable (default: both).")] = None,
) -> None:
    """Run a pack's example cases and compare outcomes and findings with what each example expects."""
    from govauto.testing.packs import run_examples

    try:
        results = run_examples(path, engines=[engine] if engine else None)
    except PackError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except GovautoError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    failures = [r for r in results if not r.passed]
    for result in results:
        mark = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
        out.print(f"{mark} {escape(result.example.name)} {escape(f'[{result.engine}]')}")
        for line in result.problems:
            out.print(f"     {line}", markup=False)
    out.print(f"{len(results) - len(failures)} passed, {len(failures)} failed")
    raise typer.Exit(1 if failures else 0)


@pack_app.command("new")
def pack_new(
    matter: Annotated[str, typer.Argument(help="The matter the pack reviews, e.g. sole_proprietor.change.")],
    directory: Annotated[Path, typer.Option("--dir", help="Where to create the pack.")] = Path("rules"),
    pack_id: Annotated[str | None, typer.Option("--id", help="The pack's id (default: the matter id).")] = None,
    version: Annotated[str, typer.Option(help="The pack's version.")] = "1.0.0",
    effective_from: Annotated[str | None, typer.Option(
        "--effective-from", help="YYYY-MM-DD, the first day the pack applies (default: today, China date).")] = None,
    title: Annotated[str | None, typer.Option(help="The pack's title (default: the matter's title).")] = None,
    force: Annotated[bool, typer.Option(help="Write into an existing directory, replacing the files written.")] = False,
) -> None:
    """Create a new rule pack for MATTER: pack.yaml, a first rule, example cases, a test file and a README, in
    <dir>/<pack id with dots as slashes>. The new pack passes `pack check` and `pack test` as it is."""
    import datetime as dt

    from govauto.rules.scaffold import new_pack

    start = None
    if effective_from is not None:
        try:
            start = dt.date.fromisoformat(effective_from)
        except ValueError:
            err.print(f"error: --effective-from must be a date YYYY-MM-DD, got {effective_from!r}", markup=False)
            raise typer.Exit(2) from None
    with _pack_errors():
        target = new_pack(_runtime(), matter, directory, pack_id=pack_id, version=version, effective_from=start,
                          title=title, force=force)
    out.print(f"created a rule pack for {matter} in {target}:", markup=False)
    for file in sorted(p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        out.print(f"  {file}", markup=False)
    examples = sorted((target / "examples").glob("*.yaml"))
    if not examples:
        out.print("no example cases: no installed pack of this matter has an approve example to copy (and a "
                  "matter.yaml's field examples did not make a valid case); "
                  f"TODO: write {target / 'examples'}/*.yaml (see README.md)", markup=False)
    out.print("next steps:", markup=False)
    out.print(f"  1. edit {target / 'rules' / '10_first_rule.yaml'}: make it the first real rule and replace "
              "its basis (marked TODO); fill in pack.yaml sources and README.md", markup=False)
    out.print(f"  2. govauto pack check {target}", markup=False)
    out.print(f"  3. govauto pack test {target}", markup=False)
    if (target / "matter.yaml").is_file() and examples:
        out.print(f"  4. govauto --packs {directory} review {examples[0]}", markup=False)


@matter_app.command("new")
def matter_new(
    matter: Annotated[str, typer.Argument(help="The matter's id: lowercase words joined by dots, e.g. "
                                               "food_stall.permit.", show_default=False)],
    title: Annotated[str, typer.Option(help="The matter's official name, e.g. 食品摊贩登记.", show_default=False)],
    directory: Annotated[Path, typer.Option("--dir", help="Where to create it.")] = Path("rules"),
    pack_id: Annotated[str | None, typer.Option("--pack", help="The id of the rule pack that reviews it (default: "
                                                               "the matter id).")] = None,
    time_limit: Annotated[int | None, typer.Option("--time-limit", min=1, help="The legal time limit in working "
                                                   "days (default: left empty, marked TODO).")] = None,
    material: Annotated[list[str] | None, typer.Option(
        help="A material every application must include (repeatable; default: application_form, id_card).",
        show_default=False)] = None,
    robot: Annotated[str | None, typer.Option(help="The robot (form map id) that enters approved cases.",
                                              show_default=False)] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing matter.yaml.")] = False,
) -> None:
    """Declare a new matter: write <dir>/<matter id with dots as slashes>/matter.yaml, a commented case contract
    with an example on every field. Then `govauto pack new MATTER --dir <dir>` writes its rule pack beside it."""
    from govauto.rules.scaffold import DEFAULT_MATERIALS, new_matter

    with _pack_errors():
        path = new_matter(matter, title, directory, pack_id=pack_id, time_limit_days=time_limit,
                          materials=tuple(material) if material else DEFAULT_MATERIALS, robot=robot, force=force)
    out.print(f"created {path}", markup=False)
    out.print("next steps:", markup=False)
    out.print(f"  1. edit {path}: the title, time limit and materials, and the fields of the case contract "
              "(the ones written are examples to replace)", markup=False)
    out.print(f"  2. govauto matter check {path}", markup=False)
    out.print(f"  3. govauto pack new {matter} --dir {directory}    (the rule pack, beside it)", markup=False)


@matter_app.command("check")
def matter_check(
    paths: Annotated[list[Path], typer.Argument(help="matter.yaml files, or directories searched for them.",
                                                show_default=False)],
) -> None:
    """Validate matter declarations: every problem of each file, with its line; and that no installed matter has
    the same id. Exit 1 when one is invalid, 2 when a path does not exist."""
    from govauto.matterfile import MATTER_FILE, find_declarations

    files: list[Path] = []
    for path in paths:
        if not path.exists():
            err.print(f"error: {path}: no such file or directory", markup=False)
            raise typer.Exit(2)
        if path.is_dir() and not (path / MATTER_FILE).is_file():
            found = find_declarations(path)[1]
            if not found:
                err.print(f"error: no {MATTER_FILE} under {path}", markup=False)
                raise typer.Exit(2)
            files.extend(found)
        else:
            files.append(path / MATTER_FILE if path.is_dir() else path)
    runtime = _runtime()
    failed = False
    for file in files:
        try:
            matter = runtime.register_matter_file(file)
        except MatterError as exc:
            failed = True
            err.print(str(exc), markup=False)
            continue
        except PluginError as exc:
            failed = True
            err.print(f"{file}: {exc}", markup=False)
            continue
        fields = [name for name in matter.case_model.model_fields if name not in ("matter", "case_id", "submitted_at",
                                                                                   "authority", "materials")]
        limit = f"{matter.time_limit_days} working days" if matter.time_limit_days else "no time limit given"
        out.print(f"ok: matter {matter.id} ({matter.title}) in {file}: reviewed by pack {matter.pack}; {limit}; "
                  f"fields {', '.join(fields) or 'none'}", markup=False)
    raise typer.Exit(1 if failed else 0)


@pack_app.command("diff")
def pack_diff(
    old: Annotated[Path, typer.Argument(help="The older version's pack directory.")],
    new: Annotated[Path, typer.Argument(help="The newer version's pack directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the differences as one JSON object.")] = False,
    engine: Annotated[str | None, typer.Option(help="Rule engine for the example cases: python or durable.")] = None,
) -> None:
    """Show the rules added, removed and changed between two versions of a pack, and the example cases (of both)
    whose outcome or findings change."""
    from govauto.rules.diff import diff_packs
    from govauto.testing.packs import example_runtime

    runtime, registry = example_runtime()
    if engine is not None and engine not in runtime.engines:
        err.print(f"error: unknown rule engine {engine!r} (available: {', '.join(runtime.engines)})", markup=False)
        raise typer.Exit(2)
    with _pack_errors():
        diff = diff_packs(runtime, runtime.compile(old), runtime.compile(new), engine, registry)
    if as_json:
        print(json.dumps(diff.to_dict(), ensure_ascii=False))
        return

    def period(p: Any) -> str:
        return f"{p.effective_from or 'the beginning'} to {p.effective_until or 'further notice'}"

    out.print(f"{diff.old.id} {diff.old.version} ({diff.old.path}, {period(diff.old)}) → "
              f"{diff.new.id} {diff.new.version} ({diff.new.path}, {period(diff.new)})", markup=False)
    out.print(f"rules added: {len(diff.added)}", markup=False)
    for rule_id in diff.added:
        out.print(f"  + {rule_id}", markup=False)
    out.print(f"rules removed: {len(diff.removed)}", markup=False)
    for rule_id in diff.removed:
        out.print(f"  - {rule_id}", markup=False)
    out.print(f"rules changed: {len(diff.changed)}", markup=False)
    for change in diff.changed:
        out.print(f"  ~ {change.rule}: {', '.join(change.fields)}", markup=False)
    out.print(f"example cases whose decision changes: {len(diff.examples)} of {diff.examples_reviewed}", markup=False)
    for example in diff.examples:
        before, after = example.old, example.new
        out.print(f"  {example.name} ({example.file}): {before.outcome} [{', '.join(before.findings)}] → "
                  f"{after.outcome} [{', '.join(after.findings)}]", markup=False)
        for label, review in (("old", before), ("new", after)):
            if review.error:
                out.print(f"      {label}: {review.error}", markup=False)


@app.command()
def process(
    cases: Annotated[list[Path], typer.Argument(help="Case files (JSON or YAML).", show_default=False)],
    enqueue: Annotated[bool, typer.Option(help="Queue the robot job of each approved case.")] = True,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Do not read and review the cases here: queue each as a processing job for the workers "
                        "(govauto worker, or Celery workers), which then do all of the above.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per case, one per line.")] = False,
    db: Annotated[str | None, typer.Option("--db", envvar="GOVAUTO_DATABASE_URL", show_envvar=False,
                                           help="Database URL (default: $GOVAUTO_HOME/govauto.db).",
                                           show_default=False)] = None,
) -> None:
    """Take cases through intake, extraction, review and the outcome, storing and auditing every step.

    Approved cases get their robot job, 补正 and reject get their notice (under $GOVAUTO_HOME/notices), referred
    cases a task in the review queue (govauto serve). A case submitted again is stored as its next version.
    """
    from govauto.pipeline import process_case
    from govauto.store import open_store

    runtime = _runtime()
    try:
        store = open_store(db)
    except GovautoError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    if queue:
        raise typer.Exit(_queue_processing(runtime, store, cases, as_json))
    failed = False
    for path in cases:
        try:
            done = process_case(runtime, store, path, enqueue=enqueue)
        except (CaseError, UnknownMatterError, PackNotInForceError) as exc:
            failed = True
            err.print(f"error: {path}: {exc}", markup=False)
            continue
        except GovautoError as exc:
            err.print(f"error: {path}: {exc}", markup=False)
            raise typer.Exit(1) from None
        record, decision = done.record, done.decision
        if as_json:
            print(json.dumps({"case_id": record.case_id, "version": record.version, "outcome": decision.outcome,
                              "tasks": list(done.task_ids), "job": done.job_id,
                              "notices": [str(p) for p in done.notice_files]}, ensure_ascii=False))
            continue
        style = OUTCOME_STYLE[decision.outcome]
        then = (f"review task {', '.join(done.task_ids)}" if done.task_ids else f"robot job {done.job_id}"
                if done.job_id else ", ".join(str(p) for p in done.notice_files) or "-")
        out.print(f"[bold]{escape(record.case_id)}[/bold] v{record.version} → [{style}]{decision.outcome}[/{style}] "
                  f"[dim]({len(decision.findings)} finding(s)); {escape(then)}[/dim]")
    raise typer.Exit(2 if failed else 0)


def _queue_processing(runtime: Runtime, store: Store, cases: list[Path], as_json: bool) -> int:
    """``govauto process --queue``: a processing job per case; exit code 2 when a case was refused."""
    from govauto.jobs.queue import JobQueue
    from govauto.pipeline_executor import submit_processing

    jobs = JobQueue(store)
    failed = False
    for path in cases:
        try:
            job, created = submit_processing(jobs, runtime, path)
        except (CaseError, UnknownMatterError) as exc:
            failed = True
            err.print(f"error: {path}: {exc}", markup=False)
            continue
        if as_json:
            print(json.dumps({"case_id": job.case_id, "job": job.id, "created": created, "status": job.status.value},
                             ensure_ascii=False))
        else:
            out.print(f"[bold]{escape(job.case_id)}[/bold] → processing job {job.id} "
                      f"[dim]({'queued' if created else 'already queued: ' + job.status.value})[/dim]")
    return 2 if failed else 0


# ---- robot jobs (ops) ------------------------------------------------------------------------------------------

app.add_typer(jobs_app, name="jobs")
app.command("worker")(worker_command)
app.add_typer(audit_app, name="audit")
app.command("serve")(serve_command)
app.add_typer(users_app, name="users")
app.add_typer(tasks_app, name="tasks")
app.add_typer(db_app, name="db")
app.command("report")(report_command)


@jobs_app.command("submit")
def jobs_submit(
    ctx: typer.Context,
    cases: Annotated[list[Path], typer.Argument(help="Case files (JSON or YAML) to enter.", show_default=False)],
    robot: Annotated[str | None, typer.Option(help="Robot id (default: the matter's robot).")] = None,
    max_attempts: Annotated[int, typer.Option(help="Attempts before a job fails.", min=1)] = 3,
    priority: Annotated[int, typer.Option(help="Higher runs first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job, one per line.")] = False,
) -> None:
    """Queue robot jobs that enter cases into their target system (never two jobs for one case and robot).

    The cases are not reviewed here: queue approved cases (or use govauto review --enqueue). Exit 2 when a case
    does not fit its contract or no robot is registered for its matter; the other cases are still queued.
    """
    from govauto.errors import RobotConfigError
    from govauto.jobs.cli import job_json, open_queue, print_json
    from govauto.privacy import mask_id_numbers
    from govauto.robots.enqueue import submit_case

    queue = open_queue(ctx)
    runtime = _runtime()
    failed = created_count = 0
    progress = Progress(TextColumn("queueing"), BarColumn(), MofNCompleteColumn(), console=err,
                        disable=as_json or len(cases) < 10 or not err.is_terminal)
    with progress:
        task = progress.add_task("queue", total=len(cases))
        for path in cases:
            try:
                job, created = submit_case(queue, runtime, path, robot=robot, max_attempts=max_attempts,
                                           priority=priority)
            except (CaseError, UnknownMatterError, RobotConfigError) as exc:
                failed += 1
                err.print(f"error: {path}: {mask_id_numbers(str(exc))}", markup=False)
                continue
            except GovautoError as exc:
                err.print(f"error: {mask_id_numbers(str(exc))}", markup=False)
                raise typer.Exit(1) from None
            finally:
                progress.advance(task)
            created_count += created
            if as_json:
                print_json({**job_json(job), "created": created})
            else:
                state = "queued" if created else f"already has job ({job.status})"
                progress.console.print(f"{job.id}  {escape(job.case_id)}  {job.robot} → {job.target}  {state}")
    if not as_json:
        err.print(f"{created_count} job(s) queued, {len(cases) - failed - created_count} already queued, "
                  f"{failed} refused", markup=False)
    raise typer.Exit(2 if failed else 0)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``govauto`` console script."""
    return app(args=argv)


if __name__ == "__main__":  # pragma: no cover
    main()
