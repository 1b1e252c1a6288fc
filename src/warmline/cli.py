"""The command line: ``warmline serve | demo | chat | validate | migrate | test | backoffice``,
``warmline nlu ...``, ``warmline affect predict``, ``warmline experiments report``,
``warmline customers export | forget``, ``warmline audit list``, ``warmline report``,
``warmline analytics rebuild`` and ``warmline train``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.table import Table

from warmline.errors import PackError, WarmlineError

if TYPE_CHECKING:
    from warmline.domain.pack import DomainPack

app = typer.Typer(help="warmline: an AI first line for customer service.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(exc: WarmlineError) -> None:
    if isinstance(exc, PackError):
        for issue in exc.issues:
            err.print(f"[red]error[/red] {issue}", highlight=False)
    else:
        err.print(f"[red]error[/red] {exc.message}", highlight=False)
    raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port to bind")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (more than one: PostgreSQL and NATS)"),
    ] = None,
) -> None:
    """Run the web server (chat page, API, OpenAPI at /docs); its logs mask personal data.
    Several workers share PostgreSQL and NATS JetStream (docs/scaling.md)."""
    import uvicorn

    from warmline.app import create_app
    from warmline.privacy.logs import install
    from warmline.settings import get_settings

    try:
        settings = get_settings()
        count = workers or settings.workers
        if count > 1:
            _check_workers(settings, count)
    except WarmlineError as exc:
        _fail(exc)
        return
    install()  # the last-resort handler, for libraries' records that reach no other
    options = server_options(settings, host, port)
    if count == 1:
        uvicorn.run(create_app(settings), **options)
    else:  # each worker builds its own app (and runtime) from the same environment
        uvicorn.run("warmline.cli:worker_app", factory=True, workers=count, **options)


def server_options(settings: Any, host: str | None, port: int | None) -> dict[str, Any]:
    """uvicorn's options for ``warmline serve``: the address, the masked logs, and the idle
    keep-alive time (uvicorn's own default, 5 s, is shorter than most proxies' and clients' idle
    timeouts, so a request sent just as the server closes an idle connection would be lost)."""
    import uvicorn.config

    from warmline.privacy.logs import server_log_config

    return {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level,
        "log_config": server_log_config(uvicorn.config.LOGGING_CONFIG, settings.log_level),
        "access_log": False,
        "timeout_keep_alive": settings.keep_alive_s,
    }


def _check_workers(settings: Any, count: int) -> None:
    """Refuse what several workers cannot share (``check_workers``); migrate once here, before
    the workers start."""
    from warmline.services.database import migrate
    from warmline.services.workers import check_workers

    check_workers(settings, count)
    asyncio.run(migrate(settings))


def worker_app() -> Any:
    """The app of one worker of ``warmline serve --workers N`` (uvicorn's factory)."""
    from warmline.app import create_app
    from warmline.privacy.logs import install

    install()
    return create_app()


@app.command()
def backoffice(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8765,
    latency_ms: Annotated[int, typer.Option(help="added latency per request")] = 0,
    error_rate: Annotated[float, typer.Option(help="share of requests that fail with 500")] = 0.0,
    outage: Annotated[bool, typer.Option(help="answer 503 to everything")] = False,
) -> None:
    """Run the reference back office (airline and retail) on its own."""
    from warmline.demo.backoffice.__main__ import main

    args = [
        "--host",
        host,
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
        "--error-rate",
        str(error_rate),
    ] + (["--outage"] if outage else [])
    main(args)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="port of the web server")] = 8000,
    backoffice_port: Annotated[int, typer.Option(help="port of the reference back office")] = 8765,
) -> None:
    """Start the reference back office in its own process, migrate, and serve the demo."""
    env = {**os.environ, "WARMLINE_BACKOFFICE_URL": f"http://127.0.0.1:{backoffice_port}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "warmline.demo.backoffice",
            "--host",
            "127.0.0.1",
            "--port",
            str(backoffice_port),
        ],
        env=env,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{backoffice_port}/_health", proc)
        os.environ["WARMLINE_BACKOFFICE_URL"] = env["WARMLINE_BACKOFFICE_URL"]
        console.print(f"[green]back office[/green] on http://127.0.0.1:{backoffice_port}")
        console.print(
            f"[green]warmline[/green] on http://127.0.0.1:{port}  "
            f'(try customer chen_jackson_3290: "where is my reservation 4WQ150?")'
        )
        serve(host="127.0.0.1", port=port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err.print("[red]error[/red] the back office exited at start-up")
            raise typer.Exit(1)
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    err.print(f"[red]error[/red] the back office did not answer at {url}")
    raise typer.Exit(1)


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="domain pack YAML files")]) -> None:
    """Validate domain packs (schema, references, templates, guardrails); report every error
    with file, line and field."""
    from dataclasses import replace

    from warmline.domain.pack_loader import load_pack
    from warmline.services.responder import Responder

    failed = False
    for path in paths:
        try:
            pack = load_pack(path)
        except PackError as exc:
            failed = True
            for issue in exc.issues:
                err.print(f"[red]error[/red] {issue}", highlight=False)
            continue
        try:
            Responder(pack)  # every template compiles and keeps to the guardrails
        except PackError as exc:
            failed = True
            for issue in exc.issues:
                err.print(f"[red]error[/red] {replace(issue, file=str(path))}", highlight=False)
            continue
        console.print(
            f"[green]ok[/green] {path}: pack '{pack.pack}', {len(pack.intents)} intents, "
            f"{len(pack.actions)} actions",
            highlight=False,
        )
        for line in _rollout_lines(pack):
            console.print(f"  {line}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _rollout_lines(pack: DomainPack) -> list[str]:
    """Each write's rollout mode and where it comes from (docs/rollout.md): its own, else the
    pack's ``rollout_default``, which is shadow unless the pack declares one."""
    declared = "rollout_default" in pack.model_fields_set
    default = f"rollout_default{'' if declared else ', shadow unless declared'}"
    return [
        f"write {name}: {pack.declared_mode(name)} "
        f"({'its own rollout.mode' if action.rollout.mode else default})"
        for name, action in pack.actions.items()
        if action.risk != "read"
    ]


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Create or upgrade the database schema (Alembic)."""
    from warmline.services.database import migrate as migrate_database
    from warmline.settings import get_settings

    async def run() -> str | None:
        return await migrate_database(get_settings(), revision)

    try:
        console.print(f"database at revision [bold]{asyncio.run(run())}[/bold]")
    except WarmlineError as exc:
        _fail(exc)


@app.command()
def chat(
    pack: Annotated[str | None, typer.Option(help="domain pack")] = None,
    customer: Annotated[str | None, typer.Option(help="customer id in the back office")] = None,
    explain: Annotated[bool, typer.Option(help="print each decision's reasons")] = False,
) -> None:
    """Talk to warmline in the terminal (the back office must be running; see `backoffice`)."""
    from warmline.services.runtime import Runtime
    from warmline.settings import get_settings

    async def run() -> None:
        runtime = await Runtime.build(get_settings())
        try:
            result = await runtime.conversations.start(pack, customer, "terminal")
            for reply in result.replies:
                console.print(f"[bold cyan]bot[/bold cyan] {reply.text}", highlight=False)
            while True:
                text = await asyncio.to_thread(console.input, "[bold green]you[/bold green] ")
                if text.strip() in ("/quit", "/exit"):
                    return
                try:
                    if text.strip() == "/person":
                        turn = await runtime.conversations.request_person(result.conversation_id)
                    else:
                        turn = await runtime.conversations.post_message(
                            result.conversation_id, text
                        )
                except WarmlineError as exc:
                    err.print(f"[red]{exc.public_detail()}[/red]")
                    continue
                for reply in turn.replies:
                    console.print(f"[bold cyan]bot[/bold cyan] {reply.text}", highlight=False)
                    if reply.choices:
                        console.print("    choices: " + " | ".join(reply.choices), highlight=False)
                if explain and turn.decision:
                    for reason in turn.decision.reasons:
                        console.print(
                            f"    [dim]{reason.code}: {reason.detail}[/dim]", highlight=False
                        )
                if turn.status == "closed":
                    return
        finally:
            await runtime.aclose()

    console.print("[dim]/person asks for a person, /quit leaves[/dim]")
    try:
        asyncio.run(run())
    except (EOFError, KeyboardInterrupt):
        pass
    except WarmlineError as exc:
        _fail(exc)


@app.command("test")
def test_scenarios(
    paths: Annotated[list[Path], typer.Argument(help="scenario files or folders")],
    junit: Annotated[Path | None, typer.Option(help="write JUnit XML here")] = None,
    backoffice_url: Annotated[
        str | None,
        typer.Option(help="run against this back office instead of the in-process reference one"),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="print every transcript")
    ] = False,
) -> None:
    """Run conversation scenario files; exit non-zero on any failure."""
    from warmline.services.scenario_session import run_paths

    transport = None
    if backoffice_url is None:
        from warmline.demo.backoffice.app import create_app as reference_backoffice

        transport = httpx.ASGITransport(app=reference_backoffice())
    try:
        results = asyncio.run(run_paths(paths, backoffice_url=backoffice_url, transport=transport))
    except WarmlineError as exc:
        _fail(exc)
        return
    table = Table(title="warmline scenarios")
    for column in ("file", "scenario", "result", "seconds"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.file,
            r.name,
            "[green]pass[/green]" if r.passed else "[red]FAIL[/red]",
            f"{r.seconds:.2f}",
        )
    console.print(table)
    for r in results:
        if not r.passed or verbose:
            console.print(f"\n[bold]{r.file} :: {r.name}[/bold]", highlight=False)
            for failure in r.failures:
                console.print(f"  [red]✗[/red] {failure}", highlight=False)
            for line in r.transcript:
                console.print(f"    [dim]{line}[/dim]", highlight=False)
    if junit:
        from warmline.services.scenarios import junit_xml

        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(junit_xml(results), "utf-8")
    failed = sum(not r.passed for r in results)
    console.print(f"\n{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


nlu_app = typer.Typer(
    help="Train, run and evaluate intent models on CSV files.", no_args_is_help=True
)
app.add_typer(nlu_app, name="nlu")
affect_app = typer.Typer(help="Read affect (sentiment, frustration, ...) from texts.")
app.add_typer(affect_app, name="affect")


agents_app = typer.Typer(help="Agent accounts for the console.")
app.add_typer(agents_app, name="agents")


@agents_app.command("hash-password")
def agents_hash_password(
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Print the argon2id hash of an agent's password, for WARMLINE_AGENTS
    (e.g. WARMLINE_AGENTS='{"ana": "<hash>"}', or with a role:
    '{"ben": {"hash": "<hash>", "role": "supervisor"}}')."""
    from warmline.services.agent_accounts import hash_password

    console.print(hash_password(password), highlight=False, soft_wrap=True)


customers_app = typer.Typer(
    help="A customer's data: export it (right of access) or erase it (right of erasure); "
    "both are written to the audit log.",
    no_args_is_help=True,
)
app.add_typer(customers_app, name="customers")
audit_app = typer.Typer(help="The audit log: who read or changed whose data.")
app.add_typer(audit_app, name="audit")

CustomerArg = Annotated[str, typer.Argument(help="the customer's id (as the back office has it)")]
ActorOption = Annotated[
    str | None, typer.Option(help="who is asking, for the audit log (default: the system user)")
]


def _actor(actor: str | None) -> str:
    import getpass

    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in this environment
        return "cli"


def _customer_data(use: Any) -> Any:
    """Run ``use(data)`` on the customer data service of the configured database."""
    from warmline.services.customer_data import open_customer_data
    from warmline.settings import get_settings

    async def run() -> Any:
        async with open_customer_data(get_settings().database_url) as data:
            return await use(data)

    try:
        return asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)


