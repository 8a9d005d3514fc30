"""`ictbench`: run the benchmark, make demo data, and let controllers check a file before delivering."""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipelines.cli.exit_codes import ExitCode
from pipelines.run_history.instance import dagster_home_dir, ensure_dagster_home
from pipelines.settings import (
    DATA_RAW_ENV,
    DBT_EXECUTABLE,
    REPO_ROOT,
    WAREHOUSE_ENV,
    Paths,
    default_paths,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
# a pipe or CI log gets a wide table, unless COLUMNS says how wide
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
errors = Console(stderr=True)

DataRawOption = Annotated[
    Path | None,
    typer.Option("--data-raw", help=f"Drop zone (default ${DATA_RAW_ENV} or ./data_raw)."),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", help=f"Warehouse folder (default ${WAREHOUSE_ENV} or ./warehouse)."
    ),
]


def _paths(data_raw: Path | None, warehouse: Path | None) -> Paths:
    defaults = default_paths()
    return Paths(
        data_raw=(data_raw or defaults.data_raw).resolve(),
        warehouse=(warehouse or defaults.warehouse).resolve(),
    )


def ensure_pseudonym_key(paths: Paths) -> None:
    """`make run` works out of the box: without a key in the environment, a local one is made."""
    from pipelines.readers.pseudonymise import KEY_ENV_VAR, NEW_KEY_NOTICE, ensure_local_key

    if os.environ.get(KEY_ENV_VAR):
        return
    _, created = ensure_local_key(paths.pseudonym_key_file)
    if created:
        console.print(
            "[yellow]"
            + NEW_KEY_NOTICE.format(path=paths.pseudonym_key_file, env_var=KEY_ENV_VAR)
            + "[/yellow]"
        )


FULL_REFRESH = {
    "ops": {
        "benchmark_models": {"config": {"full_refresh": True}},
        "published_benchmark": {"config": {"fresh": True}},
    }
}


