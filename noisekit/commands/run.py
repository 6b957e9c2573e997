"""`noisekit run`: execute a staged pipeline config, skipping stages that are up to date."""

from __future__ import annotations

import time

import click

from noisekit.commands.common import data_option, finish, locks_data
from noisekit.datadir import DataDir


@click.command("run")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@data_option
@click.option("--from", "start", metavar="STAGE", help="Start at this stage (earlier ones are not checked).")
@click.option("--to", "stop", metavar="STAGE", help="Stop after this stage.")
@click.option("--force", multiple=True, metavar="STAGE", help="Rerun this stage even if it is up to date (repeatable).")
@locks_data()
def run_command(config: str, data: DataDir, start: str | None, stop: str | None, force: tuple[str, ...]) -> None:
    """Run the pipeline CONFIG (see pipelines/*.toml) on --data.

    A stage is skipped when the manifests it reads, the files it names and its parameters are unchanged
    since it last succeeded, and the manifests it wrote are as it left them. Each stage logs to
    DIR/logs/<stage>.log. A stage whose items partly failed does not stop the run; the run exits 1 naming
    each failed item, and that stage runs again next time.
    """
    from noisekit.pipelines import stages  # noqa: F401  (registers the stage types)
    from noisekit.pipelines.runner import load_pipeline, run_pipeline

    pipeline = load_pipeline(config)
    started = time.perf_counter()
    outcomes = run_pipeline(pipeline, data, start, stop, force, echo=click.echo)
    ran = sum(o.status == "ran" for o in outcomes)
    report = data.root / "report" / "index.html"
    where = f"report: {report}" if report.exists() else f"data in {data.root}"
    failed = [f"{o.name}: {item}" for o in outcomes for item in o.failed]
    finish(
        f"pipeline '{pipeline.name}': {ran} stage(s) ran, {len(outcomes) - ran} skipped, {len(failed)} item(s) "
        f"failed, {time.perf_counter() - started:.1f} s; {where}",
        failed,
    )
