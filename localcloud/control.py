"""The local cloud's control API: JSON over HTTP to inspect and steer it from another process (no auth).

Loopback only, like moto's ``/moto-api``: what a demo, a shell or a test in another process needs — reset,
seed and start VOD jobs, read what was published on MNS, read FC invocations and their logs, inject faults,
move the clock and wait for the function to go idle. Every route goes through the backends' Python APIs.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from localcloud.faults import FaultRule
from localcloud.server import WsgiApp

Handler = Callable[[Any, Request, dict[str, str]], Any]
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def jsonable(value: Any) -> Any:
    """Backend objects as JSON: ``to_dict()``, dataclasses, VOD jobs (``info()``), bytes as text or base64."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if callable(getattr(value, "to_dict", None)):
        return jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if callable(getattr(value, "info", None)):
        return jsonable(value.info())
    if hasattr(value, "__dict__"):
        return {k: jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return {}
    try:
        data = json.loads(request.get_data())
    except ValueError:
        raise ControlError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


# -- handlers -------------------------------------------------------------------------------------------------
def _reset(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    cloud.reset()
    return {"reset": True}


def _count(fn: Callable[[], Any]) -> Any:
    try:
        return len(fn())
    except Exception:  # a backend still being written must not break the summary
        return None


def _state(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    fc = cloud.fc
    records = fc.invocations()
    statuses: dict[str, int] = {}
    for record in records:
        statuses[record.status] = statuses.get(record.status, 0) + 1
    jobs: dict[str, int] = {}
    for job in cloud.vod.jobs():
        jobs[job.status] = jobs.get(job.status, 0) + 1
    topics = {name: _count(lambda name=name: cloud.mns.published(name)) for name in cloud.mns.topics()}
    return {
        "endpoints": cloud.endpoints(),
        "clock": {"now": cloud.clock.now()},
        "function": {
            "service": fc.service_name,
            "name": fc.function_name,
            "arn": fc.function_arn,
            "handler": fc.config.handler,
            "runtime": fc.config.runtime,
            "timeout_s": fc.timeout,
            "memory_mb": fc.config.memory_mb,
            "instances": fc.instances,
            "triggers": [{"type": type(t).__name__, **jsonable(t)} for t in fc.config.triggers],
        },
        "invocations": {"total": len(records), "by_status": statuses},
        "vod": {
            "jobs_by_status": jobs,
            "quotas": {
                action: {"calls_per_s": limit, "rule": str(cloud.vod.quota_rules.get(action, ""))}
                for action, limit in cloud.vod.quotas.items()
                if limit is not None
            },
        },
        "mns": {"messages_by_topic": topics},
        "faults": cloud.faults.rules(),
    }


def _vod_jobs(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    if request.method == "GET":
        return jsonable(cloud.vod.jobs())
    return jsonable(_seed_job(cloud, _body(request)))


def _seed_job(cloud: Any, body: dict[str, Any]) -> Any:
    """``{"url", "status"?, "JobId"?}`` → a job in that status, with that ID (default: a new random one)."""
    url, job_id = body.get("url"), body.get("JobId")
    if not isinstance(url, str) or not url:
        raise ControlError(400, 'seed a job with {"url": "...", "status": "PENDING", "JobId": "<optional id>"}')
    if job_id is not None and not (isinstance(job_id, str) and _JOB_ID.fullmatch(job_id)):
        raise ControlError(400, "JobId must be 1-64 characters of A-Z a-z 0-9 _ - (what the function accepts)")
    if job_id is not None and cloud.vod.job(job_id) is not None:
        raise ControlError(409, f"job {job_id} already exists")
    try:
        return cloud.vod.seed_job(url, status=str(body.get("status", "PENDING")).upper(), job_id=job_id)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None


def _vod_start(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    try:
        return jsonable(cloud.vod.start_job(args["job_id"]))
    except KeyError:
        raise ControlError(404, f"no job {args['job_id']}") from None
    except ValueError as exc:
        raise ControlError(409, str(exc)) from None


def _mns_messages(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    return jsonable(cloud.mns.published(args["topic"]))


def _fc_invocations(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    return [record.to_dict() for record in cloud.fc.invocations()]


def _fc_logs(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    try:
        return Response(cloud.fc.logs(args["request_id"]), content_type="text/plain; charset=utf-8")
    except KeyError:
        raise ControlError(404, f"no invocation {args['request_id']}") from None


def _faults(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    if request.method == "POST":
        body = _body(request)
        names = {f.name for f in dataclasses.fields(FaultRule)} - {"hits"}
        unknown = set(body) - names
        if unknown:
            raise ControlError(400, f"unknown fault fields {sorted(unknown)}; known: {sorted(names)}")
        try:
            return dataclasses.asdict(cloud.faults.add(**body))
        except TypeError as exc:
            raise ControlError(400, str(exc)) from None
    if request.method == "DELETE":
        cloud.faults.clear()
    return cloud.faults.rules()


def _advance(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    seconds = _body(request).get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise ControlError(400, 'advance the clock with {"seconds": <number>}')
    cloud.clock.advance(float(seconds))
    return {"now": cloud.clock.now()}


def _wait_idle(cloud: Any, request: Request, args: dict[str, str]) -> Any:
    timeout = _body(request).get("timeout", 10)
    try:
        cloud.fc.wait_idle(timeout=float(timeout))
    except TimeoutError as exc:
        raise ControlError(504, str(exc)) from None
    return {"idle": True}


_ROUTES: list[tuple[str, list[str], Handler]] = [
    ("/reset", ["POST"], _reset),
    ("/state", ["GET"], _state),
    ("/vod/jobs", ["GET", "POST"], _vod_jobs),
    ("/vod/jobs/<job_id>/start", ["POST"], _vod_start),
    ("/mns/topics/<topic>/messages", ["GET"], _mns_messages),
    ("/fc/invocations", ["GET"], _fc_invocations),
    ("/fc/invocations/<request_id>/logs", ["GET"], _fc_logs),
    ("/faults", ["GET", "POST", "DELETE"], _faults),
    ("/clock/advance", ["POST"], _advance),
    ("/wait-idle", ["POST"], _wait_idle),
]


def make_app(cloud: Any) -> WsgiApp:
    """The control API's WSGI app (see the module docstring for the routes)."""
    url_map = Map([Rule(path, endpoint=handler, methods=methods) for path, methods, handler in _ROUTES])

    @Request.application  # type: ignore[misc]
    def app(request: Request) -> Response:
        try:
            handler, args = url_map.bind_to_environ(request.environ).match()
            result = handler(cloud, request, args)
        except HTTPException as exc:
            return _json({"error": exc.description}, exc.code or 500)
        except ControlError as exc:
            return _json({"error": exc.message}, exc.status)
        if isinstance(result, Response):
            return result
        return _json(result, 200)

    return app


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")