@customers_app.command("export")
def customers_export(
    customer_id: CustomerArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the JSON here (default: stdout)")
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Every conversation and event of a customer as JSON, as stored (personal data masked
    except what an action needed); the export is audited."""
    import json

    document = _customer_data(lambda data: data.export(customer_id, _actor(actor)))
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", "utf-8")
    count = len(document["conversations"])
    err.print(f"{count} conversations of {customer_id} written to {output}", highlight=False)


@customers_app.command("forget")
def customers_forget(
    customer_id: CustomerArg,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask to confirm")] = False,
    actor: ActorOption = None,
) -> None:
    """Erase a customer from their conversations: their id replaced by a pseudonym, every text
    and value removed, the events (and so the counts) kept; the erasure is audited."""
    if not yes:
        typer.confirm(
            f"Erase customer {customer_id} from all their conversations? This cannot be undone.",
            abort=True,
        )
    done = _customer_data(lambda data: data.forget(customer_id, _actor(actor)))
    console.print(
        f"forgot {customer_id}: {done.conversations} conversations, {done.events} events "
        f"erased; they now belong to {done.pseudonym}",
        highlight=False,
    )


@audit_app.command("list")
def audit_list(
    subject: Annotated[str | None, typer.Option(help="only about this customer or id")] = None,
    actor: Annotated[str | None, typer.Option(help="only by this actor")] = None,
    limit: Annotated[int, typer.Option(help="at most this many entries")] = 50,
) -> None:
    """The audit log's entries, newest first."""
    import json

    entries = _customer_data(
        lambda data: data.audit.entries(subject=subject, actor=actor, limit=limit)
    )
    table = Table("at", "actor", "action", "subject", "detail")
    for e in entries:
        table.add_row(
            e.at.isoformat(timespec="seconds"), e.actor, e.action, e.subject, json.dumps(e.detail)
        )
    console.print(table)


experiments_app = typer.Typer(help="Compare reply variants (experiment arms).")
app.add_typer(experiments_app, name="experiments")


@experiments_app.command("report")
def experiments_report(
    experiment: Annotated[str, typer.Option(help="the experiment's name in the pack")],
    pack: Annotated[str | None, typer.Option(help="domain pack (default: the default)")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="arm the others are compared with (default: the first)")
    ] = None,
) -> None:
    """CSAT and resolution per arm, and each arm's difference from the baseline with a 95 %
    confidence interval (Newcombe), from the conversations in the database."""
    from warmline.services.runtime import Runtime
    from warmline.settings import get_settings

    async def run() -> Any:
        runtime = await Runtime.build(get_settings())
        try:
            return await runtime.reports.experiment(pack, experiment, baseline)
        finally:
            await runtime.aclose()

    try:
        report = asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)
        return
    _print_experiment(report)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _print_experiment(report: Any) -> None:
    """Print an ``ExperimentReport`` (from ``Reports.experiment``)."""
    arms = Table(title=f"experiment {report.experiment}")
    for column in ("arm", "conversations", "rated", "CSAT", "resolved", "resolution"):
        arms.add_column(column, justify="right")
    for arm in report.arms:
        arms.add_row(
            arm.arm,
            str(arm.conversations),
            str(arm.csat.total),
            _percent(arm.csat.value),
            str(arm.resolution.hits),
            _percent(arm.resolution.value),
        )
    console.print(arms)
    if not report.differences:
        console.print("no arm to compare yet", highlight=False)
        return
    diffs = Table(title="difference from the baseline (95 % CI, Newcombe)")
    for column in ("measure", "arm", "baseline", "difference", "95 % CI"):
        diffs.add_column(column, justify="right")
    for d in report.differences:
        interval = "n/a" if d.low is None else f"{d.low:+.1%} .. {d.high:+.1%}"
        change = "n/a" if d.difference is None else f"{d.difference:+.1%}"
        diffs.add_row(d.measure, d.arm, d.baseline, change, interval)
    console.print(diffs)


