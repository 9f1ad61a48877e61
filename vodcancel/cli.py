"""The ``vodcancel`` command line (click): ``submit``, ``follow``, ``cancel``, ``status``.

Exit status: 0 every item has its outcome and none failed; 1 an error (one line on stderr saying what to do);
2 a usage error; 3 the function rejected the request; 4 some items failed (send them again).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from vodcancel import output, render, target
from vodcancel.errors import CliError
from vodcancel.queue import DEFAULT_QUEUE, ensure_subscription
from vodcancel.results import Assembler, RequestResults
from vodcancel.transports import VIAS, Submission, submit

EXIT_REJECTED, EXIT_FAILED_ITEMS = 3, 4


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vod-url-upload-canceller")
    except PackageNotFoundError:  # run from a checkout without `make setup`
        return "(not installed)"


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command takes: where the project is and which cloud to talk to."""
    options = [
        click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                     show_default=True, help="Directory holding s.yaml (names of topics, bucket, function)."),
        click.option("--target", "target_kind", type=click.Choice(["auto", "local", "cloud"]), default="auto",
                     show_default=True, help="auto: the local cloud if its endpoints file exists, else an account."),
        click.option("--endpoints-file", type=click.Path(dir_okay=False, path_type=Path),
                     help=f"The local cloud's endpoints file (default: PROJECT/{target.ENDPOINTS_FILE})."),
        click.option("--region", help="Region of a real account (default: s.yaml's region)."),
        click.option("--account-id", envvar="ALIBABA_CLOUD_ACCOUNT_ID",
                     help="Account ID of a real account, for MNS (env ALIBABA_CLOUD_ACCOUNT_ID)."),
        click.option("--profile", help="Profile of ~/.aliyun/config.json (default: the credential chain)."),
        click.option("--trigger-url", envvar="VOD_CANCEL_TRIGGER_URL",
                     help="The deployed HTTP trigger's URL (env VOD_CANCEL_TRIGGER_URL; `s info` shows it)."),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout, no progress bar."),
    ]  # fmt: skip

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        as_json = kwargs.pop("as_json")
        options = target.Options(
            project=kwargs.pop("project"),
            target=kwargs.pop("target_kind"),
            endpoints_file=kwargs.pop("endpoints_file"),
            region=kwargs.pop("region"),
            account_id=kwargs.pop("account_id"),
            profile=kwargs.pop("profile"),
            trigger_url=kwargs.pop("trigger_url"),
        )
        out, err = Console(quiet=as_json), Console(stderr=True, quiet=as_json)
        try:
            code = command(Context(options, as_json, out, err), **kwargs)
        except CliError as error:
            if as_json:
                print(json.dumps({"error": error.message, "hint": error.hint}), file=sys.stderr)
            else:
                print(error.line(), file=sys.stderr)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            sys.exit(130)
        sys.exit(code or 0)

    for option in reversed(options):
        run = option(run)
    return run


class Context:
    def __init__(self, options: target.Options, as_json: bool, out: Console, err: Console) -> None:
        self.options = options
        self.as_json = as_json
        self.out = out
        self.err = err
        self._target: target.Target | None = None

    @property
    def target(self) -> target.Target:
        if self._target is None:
            self._target = target.resolve(self.options)
        return self._target

    def emit(self, document: Any) -> None:
        if self.as_json:
            print(json.dumps(document, ensure_ascii=False))


def _read(file: str) -> tuple[bytes, str]:
    if file == "-":
        return sys.stdin.buffer.read(), "stdin"
    try:
        return Path(file).read_bytes(), Path(file).name
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}", "give a manifest file, or - for stdin") from None


def _send(ctx: Context, file: str, via: str, queue: str, subscribe: bool, **options: Any) -> Submission:
    payload, name = _read(file)
    if not payload.strip():
        raise CliError(f"{name} is empty", "a request lists job IDs or upload URLs, one a line (or JSON)")
    if subscribe:
        ensure_subscription(ctx.target, queue)  # before sending: MNS pushes only to existing subscriptions
    submission = submit(via, ctx.target, payload, name, **options)
    ctx.err.print(f"sent via {via} to the {ctx.target.kind} cloud: {submission.reference}", soft_wrap=True)
    return submission


def _finish(ctx: Context, results: RequestResults, out: Path | None) -> int:
    if out is not None:
        written = output.write_items(out, results)
        ctx.err.print(f"wrote {written} items to {out}", soft_wrap=True)
    ctx.emit(output.results_document(results))
    if results.rejection is not None:
        if not ctx.as_json:
            print(render.rejection_line(results), file=sys.stderr)
        return EXIT_REJECTED
    ctx.out.print(render.summary_table(results))
    for line in render.request_lines(results):
        ctx.out.print(line, soft_wrap=True, highlight=False)
    unread = results.head.get("Error")
    if isinstance(unread, dict) and not ctx.as_json:  # the rest of the manifest has no outcome: send it again
        print(f"not read to the end: {unread.get('Code')}: {unread.get('Message')}", file=sys.stderr)
    return EXIT_FAILED_ITEMS if results.counts.get("Failed") or isinstance(unread, dict) else 0


