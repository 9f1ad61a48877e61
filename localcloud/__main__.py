"""``python -m localcloud up | invoke | demo | package``: run the local cloud, call the function through it, or build
the function's code package.

``up`` starts VOD, MNS, OSS and FC from ``s.yaml``, seeds this project's demo jobs and sample manifest (the ones
``events/`` names; ``--no-seed`` starts empty), prints the endpoints, the demo credentials and commands to try,
writes the endpoints file (the keys of :meth:`LocalCloud.endpoints`) once everything listens, and runs until
SIGINT/SIGTERM.
``invoke`` sends an event with the official ``aliyun-fc2`` SDK to a running cloud (found through the endpoints
file) or, if none is running, to one started in-process for the call; it prints the result and the function's logs.
The function runs from its code package (``package`` builds it, and the others rebuild it when the sources changed);
``--source`` runs the development tree with the development environment instead, for a quick edit loop.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported on use below: `--help` and `invoke` against a running cloud stay light
    from localcloud.cloud import LocalCloud

DEFAULT_ENDPOINTS_FILE = ".localcloud.json"


# -- arguments ------------------------------------------------------------------------------------------------
def parse_fault(spec: str) -> Any:
    """``SERVICE:OPERATION:key=value,...`` → FaultRule (``vod:CancelUrlUploadJobs:error_code=Throttling,count=3``)."""
    from localcloud.faults import FaultRule

    parts = spec.split(":", 2)
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"fault {spec!r}: expected SERVICE:OPERATION[:key=value,...]")
    fields = {f.name: f for f in dataclasses.fields(FaultRule) if f.name not in ("service", "operation", "hits")}
    values: dict[str, Any] = {}
    for item in filter(None, (parts[2] if len(parts) == 3 else "").split(",")):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise argparse.ArgumentTypeError(f"fault {spec!r}: {item!r} is not one of {sorted(fields)}=value")
        kind = str(fields[key].type)
        try:
            values[key] = float(raw) if "float" in kind else int(raw) if "int" in kind else raw
        except ValueError:
            raise argparse.ArgumentTypeError(f"fault {spec!r}: {key} needs a number, got {raw!r}") from None
    return FaultRule(service=parts[0] or "*", operation=parts[1] or "*", **values)


def parse_quota_rule(spec: str) -> tuple[str | None, Any]:
    """``[ACTION=]window|bucket|bucket:BURST`` → (action or None for every API, QuotaRule)."""
    from localcloud.vod.models import DEFAULT_QUOTAS, QuotaRule

    action, _, rule = spec.rpartition("=")
    if action and action not in DEFAULT_QUOTAS:
        raise argparse.ArgumentTypeError(f"quota rule {spec!r}: {action!r} is not one of {sorted(DEFAULT_QUOTAS)}")
    try:
        return action or None, QuotaRule.parse(rule)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def quota_rules(specs: list[tuple[str | None, Any]]) -> dict[str, Any]:
    """The VOD backend's ``quota_rules`` from ``--vod-quota-rule`` options: later ones win, per API or for all."""
    from localcloud.vod.models import DEFAULT_QUOTAS

    rules: dict[str, Any] = {}
    for action, rule in specs:
        rules.update({name: rule for name in ([action] if action else DEFAULT_QUOTAS)})
    return rules


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description="Run the local Alibaba cloud (VOD, MNS, OSS, FC) from s.yaml, or invoke the function through it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the local cloud until Ctrl-C")
    up.add_argument("--project", default=".", help="directory holding s.yaml (default: .)")
    up.add_argument(
        "--endpoints-file", help=f"where to write the endpoints JSON (default: PROJECT/{DEFAULT_ENDPOINTS_FILE})"
    )
    up.add_argument("--region", default=None, help="region id (default: cn-shanghai)")
    up.add_argument("--seed", type=int, default=None, help="seed for fault decisions (replayable runs)")
    up.add_argument(
        "--fault", action="append", type=parse_fault, default=[], metavar="SERVICE:OP:key=value,...",
        help="inject a fault, e.g. vod:CancelUrlUploadJobs:error_code=Throttling.User,count=3 (repeatable)",
    )  # fmt: skip
    up.add_argument(
        "--vod-quota-rule", action="append", type=parse_quota_rule, default=[], metavar="[ACTION=]RULE",
        help="how VOD counts its quotas: window (default: at most N calls in any second), bucket (a token bucket, "
        "N/s, burst N) or bucket:BURST; for every API or one, e.g. CancelUrlUploadJobs=bucket:20 (repeatable)",
    )  # fmt: skip
    up.add_argument("--env", action="append", type=_key_value, default=[], metavar="KEY=VALUE",
                    help="override a function environment variable (repeatable)")  # fmt: skip
    _add_code_option(up)
    up.add_argument("--no-seed", dest="seed_demo", action="store_false",
                    help="start empty (default: the demo's jobs and sample manifest, as events/ expect)")  # fmt: skip

    invoke = commands.add_parser("invoke", help="invoke the function with an event file through aliyun-fc2")
    invoke.add_argument("event", help="event file (bytes sent as-is); - reads stdin")
    invoke.add_argument("--async", dest="is_async", action="store_true", help="x-fc-invocation-type: Async")
    invoke.add_argument("--project", default=".", help="directory holding s.yaml (default: .)")
    invoke.add_argument("--endpoints-file", help="a running cloud's endpoints file (default: PROJECT/.localcloud.json)")
    _add_code_option(invoke)

    demo = commands.add_parser("demo", help="drive all three triggers against a fresh local cloud")
    demo.add_argument("args", nargs=argparse.REMAINDER)

    package = commands.add_parser("package", help="build the code package `s deploy` uploads (dist/<function>.zip)")
    package.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _add_code_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source", dest="code", action="store_const", const="source", default=None,
        help="run the function from the development tree and environment, not from its code package",
    )  # fmt: skip