@affect_app.command("predict")
def affect_predict(
    input: Annotated[Path, typer.Option("--input", help="CSV with a text column")],
    output: Annotated[Path, typer.Option(help="JSON lines to write, one per input row")],
    model: Annotated[
        Path | None, typer.Option(help="affect model folder (default: the shipped one)")
    ] = None,
) -> None:
    """Per row: negative, frustration, urgency, confusion (calibrated probabilities),
    sentiment (negative / neutral / positive / ambiguous) and the lexical cues found."""
    from warmline.services.affect_batch import predict_affect_csv

    try:
        count = predict_affect_csv(input, output, affect_dir=model)
    except WarmlineError as exc:
        _fail(exc)
        return
    console.print(f"[green]wrote[/green] {count} rows to {output}", highlight=False)


@nlu_app.command("train")
def nlu_train(
    data: Annotated[
        Path, typer.Option(help="CSV with columns text,intent; intent 'oos' = out of scope")
    ],
    out: Annotated[Path, typer.Option(help="folder to write the model into")],
    confident: Annotated[float, typer.Option(help="top probability for the confident zone")] = 0.55,
    clarify: Annotated[
        float, typer.Option(help="top probability below which it is out of scope")
    ] = 0.25,
    min_similarity: Annotated[
        float, typer.Option(help="cosine to the nearest example below which it is out of scope")
    ] = 0.30,
    ngram_weight: Annotated[
        float, typer.Option(help="share of the character/word n-gram view, 0 to 1")
    ] = 0.4,
    out_of_scope: Annotated[
        float | None,
        typer.Option(
            help="out-of-scope score at or above which a text is out of scope "
            "(default: the cut-off set on held-out folds)"
        ),
    ] = None,
) -> None:
    """Train an intent model from a CSV (a progress bar shows encoding and calibration)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from warmline.services.training import train_from_csv

    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, object] = {}

        def progress(stage: str, share: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=share)  # type: ignore[arg-type]

        try:
            summary = train_from_csv(
                data,
                out,
                progress=progress,
                confident=confident,
                clarify=clarify,
                min_similarity=min_similarity,
                ngram_weight=ngram_weight,
                out_of_scope=out_of_scope,
            )
        except WarmlineError as exc:
            _fail(exc)
            return
    console.print(
        f"[green]trained[/green] {summary['intents']} intents on {summary['rows']} rows "
        f"({summary['oos_examples']} out of scope) in {summary['seconds']} s; "
        f"temperature {summary['temperature']:.3f}; saved to {out}",
        highlight=False,
    )


@nlu_app.command("predict")
def nlu_predict(
    model: Annotated[Path, typer.Option(help="a folder written by `warmline nlu train`")],
    input: Annotated[Path, typer.Option("--input", help="CSV with a text column")],
    output: Annotated[Path, typer.Option(help="JSON lines to write, one per input row")],
) -> None:
    """Predict intents: text, intent, confidence, zone and the top 5 ranking per row."""
    from warmline.services.training import predict_csv

    try:
        count = predict_csv(model, input, output)
    except WarmlineError as exc:
        _fail(exc)
        return
    console.print(f"[green]wrote[/green] {count} predictions to {output}", highlight=False)


@nlu_app.command("eval")
def nlu_eval(
    model: Annotated[Path, typer.Option(help="a folder written by `warmline nlu train`")],
    data: Annotated[
        Path, typer.Option(help="CSV with columns text,intent; intent 'oos' = out of scope")
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the report as JSON")
    ] = None,
) -> None:
    """Accuracy, macro-F1, ECE (and OOS recall, AUROC, AUPR, FPR@95 where oos rows exist)."""
    import json

    from warmline.services.training import evaluate_csv

    try:
        report = evaluate_csv(model, data)
    except WarmlineError as exc:
        _fail(exc)
        return
    table = Table(title=f"{data} ({report['rows']} rows)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "accuracy",
        "macro_f1",
        "ece",
        "oos_recall",
        "in_scope_accuracy_at_thresholds",
        "auroc",
        "aupr",
        "fpr_at_95",
    ):
        if key in report:
            table.add_row(key, f"{report[key]:.4f}")
    console.print(table)
    bins = Table(title="reliability (in-scope rows)")
    for column in ("confidence up to", "mean confidence", "accuracy", "rows"):
        bins.add_column(column, justify="right")
    for high, conf, acc, count in report["reliability"]:
        bins.add_row(f"{high:.1f}", f"{conf:.3f}", f"{acc:.3f}", str(count))
    console.print(bins)
    console.print(f"zones: {report['zones']}", highlight=False)
    if "tradeoff" in report:
        console.print(
            f"out-of-scope cut-off in use: {report['oos_threshold']:.3f}", highlight=False
        )
        trade = Table(title="out-of-scope trade-off on these rows")
        for column in ("in-scope flagged", "cut-off", "in-scope accuracy", "OOS recall"):
            trade.add_column(column, justify="right")
        for row in report["tradeoff"]:
            trade.add_row(
                f"{row['in_scope_flagged']:.0%}",
                f"{row['cut']:.3f}",
                f"{row['in_scope_accuracy']:.4f}",
                f"{row['oos_recall']:.4f}",
            )
        console.print(trade)
    if json_out:
        json_out.write_text(json.dumps(report, indent=2), "utf-8")


# --- analytics: `warmline report`, `warmline analytics rebuild` (docs/analytics.md) ---

analytics_app = typer.Typer(help="The analytics projection (docs/analytics.md).")
app.add_typer(analytics_app, name="analytics")
REPORT_FORMATS = ("table", "json", "csv", "parquet")
REPORT_COLUMNS = ("metric", "dimension", "group", "value", "n")


def _date(value: str | None, option: str) -> Any:
    """An ISO date or date-time; without a time, midnight; without a zone, UTC."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        message = f"'{value}' is not a date (YYYY-MM-DD)"
        raise typer.BadParameter(message, param_hint=option) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _analytics(use: Any) -> Any:
    """Run ``use(analytics)`` on the analytics of the configured database."""
    from warmline.services.analytics import open_analytics, rules_of
    from warmline.settings import get_settings

    async def run() -> Any:
        settings = get_settings()
        async with open_analytics(settings.database_url, rules_of(settings)) as analytics:
            return await use(analytics)

    try:
        return asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)