@app.command()
def run(
    data_raw: DataRawOption = None,
    warehouse: WarehouseOption = None,
    debug: Annotated[bool, typer.Option(help="Show Dagster's log and tracebacks.")] = False,
    verbose: Annotated[
        bool, typer.Option(help="Show dbt's log instead of writing it to warehouse/logs/.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            help="Re-check every delivered partition and rebuild the dbt models whole, "
            "not only what changed since the last run."
        ),
    ] = False,
) -> None:
    """Ingest new and changed deliveries, build the mart with dbt, publish it and print the benchmark.

    Exit code 0: published (or already up to date), every delivery accepted; 1: not published,
    the previous mart stays; 2: nothing ran (no drop zone, a reference file missing); 3: published,
    with deliveries rejected, partially accepted or refused (listed at the end)."""
    from pipelines.cli.preflight import drop_zone_problem, reference_problem
    from pipelines.publish import up_to_date
    from pipelines.transform import dbt_server

    paths = _paths(data_raw, warehouse)
    given = data_raw is not None or DATA_RAW_ENV in os.environ
    if problem := drop_zone_problem(paths, given=given) or reference_problem(paths):
        errors.print(problem, style="red", soft_wrap=True, highlight=False)
        raise typer.Exit(ExitCode.USAGE)
    # taken before the run: a file changed while it runs makes the next run a real one
    inputs = up_to_date.inputs_fingerprint(paths)
    if not full and (last := up_to_date.unchanged_since_last_run(paths, inputs)):
        raise typer.Exit(_nothing_changed(paths, last, warehouse_given=warehouse is not None))
    up_to_date.forget(paths)
    # Dagster stops its log-tailing helpers with SIGTERM; started under nohup or from a script
    # that ignores it, they would outlive the run and hold its output open.
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # dbt imports on another core while this process imports Dagster and plans the run
    dbt_server.start(DBT_EXECUTABLE)
    import dagster as dg

    from pipelines.cli.failures import run_warnings, step_failures
    from pipelines.cli.run_log import to_run_log
    from pipelines.cli.run_summary import RunSummary, problems
    from pipelines.report.console import print_latest_year
    from pipelines.transform.manifest import prepare_manifest

    ensure_dagster_home(paths)
    ensure_pseudonym_key(paths)
    with console.status("Preparing the dbt manifest"):
        prepare_manifest()
    from pipelines.cli.progress import run_with_progress

    verbose = verbose or debug
    with (
        dg.DagsterInstance.get() as instance,
        to_run_log(paths.run_log, console, verbose=verbose),
    ):
        # the run is in the Dagster UI in full; the terminal gets progress and a summary
        result = run_with_progress(
            paths,
            instance,
            console,
            every_partition=full,
            show_output=verbose,
            run_config=FULL_REFRESH if full else None,
            log_level="DEBUG" if debug else "CRITICAL",
            raise_on_error=debug,
        )
        if not debug:  # debug printed them as they came
            for warning in run_warnings(instance, result.run_id):
                console.print(warning, style="yellow", soft_wrap=True, highlight=False)
    _report_checks(result)
    wrote_table = bool(result.asset_materializations_for_node("load_results"))
    summary = RunSummary(
        published=result.success, problems=problems(paths, table_is_current=wrote_table)
    )
    status_command = _status_command(paths, warehouse_given=warehouse is not None)
    if result.success:
        up_to_date.remember(paths, inputs, result.run_id, map(asdict, summary.problems))
        count = print_latest_year(paths.published_db, console)
        if result.asset_materializations_for_node("published_benchmark"):
            console.print(f"Published {paths.published_db} ({count} municipality-years).")
        else:
            console.print(
                f"Nothing landed changed since the published build: {paths.published_db} "
                f"({count} municipality-years) is as it was."
            )
    for line in summary.lines(status_command):
        console.print(line, style="yellow", soft_wrap=True, highlight=False)
    if not result.success:
        for step, cause in step_failures(result.all_events):
            errors.print(
                f"step {step} failed: {cause}", style="red", soft_wrap=True, highlight=False
            )
        errors.print(
            "Not published: the published mart was left as it was. Mend the cause above and run "
            "`ictbench run` again (`--debug` shows the traceback).",
            soft_wrap=True,
            highlight=False,
        )
        if not verbose:
            errors.print(f"What dbt printed: {paths.run_log}", soft_wrap=True, highlight=False)
    raise typer.Exit(summary.exit_code)


def _status_command(paths: Paths, *, warehouse_given: bool) -> str:
    return "ictbench status" + (f" --warehouse {paths.warehouse}" if warehouse_given else "")


def _nothing_changed(paths: Paths, last, *, warehouse_given: bool) -> ExitCode:
    """What a run with nothing new prints: the benchmark as published and the last run's refusals,
    which still stand (their files are as they were)."""
    from pipelines.cli.run_summary import Problem, RunSummary
    from pipelines.report.console import print_latest_year

    count = print_latest_year(paths.published_db, console)
    console.print(
        f"Nothing changed since run {last.run_id[:8]} finished ({last.finished}): "
        f"{paths.published_db} ({count} municipality-years) is as it was; no run was started "
        "(`--full` runs one anyway).",
        soft_wrap=True,
        highlight=False,
    )
    summary = RunSummary(published=True, problems=[Problem(**p) for p in last.problems])
    for line in summary.lines(_status_command(paths, warehouse_given=warehouse_given)):
        console.print(line, style="yellow", soft_wrap=True, highlight=False)
    return summary.exit_code


# the run summary lists the deliveries behind this check, each with its reason
SUMMARISED_CHECKS = {"deliveries_meet_contract"}


def _report_checks(result) -> None:
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.check_name not in SUMMARISED_CHECKS:
            console.print(
                f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                "did not pass (the Dagster UI has its details)",
                style="yellow",
                highlight=False,
            )


@app.command("dagster-home", hidden=True)
def dagster_home(warehouse: WarehouseOption = None) -> None:
    """Prepare the warehouse's Dagster instance and print its folder (used by `make dev`)."""
    typer.echo(ensure_dagster_home(_paths(None, warehouse)))