# -- up -------------------------------------------------------------------------------------------------------
def write_endpoints(path: Path, endpoints: dict[str, str]) -> None:
    """Atomically: a reader sees no file or the whole file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(endpoints, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _banner(cloud: LocalCloud, endpoints_file: Path) -> str:
    e = cloud.endpoints()
    return "\n".join(
        [
            f"Local Alibaba Cloud for {cloud.fc.service_name} (region {e['region']}, account {e['account_id']})",
            f"  VOD           {e['vod']}",
            f"  MNS           {e['mns']}",
            f"  OSS           {e['oss']}",
            f"  FC            {e['fc']}   (aliyun-fc2: service {e['fc_service']!r}, function {e['fc_function']!r})",
            f"  HTTP trigger  {e['http_trigger']}   (also as Host: {_trigger_domain(cloud)})",
            f"  control       {e['control']}   (GET /state, POST /reset, ...)",
            f"The function runs from {cloud.fc.code.describe()}.",
            _role_line(cloud),
            "Demo credentials (accepted only by this local cloud):",
            f"  AccessKeyId     {e['access_key_id']}",
            f"  AccessKeySecret {e['access_key_secret']}",
            f"Endpoints written to {endpoints_file}. Press Ctrl-C to stop.",
        ]
    )


def _role_line(cloud: LocalCloud) -> str:
    policy = cloud.fc.role_policy
    if policy is None:
        return "Its role credentials are not restricted (no role policy: see localcloud/README.md, RAM policies)."
    return f"Its role credentials are held to {policy.name} ({len(policy.statements)} statements) by every service."


def _trigger_domain(cloud: LocalCloud) -> str:
    from localcloud.fc.trigger_gate import trigger_domain

    return trigger_domain(cloud.account_id, cloud.region, cloud.fc.function_name)


def cmd_up(args: argparse.Namespace) -> int:
    from localcloud.cloud import DEFAULT_REGION, LocalCloud

    project = Path(args.project).resolve()
    endpoints_file = Path(args.endpoints_file or project / DEFAULT_ENDPOINTS_FILE).resolve()
    # The handler only appends to a list: a handler that took a lock (Event.set) could interrupt the main thread
    # while it holds that same lock inside Event.wait, and deadlock.
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _frame: received.append(signum))
    cloud = LocalCloud(
        project,
        region=args.region or DEFAULT_REGION,
        seed=args.seed,
        function_env=dict(args.env),
        code=args.code,
        vod_quota_rules=quota_rules(args.vod_quota_rule),
    )
    for rule in args.fault:
        cloud.faults.add(rule)
    cloud.start()
    seeded = args.seed_demo and _seed_demo_state(cloud, project)
    endpoints = cloud.endpoints()
    try:
        write_endpoints(endpoints_file, endpoints)
        print(_banner(cloud, endpoints_file), flush=True)
        if seeded:
            print(_next_steps(cloud), flush=True)
        while not received:
            time.sleep(0.2)
        print("Stopping the local cloud...", flush=True)
    finally:
        cloud.stop()
        _remove_if_ours(endpoints_file, endpoints)
    return 0


def _remove_if_ours(path: Path, endpoints: dict[str, str]) -> None:
    """Remove the endpoints file unless another ``up`` has replaced it since."""
    try:
        if json.loads(path.read_text(encoding="utf-8")) == endpoints:
            path.unlink()
    except (OSError, ValueError):
        pass


# -- invoke ---------------------------------------------------------------------------------------------------
def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def _running_cloud(path: Path, explicit: bool) -> dict[str, str] | None:
    """A running cloud's endpoints, or None. A stale default file is ignored; a stale explicit one is an error."""
    if not path.exists():
        if explicit:
            raise SystemExit(f"error: endpoints file {path} does not exist (is `python -m localcloud up` running?)")
        return None
    try:
        endpoints = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: cannot read endpoints file {path}: {exc}") from None
    if _reachable(endpoints.get("fc", "")):
        return endpoints
    if explicit:
        raise SystemExit(f"error: the cloud in {path} does not answer (stale file?)")
    print(f"note: ignoring stale {path}; starting an in-process cloud", file=sys.stderr)
    return None