@app.command("report")
def report(
    since: Annotated[str, typer.Option(help="conversations started on or after (YYYY-MM-DD)")],
    by: Annotated[
        str,
        typer.Option(
            help="pack, channel, language, register, dialect, tier, arm:<experiment> or "
            "another segment the pack declares; one no conversation has is an error"
        ),
    ] = "channel",
    until: Annotated[str | None, typer.Option(help="and before this date")] = None,
    pack: Annotated[str | None, typer.Option(help="only this pack's conversations")] = None,
    output: Annotated[str, typer.Option("--format", help="table, json, csv or parquet")] = "table",
    to: Annotated[
        Path | None,
        typer.Option("--output", help="write csv or parquet to this file (parquet needs one)"),
    ] = None,
) -> None:
    """Containment, CSAT, CES, FCR, handle times, escalations, cost per contact and
    abandonment per group of a segment, from the analytics projection of the database of
    WARMLINE_DATABASE_URL. JSON, CSV and Parquet are a stable contract (docs/analytics.md)."""
    if output not in REPORT_FORMATS:
        choices = ", ".join(REPORT_FORMATS)
        raise typer.BadParameter(f"'{output}': one of {choices}", param_hint="--format")
    if output == "parquet" and to is None:
        raise typer.BadParameter(
            "parquet is written to a file: add --output FILE", param_hint="--output"
        )
    if to is not None and output not in ("csv", "parquet"):
        raise typer.BadParameter("--output takes --format csv or parquet", param_hint="--output")
    start, end = _date(since, "--since"), _date(until, "--until")
    from warmline.services.report_dimensions import checked_report

    rows = _analytics(lambda analytics: checked_report(analytics, start, by, until=end, pack=pack))
    if to is not None:
        from warmline.services.dashboard_export import segments_bytes

        to.write_bytes(segments_bytes(rows, "parquet" if output == "parquet" else "csv"))
        return
    _print_report(rows, output)