def _follow(ctx: Context, key: str | None, queue: str, timeout: float) -> RequestResults:
    from vodcancel.follow import follow

    assembler = Assembler(key)
    with render.progress(ctx.err, "results") as update:
        return follow(ctx.target, assembler, queue=queue, timeout=timeout, on_progress=update)


def _from_reply(ctx: Context, submission: Submission) -> RequestResults:
    assembler = Assembler(submission.dedupe_key)
    assembler.add(submission.reply or {})
    if not assembler.complete:
        raise CliError("the HTTP trigger's reply is not a complete results document", "see the function's logs")
    assert assembler.request is not None
    return assembler.request


via_option = click.option(
    "--via", type=click.Choice(VIAS), default="oss", show_default=True,
    help="oss: a manifest object; mns: a message on the request topic; http: the HTTP trigger.",
)  # fmt: skip
queue_option = click.option("--queue", default=DEFAULT_QUEUE, show_default=True,
                            help="Your queue on the results topic (created and subscribed if missing).")  # fmt: skip
timeout_option = click.option("--timeout", type=float, default=900, show_default=True,
                              help="Seconds to wait for the complete results.")  # fmt: skip
out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                          help="Write every item to results.json or results.csv.")  # fmt: skip
key_option = click.option("--key", help="--via oss: the object key (default: PREFIX<time>-<file>SUFFIX).")
idempotency_option = click.option("--idempotency-key", help="--via http: the Idempotency-Key (default: a new one).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), message="vodcancel %(version)s")
def cli() -> None:
    """Cancel pending ApsaraVideo VOD URL-upload jobs through the canceller function, and follow the results.

    Talks to the local cloud when `make up` runs (its .localcloud.json exists), else to your Alibaba Cloud account
    with the default credential chain.
    """


@cli.command("submit")
@click.argument("file")
@via_option
@key_option
@idempotency_option
@queue_option
@click.option("--subscribe/--no-subscribe", default=True, show_default=True,
              help="Make sure --queue receives the results first, so `follow` finds them.")  # fmt: skip
@target_options
def submit_command(ctx: Context, file: str, via: str, key: str | None, idempotency_key: str | None, queue: str,
                   subscribe: bool) -> int:  # fmt: skip
    """Send FILE (a manifest: one job ID or upload URL a line, or JSON; - for stdin) and print its DedupeKey."""
    submission = _send(ctx, file, via, queue, subscribe, key=key, idempotency_key=idempotency_key)
    ctx.emit({"Via": via, "DedupeKey": submission.dedupe_key, "Reference": submission.reference,
              "RequestId": submission.request_id})  # fmt: skip
    ctx.out.print(f"DedupeKey {submission.dedupe_key}", soft_wrap=True)
    ctx.out.print(f"follow the results with: vodcancel follow '{submission.dedupe_key}'", soft_wrap=True)
    return 0


@cli.command("follow")
@click.argument("key", required=False)
@queue_option
@timeout_option
@out_option
@target_options
def follow_command(ctx: Context, key: str | None, queue: str, timeout: float, out: Path | None) -> int:
    """Read the results of KEY (a DedupeKey or RequestId; default: the next request) until every item is in."""
    output.check_out_path(out)
    ensure_subscription(ctx.target, queue)
    return _finish(ctx, _follow(ctx, key, queue, timeout), out)


@cli.command("cancel")
@click.argument("file")
@via_option
@key_option
@idempotency_option
@queue_option
@timeout_option
@out_option
@target_options
def cancel_command(ctx: Context, file: str, via: str, key: str | None, idempotency_key: str | None, queue: str,
                   timeout: float, out: Path | None) -> int:  # fmt: skip
    """Submit FILE, then follow its results to the end: a progress bar, then a table per outcome."""
    output.check_out_path(out)
    submission = _send(ctx, file, via, queue, via != "http", key=key, idempotency_key=idempotency_key)
    if submission.reply is not None:
        return _finish(ctx, _from_reply(ctx, submission), out)
    return _finish(ctx, _follow(ctx, submission.dedupe_key, queue, timeout), out)


@cli.command("status")
@click.argument("items", nargs=-1, required=True)
@target_options
def status_command(ctx: Context, items: tuple[str, ...]) -> int:
    """Show VOD's status of jobs, by JOB_ID or upload URL (every job of a URL)."""
    from vodcancel.status import lookup

    rows = lookup(ctx.target, list(items))
    ctx.emit([{"JobId": r.job_id, "UploadURL": r.url, "Status": r.status, "CreationTime": r.created} for r in rows])
    ctx.out.print(render.status_table(rows))
    return 0


def main() -> None:
    cli(prog_name="vodcancel")
