"""Following a request: read the results queue until the request's documents are complete."""

from __future__ import annotations

import time
from collections.abc import Callable

from vodcancel.errors import CliError
from vodcancel.queue import ResultsQueue
from vodcancel.results import Assembler, RequestResults
from vodcancel.target import Target

POLL_SECONDS = 5
"""Longest single wait on the queue, so progress and the timeout are looked at between waits."""


def follow(
    target: Target,
    assembler: Assembler,
    *,
    queue: str,
    timeout: float,
    on_progress: Callable[[RequestResults], None] = lambda _: None,
) -> RequestResults:
    """Receive until ``assembler`` is complete; then delete the followed request's messages from the queue.

    Messages of other requests are left alone: they become visible again for whoever follows them.
    """
    results_queue = ResultsQueue(target, queue)
    deadline = time.monotonic() + timeout
    consumed: list[str] = []
    while not assembler.complete:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(target, assembler, timeout)
        for received in results_queue.receive(max(1, min(POLL_SECONDS, int(remaining)))):
            if assembler.add(received.document):
                consumed.append(received.receipt_handle)
                on_progress(assembler.request)  # type: ignore[arg-type]
    results_queue.delete(consumed)
    assert assembler.request is not None
    return assembler.request


def _timed_out(target: Target, assembler: Assembler, timeout: float) -> CliError:
    what = assembler.request.dedupe_key if assembler.request else (assembler.key or "any request")
    logs = (
        "look at the function's logs in the `make up` terminal or GET <control>/fc/invocations"
        if target.kind == "local"
        else "look at the function's logs (s logs), then run `vodcancel follow` again"
    )
    state = "some parts arrived" if assembler.request else "nothing arrived"
    return CliError(f"results for {what} incomplete after {timeout:.0f} s ({state})", logs)