def _print_report(rows: list[Any], output: str) -> None:
    import csv
    import dataclasses
    import json

    records = [dataclasses.asdict(row) for row in rows]
    if output == "json":
        typer.echo(json.dumps(records, indent=2))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    else:
        table = Table(*REPORT_COLUMNS, title="warmline report")
        for r in rows:
            value = "n/a" if r.value is None else _report_value(r.metric, r.value)
            table.add_row(r.metric, r.dimension, r.group, value, str(r.n))
        console.print(table)


def _report_value(metric: str, value: float) -> str:
    """Shares as percentages, seconds to a tenth, the count whole, scores and costs to 2."""
    if metric == "conversations":
        return f"{value:.0f}"
    if metric.endswith("_s"):
        return f"{value:.1f}"
    if metric in ("ces", "cost_per_contact"):
        return f"{value:.2f}"
    return f"{value:.1%}"


@analytics_app.command("rebuild")
def analytics_rebuild() -> None:
    """Refold every conversation's event log into the projection (a database older than the
    projection, or after a definition changed)."""
    count = _analytics(lambda analytics: analytics.rebuild())
    console.print(f"analytics projection rebuilt from {count} conversations", highlight=False)


# --- parity and bias incidents (docs/parity.md) ------------------------------------------

incidents_app = typer.Typer(
    help="The bias incident register: gaps the parity monitor flagged.", no_args_is_help=True
)
app.add_typer(incidents_app, name="incidents")
ParityFormat = Literal["table", "json", "html", "pdf"]


def _when(text: str, option: str) -> Any:
    """A date or date-time from the command line (UTC unless it names its zone)."""
    from datetime import UTC, datetime

    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/red] {option} takes a date like 2026-11-01, not {text!r}")
        raise typer.Exit(2) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _references(pairs: list[str]) -> dict[str, str]:
    found = dict(p.split("=", 1) for p in pairs if "=" in p)
    if len(found) != len(pairs):
        err.print("[red]error[/red] --reference takes DIMENSION=GROUP, e.g. channel=web")
        raise typer.Exit(2)
    return found