@app.command()
def publish(
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Put the previous version back.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Roll the published mart back to the version before it (the last 3 are kept)."""
    from pipelines.publish.publish import rollback as roll_back

    if not rollback:
        errors.print("Publishing happens at the end of `ictbench run`; use --rollback to go back.")
        raise typer.Exit(2)
    paths = _paths(None, warehouse)
    try:
        restored = roll_back(paths.published_db)
    except FileNotFoundError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"Rolled back: {paths.published_db} is now the version of {restored.name}.")


LangOption = Annotated[str, typer.Option("--lang", help="nl (default) or en.")]


@app.command()
def report(
    code: Annotated[
        str | None, typer.Argument(help="CBS code, e.g. GM0363; none: the whole site.")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Fiscal year (default: the latest).")
    ] = None,
    out: Annotated[Path | None, typer.Option("-o", help="The HTML file for one page.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder (default warehouse/report/).")
    ] = None,
    lang: LangOption = "nl",
    warehouse: WarehouseOption = None,
) -> None:
    """Write a self-contained HTML report from the published mart: one page or the whole site."""
    from pipelines.report.commands import ReportError
    from pipelines.report.commands import report as write_report

    paths = _paths(None, warehouse)
    try:
        write_report(paths.published_db, code, year, out, out_dir, lang, console)
    except ReportError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error


@app.command()
def status(warehouse: WarehouseOption = None) -> None:
    """Last run, deliveries accepted / partially accepted / rejected, and the published version."""
    from pipelines.cli.status import status as show_status

    paths = _paths(None, warehouse)
    show_status(paths, dagster_home_dir(paths), console)


@app.command()
def show(
    code: Annotated[
        str | None, typer.Argument(help="CBS code, e.g. GM0363; none: every municipality.")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this fiscal year.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table (default), or csv / json for scripts.")
    ] = "table",
    warehouse: WarehouseOption = None,
) -> None:
    """Print the published benchmark, all of it or one municipality (and year)."""
    from pipelines.report.console import print_benchmark, write_benchmark

    paths = _paths(None, warehouse)
    if output_format not in ("table", "csv", "json"):
        errors.print(f"--format {output_format}: use table, csv or json.")
        raise typer.Exit(2)
    if not paths.published_db.exists():
        errors.print(f"No published mart at {paths.published_db}: run `ictbench run` first.")
        raise typer.Exit(2)
    code = code.upper() if code else None
    if output_format == "table":
        count = print_benchmark(paths.published_db, console, code, year)
    else:
        count = write_benchmark(paths.published_db, sys.stdout, output_format, code, year)
    if count == 0 and (code or year):
        wanted = " ".join(str(part) for part in (code, year) if part)
        errors.print(f"{wanted} is not in the published benchmark.")
        raise typer.Exit(1)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="Where to write the drop zone.")] = REPO_ROOT
    / "data_raw",
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same bytes.")
    ] = 2024,
    scale: Annotated[
        float | None,
        typer.Option(
            help="National scale instead of the demo: all 342 municipalities, volumes by "
            "inhabitants; 1 is about 10 million ledger lines (2 GB). Write it outside the "
            "repository."
        ),
    ] = None,
    years: Annotated[
        int,
        typer.Option(
            help="With --scale: this many consecutive fiscal years up to 2024, with mergers on "
            "their real dates, re-deliveries of earlier years and a tenth of the deliveries "
            "rejected."
        ),
    ] = 1,
) -> None:
    """Write the demo deliveries and reference data (deterministic)."""
    from pipelines.cli.demo_summary import describe

    if scale is None:
        from pipelines.demo.generate import write_demo

        ledger_lines = write_demo(out, seed=seed)["ledger_lines"]
    else:
        from pipelines.demo.national import write_national

        if scale <= 0:
            errors.print("--scale must be above 0.")
            raise typer.Exit(2)
        if out.resolve().is_relative_to(REPO_ROOT):
            errors.print(f"{out} is inside the repository; national data goes elsewhere (--out).")
            raise typer.Exit(2)
        if years < 1:
            errors.print("--years must be 1 or more.")
            raise typer.Exit(2)
        if years == 1:
            ledger_lines = write_national(out, scale=scale, seed=seed)["ledger_lines"]
        else:
            from pipelines.demo.history import write_history

            ledger_lines = write_history(out, scale=scale, years=years, seed=seed)["ledger_lines"]
    for line in describe(out, ledger_lines):
        console.print(line, highlight=False, soft_wrap=True)


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Delivery files, e.g. GM0363/2024/ledger.csv")
    ],
    municipality: Annotated[
        str | None,
        typer.Option("--municipality", help="CBS code of a file outside the layout (GM0363)."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Fiscal year of a file outside the layout (an XAF says it)."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Kind of a file whose name does not say it (assets, ...)."),
    ] = None,
    data_raw: DataRawOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Check files against the data contract without touching the warehouse.

    A file in the drop-zone layout (GM0363/2024/ledger.csv) says what it is; another one needs
    --municipality, --year and, unless its name says it, --kind. The municipality list and the
    delivery profile are those of the drop zone the file is in, or of --data-raw.

    Exit code 0: every file accepted; 1: a file rejected or partially accepted; 2: usage error.
    """
    from pipelines.ingest.validate import Given, validate_files

    given = Given(municipality.upper() if municipality else None, year, kind)
    try:
        results = validate_files(paths, given, data_raw.resolve() if data_raw else None)
    except ValueError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if as_json:
        sys.stdout.write(
            json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
        )
    else:
        from pipelines.cli.validate_output import print_results

        print_results(results, console)
    raise typer.Exit(0 if all(r.status == "accepted" for r in results) else 1)


profile_app = typer.Typer(
    no_args_is_help=True,
    help="A municipality's delivery profile: its own headers, words and sheet.",
)
app.add_typer(profile_app, name="profile")


@profile_app.command("suggest")
def profile_suggest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="A municipality folder (data_raw/deliveries/GM0363: the newest year's file of "
            "every kind) or delivery files."
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="The kind of a file not named assets, training, ledger or applications: one "
            "of those.",
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write", help="Write it as delivery_profile.yml into the municipality folder."
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="With --write: replace an existing profile (its lines are kept)."
        ),
    ] = False,
) -> None:
    """Propose a delivery profile (YAML) from a municipality's files: the columns and words the
    built-in vocabularies do not know, each guess with its reason, the rest for you to fill in.

    Exit code 0: proposed (and written, with --write); 1: a file or the existing profile cannot
    be read; 2: usage error. Without --write nothing is written anywhere.
    """
    from rich.markup import escape

    from pipelines.contract.errors import DeliveryRejected
    from pipelines.ingest.profile_suggest import UsageError, suggest, write_profile
    from pipelines.ingest.profile_yaml import render

    try:
        suggestion = suggest(paths, kind)
    except UsageError as error:
        errors.print(f"[red]{escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from error
    except DeliveryRejected as error:  # the existing profile cannot be read
        _print_rejected(error, escape)
        raise typer.Exit(1) from error
    text = render(suggestion)
    sys.stdout.write(text)
    for error in suggestion.errors:
        _print_rejected(error, escape)
    if suggestion.errors:
        if write:
            errors.print("Nothing written: mend the file above and run it again.", soft_wrap=True)
        raise typer.Exit(1)
    if write:
        try:
            written = write_profile(suggestion, text, force=force)
        except UsageError as error:
            errors.print(f"[red]{escape(str(error))}[/red]", soft_wrap=True)
            raise typer.Exit(2) from error
        errors.print(f"Written: {escape(str(written))}", soft_wrap=True)


def _print_rejected(error, escape) -> None:
    hint = f"\n  {escape(error.hint)}" if error.hint else ""
    errors.print(f"[red]{escape(error.describe())}[/red]{hint}", soft_wrap=True)


@app.command("contract-doc")
def contract_doc() -> None:
    """Rewrite the category and rules tables of docs/data-contract.md from the seed and the suites."""
    from pipelines.contract.contract_doc import DOC, update

    changed = update()
    console.print(f"{DOC}: {'updated' if changed else 'already up to date'}")


def main() -> None:
    """The `ictbench` command. At exit, the millions of objects of the loaded Dagster, dbt and
    pandas code are left out of Python's last garbage collection: it took 0.7 s of every run
    and frees nothing the operating system would not."""
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