def _http_json(url: str, data: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    body = None if data is None else json.dumps(data).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if response.headers.get_content_type() == "application/json" else raw.decode()


def _pretty(data: bytes) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def invoke_function(
    endpoints: dict[str, str],
    event: bytes,
    *,
    is_async: bool,
    wait_idle: Callable[[], None],
    records: Callable[[str], list[dict[str, Any]]],
) -> int:
    """Invoke through aliyun-fc2 as any client would; print the result to stdout and the logs to stderr."""
    import fc2

    client = fc2.Client(
        endpoint=endpoints["fc"], accessKeyID=endpoints["access_key_id"], accessKeySecret=endpoints["access_key_secret"]
    )
    headers = {"x-fc-invocation-type": "Async"} if is_async else {}
    status = 0
    try:
        response = client.invoke_function(
            endpoints["fc_service"], endpoints["fc_function"], payload=event, headers=headers
        )
        request_id = response.headers.get("x-fc-request-id", "")
        if is_async:
            print(f"accepted: request id {request_id}; waiting for the function...", file=sys.stderr, flush=True)
            wait_idle()
        else:
            print(_pretty(response.data), flush=True)
    except fc2.FcError as error:
        request_id = error.request_id
        print(_pretty(str(error.message).encode("utf-8")), flush=True)
        status = 1
    attempts = records(request_id)
    for attempt in attempts:
        tail = f" ({attempt['error'].get('errorType')})" if attempt.get("error") else ""
        print(f"--- attempt {attempt['attempt']}: {attempt['status']}{tail}, {attempt['duration_ms']:.0f} ms, "
              f"cold start: {attempt['cold_start']} ---", file=sys.stderr)  # fmt: skip
        if is_async and attempt is attempts[-1]:
            print(_pretty(attempt["result"].encode()) if attempt["status"] == "succeeded" else "", flush=True)
            status = 0 if attempt["status"] == "succeeded" else 1
        sys.stderr.write(attempt["logs"])
    sys.stderr.flush()
    return status


def cmd_invoke(args: argparse.Namespace) -> int:
    event = sys.stdin.buffer.read() if args.event == "-" else Path(args.event).read_bytes()
    project = Path(args.project).resolve()
    explicit = args.endpoints_file is not None
    endpoints = _running_cloud(Path(args.endpoints_file or project / DEFAULT_ENDPOINTS_FILE), explicit)
    if endpoints is not None:
        control = endpoints["control"]

        def remote_records(request_id: str) -> list[dict[str, Any]]:
            return [r for r in _http_json(f"{control}/fc/invocations") if r["request_id"] == request_id]

        return invoke_function(
            endpoints,
            event,
            is_async=args.is_async,
            wait_idle=lambda: _http_json(f"{control}/wait-idle", {"timeout": 600}, timeout=610),
            records=remote_records,
        )
    from localcloud.cloud import LocalCloud

    with LocalCloud(project, code=args.code) as cloud:
        _seed_demo_state(cloud, project)
        return invoke_function(
            cloud.endpoints(),
            event,
            is_async=args.is_async,
            wait_idle=lambda: cloud.fc.wait_idle(timeout=600),
            records=lambda rid: [r.to_dict() for r in cloud.fc.invocations(request_id=rid)],
        )


def _seed_demo_state(cloud: LocalCloud, project: Path) -> bool:
    """For this repository's own project, seed the demo jobs and manifest the sample ``events/`` refer to."""
    try:
        from localcloud import demo
    except ImportError:
        return False
    if project != Path(demo.PROJECT_DIR).resolve():
        return False
    demo.seed_demo(cloud)
    return True


def _next_steps(cloud: LocalCloud) -> str:
    """What to try against the seeded cloud, from another terminal (the commands work in this order)."""
    from localcloud import demo

    pending = sum(1 for job in demo.DEMO_JOBS if job.status == "PENDING")
    return "\n".join(
        [
            f"Seeded {len(demo.DEMO_JOBS)} VOD jobs ({pending} pending) and oss://{demo.MANIFEST_BUCKET}/"
            f"{demo.MANIFEST_KEY}: the ones events/ names.",
            "Try, in another terminal (after `source .venv/bin/activate`):",
            "  vodcancel cancel events/requests/batch-001.txt             # a manifest through OSS",
            "  vodcancel cancel events/requests/trailers.json --via mns   # a message on the request topic",
            "  vodcancel cancel events/requests/promo.json --via http     # the HTTP trigger, FC 3.0-signed",
            "  vodcancel status 0e1d2c3b4a5968778695a4b3c2d1e0f1 https://media.example.com/raw/ep03.mp4",
            "  python -m localcloud invoke events/mns-stream.json         # one sample event, straight to FC",
            f"  curl {cloud.url('control')}/vod/jobs                       # every job, as JSON",
        ]
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from localcloud.demo import main as demo_main  # imported on use: `up` and `invoke` do not need the demo

    return int(demo_main(args.args) or 0)


def cmd_package(args: argparse.Namespace) -> int:
    from localcloud.fc.package import main as package_main

    return package_main(args.args)


def _missing_dependency(exc: ModuleNotFoundError, command: str) -> int:
    """A third-party module is missing: this interpreter is not the project's virtualenv."""
    print(
        f"error: {sys.executable} lacks the local cloud's dependencies (no module {exc.name!r}). "
        f"Run `make up` (it creates .venv and starts the cloud), or use .venv/bin/python -m localcloud {command}.",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from localcloud.fc.config import ProjectConfigError
        from localcloud.fc.package import PackageError

        try:
            commands = {"up": cmd_up, "invoke": cmd_invoke, "demo": cmd_demo, "package": cmd_package}
            return commands[args.command](args)
        except (ProjectConfigError, PackageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("localcloud", "lib", "handler", "vodcancel"):
            raise
        return _missing_dependency(exc, args.command)


if __name__ == "__main__":
    sys.exit(main())