@app.command("parity")
def parity_report(
    since: Annotated[str, typer.Option(help="conversations started from this date (UTC)")],
    until: Annotated[str | None, typer.Option(help="... and before this date")] = None,
    pack: Annotated[str | None, typer.Option(help="only this pack's conversations")] = None,
    format: Annotated[
        ParityFormat, typer.Option("--format", help="table, json, html or pdf")
    ] = "table",
    out: Annotated[Path | None, typer.Option(help="write here (html and pdf: required)")] = None,
    alpha: Annotated[
        float | None, typer.Option(min=0.0001, max=0.5, help="significance (default: settings)")
    ] = None,
    min_n: Annotated[
        int | None, typer.Option(min=2, help="fewer conversations: not tested (default: settings)")
    ] = None,
    correction: Annotated[
        Literal["bh", "holm"] | None, typer.Option(help="bh or holm (default: settings)")
    ] = None,
    reference: Annotated[
        list[str], typer.Option(help="DIMENSION=GROUP, the group others are compared with")
    ] = [],  # noqa: B006
    incidents: Annotated[bool, typer.Option(help="open incidents for flagged gaps")] = True,
) -> None:
    """Each metric per segment against its reference group, tested and corrected for the
    number of comparisons; a flagged gap opens a bias incident (docs/parity.md)."""
    from warmline.services.parity import parity_settings_of, run_parity
    from warmline.settings import get_settings

    if format in ("html", "pdf") and out is None:
        err.print(f"[red]error[/red] --format {format} writes a file: give --out FILE")
        raise typer.Exit(2)
    settings = get_settings()
    chosen = parity_settings_of(
        settings, alpha=alpha, min_n=min_n, correction=correction, references=_references(reference)
    )
    start, end = _when(since, "--since"), None if until is None else _when(until, "--until")
    try:
        run = asyncio.run(
            run_parity(settings, start, until=end, pack=pack, parity_settings=chosen,
                       open_for_flagged=incidents, by=_actor(None))
        )  # fmt: skip
    except WarmlineError as exc:
        _fail(exc)
        return
    _write_parity(run, format, out)
    opened = sum(o.new for o in run.incidents)
    err.print(
        f"{len(run.flagged)} gaps flagged over {run.conversations} conversations; incidents: "
        f"{opened} opened, {len(run.incidents) - opened} already open"
        + (f"; written to {out}" if out else ""),
        highlight=False,
    )


def _write_parity(run: Any, format: str, out: Path | None) -> None:
    import json

    from warmline.services.parity import contract_rows, render_html, render_pdf

    if format == "table":
        _print_parity(run)
    elif format == "json":
        text = json.dumps(contract_rows(run.rows), indent=2)
        typer.echo(text) if out is None else out.write_text(text + "\n", "utf-8")
    elif out is not None and format == "html":
        out.write_text(render_html(run), "utf-8")
    elif out is not None:
        render_pdf(run, out)


def _print_parity(run: Any) -> None:
    from warmline.services.parity import figure, gap_text, p_text

    table = Table(title=f"parity, {run.conversations} conversations")
    for column in ("metric", "dimension", "group", "value", "n", "reference", "ref. value"):
        table.add_column(column)
    for column in ("gap", "ratio", "p adj.", ""):
        table.add_column(column)
    for r in run.rows:
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}"
        mark = "[bold red]FLAGGED[/]" if r.flagged else r.note.replace("_", " ")
        table.add_row(
            r.metric, r.dimension, r.group, figure(r.value, r.metric), str(r.n),
            r.reference_group, figure(r.reference_value, r.metric), gap_text(r), ratio,
            p_text(r.p_adjusted), "" if r.note == "reference" else mark,
        )  # fmt: skip
    console.print(table)


def _register(use: Any) -> Any:
    from warmline.services.incidents import open_incidents
    from warmline.settings import get_settings

    async def run() -> Any:
        settings = get_settings()
        async with open_incidents(
            settings.database_url, settings.incident_deadline_days
        ) as register:
            return await use(register)

    try:
        return asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)


IncidentArg = Annotated[int, typer.Argument(min=1, help="the incident's number")]
NoteOption = Annotated[str, typer.Option(help="what was seen or done")]


@incidents_app.command("list")
def incidents_list(
    state: Annotated[list[str], typer.Option(help="open, acknowledged, remediated")] = [],  # noqa: B006
) -> None:
    """The incidents, newest first (open and acknowledged unless --state says)."""
    found = _register(lambda r: r.listing(state or ["open", "acknowledged"]))
    table = Table(
        "#", "state", "metric", "dimension", "group", "gap", "owner", "deadline", "opened"
    )
    for i in found:
        gap = "n/a" if i.gap.difference is None else f"{i.gap.difference:+.4g}"
        deadline = i.deadline.date().isoformat() if i.deadline else ""
        table.add_row(
            str(i.id), i.state, i.gap.metric, i.gap.dimension, i.gap.group, gap,
            i.owner or "", deadline, i.opened_at.isoformat(timespec="minutes"),
        )  # fmt: skip
    console.print(table)


@incidents_app.command("ack")
def incidents_ack(
    incident: IncidentArg,
    owner: Annotated[str, typer.Option(help="who owns the remediation")],
    deadline: Annotated[str | None, typer.Option(help="by when (a date)")] = None,
    note: NoteOption = "",
    actor: ActorOption = None,
) -> None:
    """Acknowledge an incident: an owner and a deadline (audited)."""
    due = None if deadline is None else _when(deadline, "--deadline")
    done = _register(
        lambda r: r.acknowledge(incident, _actor(actor), owner=owner, deadline=due, note=note)
    )
    console.print(f"incident {done.id} acknowledged, owner {done.owner}", highlight=False)


@incidents_app.command("remediate")
def incidents_remediate(incident: IncidentArg, note: NoteOption, actor: ActorOption = None) -> None:
    """Mark an incident remediated, saying what was done (audited)."""
    done = _register(lambda r: r.remediate(incident, _actor(actor), note))
    console.print(f"incident {done.id} remediated", highlight=False)


@incidents_app.command("note")
def incidents_note(incident: IncidentArg, note: NoteOption, actor: ActorOption = None) -> None:
    """Add a note to an incident's history."""
    done = _register(lambda r: r.note(incident, _actor(actor), note))
    console.print(f"note added to incident {done.id}", highlight=False)


