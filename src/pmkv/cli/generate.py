"""`pmkv generate`: write a realistic, valid, reproducible pm/ tree."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from pmkv.cli.context import console
from pmkv.generate import GenerateResult, generate_tree


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


def _summary(result: GenerateResult) -> str:
    megabytes = result.bytes_written / 1_000_000
    return (
        f"wrote {_count(result.stories, 'story', 'stories')} ({result.deleted:,} deleted, "
        f"{result.archived:,} archived) in {_count(result.epics, 'epic', 'epics')}, "
        f"{_count(result.projects, 'project', 'projects')}, "
        f"{_count(result.people, 'person', 'people')} to {escape(str(result.out))}: "
        f"{_count(result.files, 'file', 'files')}, {megabytes:.1f} MB, {result.elapsed_s:.1f} s "
        f"({result.stories_per_second:,.0f} stories/s, seed {result.seed})"
    )


@click.command("generate")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the pm/ tree into (must be empty, or use --force).",
)
@click.option("--projects", default=1, show_default=True, help="Number of projects.")
@click.option(
    "--epics",
    type=int,
    default=None,
    help="Epics per project [default: ~15, more when the stories need room].",
)
@click.option("--stories", default=500, show_default=True, help="Stories in total.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--force", is_flag=True, help="Replace an existing pm/ tree in --out.")
def generate_command(
    out: Path, projects: int, epics: int | None, stories: int, seed: int, force: bool
) -> None:
    """Write a realistic, valid pm/ tree (people, projects, epics, stories)."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("stories", total=stories)
        result = generate_tree(
            out,
            projects=projects,
            epics=epics,
            stories=stories,
            seed=seed,
            force=force,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(_summary(result), highlight=False)


def register(cli: click.Group) -> None:
    cli.add_command(generate_command)
