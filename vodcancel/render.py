"""What a person sees: a progress bar while results arrive, then tables (rich). Output for scripts is in
:mod:`vodcancel.output`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vodcancel.results import OUTCOMES, ItemResult, RequestResults
from vodcancel.status import JobStatus

STYLES = {"Canceled": "green", "NonExists": "yellow", "NotCancellable": "cyan", "Failed": "red", "NotFound": "yellow"}
LABELS = {
    "Canceled": "cancelled",
    "NonExists": "not found",
    "NotCancellable": "not cancellable",
    "Failed": "failed",
}
EXAMPLES = 3


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@contextmanager
def progress(console: Console, description: str) -> Iterator[Any]:
    """A bar of items done out of requested; yields ``update(results)``. Disabled when ``console`` is quiet."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("items"),
        TimeElapsedColumn(),
        console=console,
        disable=console.quiet,
    )
    task = bar.add_task(description, total=None)

    def update(results: RequestResults) -> None:
        bar.update(task, total=results.total, completed=results.done)

    with bar:
        yield update


def _detail(item: ItemResult) -> str:
    if item.outcome == "Canceled" and item.job_ids != (item.item,):
        return f"{_short(item.item)} → {', '.join(item.job_ids)}"
    if item.outcome == "NotCancellable":
        return f"{_short(item.item)} ({item.status})"
    if item.outcome == "Failed":
        return f"{_short(item.item)} ({item.code})"
    return _short(item.item)


def summary_table(results: RequestResults) -> Table:
    """One row an outcome: how many items, and the first few of them."""
    head = results.head
    table = Table(title=f"Results of the {head.get('Source', '?')} request", title_justify="left")
    table.add_column("outcome")
    table.add_column("items", justify="right")
    table.add_column("for example")
    items = results.items()
    counts = results.counts
    for outcome in OUTCOMES:
        of_kind = [item for item in items if item.outcome == outcome]
        count = counts.get(outcome, len(of_kind))
        more = f"\n… and {count - EXAMPLES} more" if count > EXAMPLES else ""
        examples = "\n".join(_detail(item) for item in of_kind[:EXAMPLES]) + more
        table.add_row(f"[{STYLES[outcome]}]{LABELS[outcome]}[/]", str(count), examples)
    table.add_section()
    table.add_row("requested", str(counts.get("Requested", len(items))), "")
    return table


def request_lines(results: RequestResults) -> list[str]:
    """The ids to quote when asking about the request (printed unwrapped below the table)."""
    return [f"DedupeKey {results.dedupe_key}", f"RequestId {results.head.get('RequestId', '')}"]


def rejection_line(results: RequestResults) -> str:
    error = (results.rejection or {}).get("Error") or {}
    return f"rejected: {error.get('Code')}: {error.get('Message')}"


def status_table(rows: list[JobStatus]) -> Table:
    table = Table(title="VOD URL-upload jobs", title_justify="left")
    table.add_column("job", no_wrap=True)
    table.add_column("URL", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("created", no_wrap=True)
    for row in rows:
        style = STYLES.get(row.status, "")
        status = f"[{style}]{row.status}[/]" if style else row.status
        table.add_row(row.job_id or "-", row.url or "-", status, row.created or "-")
    return table