# --- the learning loop's review queue (docs/analytics.md) ----------------------------------

review_app = typer.Typer(
    help="The review queue: customer turns worth a human label (docs/analytics.md)."
)
app.add_typer(review_app, name="review")


def _learning(use: Any) -> Any:
    from warmline.services.learning import open_learning, rules_of
    from warmline.settings import get_settings

    async def run() -> Any:
        settings = get_settings()
        async with open_learning(settings.database_url, rules=rules_of(settings)) as learning:
            return await use(learning)

    try:
        return asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)


@review_app.command("collect")
def review_collect() -> None:
    """Queue the turns worth a label among the events appended since the last collection
    (collecting again adds nothing new)."""
    found = _learning(lambda learning: learning.collect())
    console.print(
        f"{found.added} new items from {found.conversations} conversations "
        f"(events collected up to id {found.watermark})",
        highlight=False,
    )


@review_app.command("list")
def review_list(
    view: Annotated[
        Literal["queue", "log"],
        typer.Option(help="queue: open items by value; log: the misclassification log"),
    ] = "queue",
    pack: Annotated[str | None, typer.Option(help="only this pack's items")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
) -> None:
    """The review queue (collected first) or the misclassification log."""
    import json
    from dataclasses import asdict

    async def use(learning: Any) -> list[Any]:
        await learning.collect()
        if view == "log":
            return list(await learning.misclassifications(pack, limit))
        return list(await learning.queue(pack, limit))

    items = _learning(use)
    if output == "json":
        typer.echo(json.dumps([asdict(i) for i in items], indent=2, default=str))
        return
    table = Table("#", "why", "read", "conf.", "label", "the customer wrote", "conversation")
    for i in items:
        text = i.text if len(i.text) <= 80 else i.text[:77] + "..."
        label = i.label or (f"({i.suggested}?)" if i.suggested else "")
        table.add_row(
            str(i.id), ", ".join(i.codes), i.predicted or "", f"{i.confidence:.2f}", label,
            text, f"{i.conversation_id}#{i.seq}",
        )  # fmt: skip
    console.print(table)


# --- retraining from reviewed corrections (docs/analytics.md) -----------------------------


@app.command("train")
def train(
    pack: Annotated[
        str | None, typer.Option(help="the pack: a name in WARMLINE_PACKS, shipped, or a YAML")
    ] = None,
    holdout_share: Annotated[
        float, typer.Option(min=0.05, max=0.9, help="share of the corrections held out")
    ] = 0.3,
    promote: Annotated[
        bool, typer.Option(help="promote the candidate if the gate passes it")
    ] = False,
    note: Annotated[str, typer.Option(help="why, kept with the promotion")] = "",
    status: Annotated[
        bool, typer.Option(help="only show the model version each pack serves")
    ] = False,
    baseline: Annotated[
        bool, typer.Option(help="also cross-validate the pack's own examples (a baseline)")
    ] = False,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    actor: ActorOption = None,
) -> None:
    """Retrain a pack's intents on its examples plus the reviewed corrections, print before /
    after on the held-out corrections overall and per segment group, and with --promote
    promote the candidate only if no segment gets worse beyond noise (audited; a refusal
    exits 1)."""
    from warmline.services.model_training import serving_models, train_pack
    from warmline.settings import get_settings

    settings = get_settings()
    try:
        if status:
            _print_serving(asyncio.run(serving_models(settings, pack)), output)
            return
        if pack is None:
            raise typer.BadParameter("name the pack to retrain", param_hint="--pack")
        run = asyncio.run(
            train_pack(settings, pack, holdout_share=holdout_share, promote=promote,
                       actor=_actor(actor), note=note, baseline=baseline)
        )  # fmt: skip
    except WarmlineError as exc:
        _fail(exc)
        return
    _print_training(run, output)
    if promote and run.promoted is None:
        err.print(
            "[red]promotion refused[/red]: " + "; ".join(run.verdict.reasons), highlight=False
        )
        raise typer.Exit(1)


def _print_serving(serving: dict[str, Any], output: str) -> None:
    import json

    rows = [
        {"pack": p.pack, "version": p.version, "fingerprint": p.fingerprint,
         "corrections": len(p.corrections), "promoted_by": p.promoted_by,
         "promoted_at": p.promoted_at.isoformat(), "note": p.note}
        for p in serving.values()
    ]  # fmt: skip
    if output == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("no promoted model: each pack serves version 0 (its own examples)")
    for r in rows:
        console.print(
            f"{r['pack']}: version {r['version']} ({r['corrections']} corrections, "
            f"{r['fingerprint']}), promoted by {r['promoted_by']} at {r['promoted_at']}: {r['note']}",
            highlight=False,
        )


def _print_training(run: Any, output: str) -> None:
    import json

    if output == "json":
        typer.echo(json.dumps(run.as_json(), indent=2))
        return
    table = Table(
        "dimension", "group", "n", "right before", "right after", "accuracy", "OOS recall",
        "regressed / improved", "p adj.", "", title=(
            f"{run.pack}: version {run.serving_version} (serving) against the candidate, "
            f"on {len(run.held_out)} held-out corrections"
        ),
    )  # fmt: skip
    for g in run.groups:
        c = g.check
        p = "" if c.p_adjusted is None else f"{c.p_adjusted:.3g}"
        table.add_row(
            g.dimension, g.group, str(g.n), _share(g.before.right, g.n), _share(g.after.right, g.n),
            _arrow(g.before.in_scope_right, g.after.in_scope_right, g.n_in_scope),
            _arrow(g.before.oos_right, g.after.oos_right, g.n_oos),
            f"{c.regressed} / {c.improved}", p, c.note.replace("_", " "),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"reviewed {run.reviewed}, trained on {len(run.train)} new "
        f"({len(run.corrections)} in all), held out {len(run.held_out)}, "
        f"skipped {len(run.skipped)}",
        highlight=False,
    )
    if run.baseline is not None:
        b = run.baseline
        console.print(
            f"the pack's own examples, {b['folds']}-fold cross-validated: {b['accuracy']:.1%} "
            f"read right (n {b['n']})",
            highlight=False,
        )
    verdict = "passes" if run.verdict.promote else "refuses"
    console.print(f"gate {verdict}:", highlight=False)
    for reason in run.verdict.reasons:
        console.print(f"  - {reason}", highlight=False)
    if run.promoted is not None:
        console.print(
            f"promoted: {run.pack} serves version {run.promoted.version} from its next start",
            highlight=False,
        )


def _share(right: int, n: int) -> str:
    return f"{right / n:.1%}" if n else "n/a"


def _arrow(before: int, after: int, n: int) -> str:
    return f"{_share(before, n)} -> {_share(after, n)} (n {n})" if n else "n/a"


# --- knowledge (docs/knowledge.md) -------------------------------------------------------

knowledge_app = typer.Typer(help="The packs' documents: ingest, list, search (docs/knowledge.md).")
app.add_typer(knowledge_app, name="knowledge")


def _knowledge(use: Any, ingest: bool = False) -> Any:
    """Run ``use(knowledge)`` on the configured packs' knowledge and database."""
    from warmline.services.knowledge import open_knowledge_base
    from warmline.settings import get_settings

    async def run() -> Any:
        async with open_knowledge_base(get_settings(), ingest=ingest) as knowledge:
            return await use(knowledge)

    try:
        return asyncio.run(run())
    except WarmlineError as exc:
        _fail(exc)


def _packs_of(knowledge: Any, pack: str | None) -> list[str]:
    from warmline.errors import NotFound

    packs: list[str] = knowledge.packs()
    if pack is not None and pack not in packs:
        known = ", ".join(packs) or "none"
        raise NotFound(f"pack '{pack}' has no knowledge folder (packs with one: {known})")
    return [pack] if pack else packs


@knowledge_app.command("ingest")
def knowledge_ingest(
    pack: Annotated[str | None, typer.Option(help="one pack (default: every pack)")] = None,
) -> None:
    """Read the packs' knowledge folders into the database: new and changed documents
    chunked and embedded, removed ones deleted, unchanged ones left as they are."""

    async def use(knowledge: Any) -> list[Any]:
        return [await knowledge.ingest(name) for name in _packs_of(knowledge, pack)]

    for report in _knowledge(use):
        console.print(
            f"{report.pack}: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.unchanged)} unchanged, {len(report.removed)} removed; "
            f"{report.chunks} chunks",
            highlight=False,
        )
        for kind in ("added", "changed", "removed"):
            for path in getattr(report, kind):
                console.print(f"  {kind} {path}", highlight=False)


@knowledge_app.command("list")
def knowledge_list(
    pack: Annotated[str | None, typer.Option(help="one pack (default: every pack)")] = None,
) -> None:
    """The ingested documents of each pack: path, title, chunks, when ingested."""

    async def use(knowledge: Any) -> list[tuple[str, Any]]:
        rows = []
        for name in _packs_of(knowledge, pack):
            documents = await knowledge.repository.documents(name)
            rows += [(name, documents[path]) for path in sorted(documents)]
        return rows

    table = Table("pack", "document", "title", "chunks", "ingested")
    for name, doc in _knowledge(use):
        table.add_row(
            name, doc.path, doc.title, str(doc.chunks), f"{doc.ingested_at:%Y-%m-%d %H:%M}"
        )
    console.print(table)


@knowledge_app.command("search")
def knowledge_search(
    question: Annotated[str, typer.Argument(help="what a customer asks")],
    pack: Annotated[str | None, typer.Option(help="the pack (default: the default pack)")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="passages to show")] = 5,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
) -> None:
    """The passages that best answer QUESTION, with their ranks (BM25, embeddings), fused
    score, section path and citation link."""
    import json
    from dataclasses import asdict

    from warmline.settings import get_settings

    name = pack or get_settings().default_pack

    async def use(knowledge: Any) -> list[Any]:
        _packs_of(knowledge, name)
        return list(await knowledge.search(name, question, k))

    passages = _knowledge(use)
    if output == "json":
        print(json.dumps([asdict(p) for p in passages], indent=2, ensure_ascii=False))
        return
    table = Table("#", "score", "bm25", "dense", "section", "text", "link")
    for rank, p in enumerate(passages, start=1):
        text = p.text if len(p.text) <= 160 else p.text[:157] + "..."
        table.add_row(
            str(rank), f"{p.score:.4f}", str(p.ranks.get("bm25", "-")),
            str(p.ranks.get("dense", "-")), p.section, text, p.url,
        )  # fmt: skip
    console.print(table)


if __name__ == "__main__":  # pragma: no cover
    app()
