"""The local cloud in its own process, plus a small bench-only control API, so it never pollutes the figures.

``python -m bench.cloudproc`` starts :class:`~localcloud.cloud.LocalCloud` from the project's ``s.yaml``, serves a
JSON API on loopback for what the benchmarks need and the regular control API lacks (bulk seeding of 100,000 jobs,
manifests written straight into OSS without firing the OSS trigger, quotas, summaries of VOD calls and published
results), prints one JSON line with its endpoints, and runs until its stdin closes.

The driver side is :class:`CloudProcess`. The function under test never runs inside this process: the benchmarks
start it in processes of their own, so the cloud's CPU and memory are not part of what is measured.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
MANIFEST_BUCKET = "vod-cancel-manifests"
STS_TTL_S = 36 * 3600


def bench_url(tag: str, index: int) -> str:
    """A deterministic upload URL; every 7th has a comma and a space, as real file names do."""
    if index % 7 == 3:
        return f"https://media.example.com/bench/{tag}/clip {index:06d}, take 2.mp4"
    return f"https://media.example.com/bench/{tag}/{index:06d}.mp4"


def bench_job_id(tag: str, index: int) -> str:
    """A deterministic 32-hex job id (the shape VOD uses)."""
    return hashlib.md5(f"{tag}-{index}".encode()).hexdigest()


# -- server side (runs in the cloud process) ---------------------------------------------------------------------
class BenchControl:
    """The bench API's handlers; every one runs against the in-process :class:`LocalCloud`."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud

    def setup(self, body: dict[str, Any]) -> dict[str, Any]:
        """Reset, then latency, quotas, jobs and a manifest as asked; returns what the function needs to run.

        Body: ``latency_ms`` (VOD, every operation), ``quotas`` (action → calls/s or null = unlimited),
        ``quota_rule`` (how VOD counts every quota: ``window``, ``bucket`` or ``bucket:BURST``; default window),
        ``url_jobs`` / ``id_jobs`` (``{"tag", "count"}``: PENDING jobs for :func:`bench_url` /
        :func:`bench_job_id`), ``manifests`` (``[{"tag", "count", "key"}]``: URLs one per line, in OSS, stored
        directly so that the OSS trigger does not fire: the benchmark invokes the function itself).
        """
        from localcloud.oss.models import ObjectInput

        cloud = self.cloud
        cloud.reset()
        if body.get("latency_ms"):
            cloud.faults.add(service="vod", operation="*", latency_ms=float(body["latency_ms"]))
        for action, quota in (body.get("quotas") or {}).items():
            cloud.vod.quotas[action] = None if quota is None else int(quota)
        if body.get("quota_rule"):
            cloud.vod.set_quota_rule(body["quota_rule"])
        for spec in body.get("url_jobs") or []:
            for index in range(int(spec["count"])):
                cloud.vod.seed_job(bench_url(spec["tag"], index))
        for spec in body.get("id_jobs") or []:
            for index in range(int(spec["count"])):
                cloud.vod.seed_job(f"https://media.example.com/bench/{spec['tag']}/id-{index}.mp4",
                                   job_id=bench_job_id(spec["tag"], index))  # fmt: skip
        manifests = []
        for spec in body.get("manifests") or []:
            data = "".join(bench_url(spec["tag"], i) + "\n" for i in range(int(spec["count"]))).encode()
            cloud.oss.create_bucket(MANIFEST_BUCKET)
            stored, _ = cloud.oss.store(
                MANIFEST_BUCKET, spec["key"], data, ObjectInput("text/plain"), request_id="bench"
            )
            manifests.append({"bucket": MANIFEST_BUCKET, "key": spec["key"], "size": len(data), "etag": stored.etag})
        # the function role's credentials, held to its RAM policy (the raw-SDK baseline signs with the same)
        sts = cloud.credentials.issue_sts_token(ttl_seconds=STS_TTL_S, policy=cloud.fc.role_policy)
        return {
            "env": cloud.fc.environment(),
            "credentials": {
                "access_key_id": sts.access_key_id,
                "access_key_secret": sts.access_key_secret,
                "security_token": sts.security_token,
            },
            "timeout_s": cloud.fc.timeout,
            "memory_mb": cloud.fc.config.memory_mb,
            "manifests": manifests,
        }

    def stats(self, body: dict[str, Any]) -> dict[str, Any]:
        """VOD calls per action and status, error codes, job states, and a summary of the results topic."""
        vod = self.cloud.vod
        calls = vod.calls
        statuses: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for call in calls:
            statuses[f"{call.action} {call.status}"] += 1
            if call.error_code:
                errors[call.error_code] += 1
        jobs = Counter(job.status for job in vod.jobs())
        topic = body.get("topic") or self.cloud.fc.environment().get("NOTIFY_TOPIC", "")
        timeline = [(round(c.at, 4), c.action, c.status, c.error_code) for c in calls] if body.get("timeline") else None
        return {
            "vod_timeline": timeline,
            "vod_calls": dict(statuses),
            "vod_errors": dict(errors),
            "vod_call_total": vod.call_count(),
            "jobs": dict(jobs),
            "results": _summarise_results([m.body for m in self.cloud.mns.published(topic)]) if topic else {},
        }

    def scale(self, body: dict[str, Any]) -> dict[str, Any]:
        """A manifest of ``count`` unknown job IDs through the OSS trigger, end to end: the function timeout,
        ``env`` and VOD ``quotas`` as asked; waits until every invocation (continuations included) is done and
        reports each invocation and whether every item was reported exactly once across the published parts."""
        cloud = self.cloud
        cloud.reset()
        for action, quota in (body.get("quotas") or {}).items():
            cloud.vod.quotas[action] = None if quota is None else int(quota)
        cloud.fc.set_timeout(float(body["timeout_s"]))
        cloud.fc.set_env(**body.get("env", {}))
        count, key = int(body["count"]), "cancel-requests/bench-scale.txt"
        data = "".join(f"{scale_job_id(index)}\n" for index in range(count)).encode()
        started = time.monotonic()
        cloud.oss.put_object(MANIFEST_BUCKET, key, data)  # fires the OSS trigger, as an upload does
        del data
        time.sleep(0.5)
        cloud.fc.wait_idle(timeout=float(body.get("wait_s", 3600)))
        wall_s = time.monotonic() - started
        return {
            "wall_s": wall_s,
            "manifest_bytes": cloud.oss.head(MANIFEST_BUCKET, key).size,
            "invocations": [_invocation(record) for record in cloud.fc.invocations()],
            "items": _check_items(count, cloud.mns.published(cloud.fc.environment()["NOTIFY_TOPIC"])),
            "vod_calls": cloud.vod.call_count(),
        }


def scale_job_id(index: int) -> str:
    """The scale benchmark's job IDs: 32 hex digits, as VOD's, which no job has."""
    return f"{index:032x}"


def _invocation(record: Any) -> dict[str, Any]:
    """One invocation attempt: what it was, how long, how much memory, and what its summary line said."""
    summary = next((line for line in record.logs.splitlines() if '"message":"cancel request' in line), "")
    fields = json.loads(summary) if summary.startswith("{") else {}
    return {
        "request_id": record.request_id,
        "source": record.source,
        "status": record.status,
        "attempt": record.attempt,
        "cold_start": record.cold_start,
        "duration_s": round(record.duration_ms / 1000, 2),
        "peak_rss_mb": record.max_memory_mb,
        "instance": record.instance_id,
        "message": fields.get("message"),
        "counts": fields.get("counts"),
        "vod": fields.get("vod"),
        "catch_up": [json.loads(line) for line in record.logs.splitlines() if "dedupe store" in line],
    }


def _check_items(count: int, messages: list[Any]) -> dict[str, Any]:
    """Every requested item reported exactly once across the parts (each part number taken once)?"""
    seen: Counter[str] = Counter()
    parts: dict[int, str] = {}
    final: dict[str, Any] = {}
    for message in messages:
        doc = json.loads(message.body)
        if doc.get("Part") in parts:
            continue
        parts[doc["Part"]] = message.body
        if doc.get("Final"):
            final = {"PartCount": doc.get("PartCount"), "Counts": doc.get("Counts"), "Error": doc.get("Error")}
        seen.update(doc.get("NonExists", []))
        seen.update(entry["Item"] for entry in doc.get("Failed", []))
    missing = sum(1 for index in range(count) if scale_job_id(index) not in seen)
    return {
        "requested": count,
        "reported_once": sum(1 for n in seen.values() if n == 1),
        "reported_twice_or_more": sum(1 for n in seen.values() if n > 1),
        "missing": missing,
        "parts": len(parts),
        "parts_contiguous": sorted(parts) == list(range(1, len(parts) + 1)),
        "final": final,
    }


def _summarise_results(bodies: list[str]) -> dict[str, Any]:
    """Per RequestId: parts received (each part number once), the final part's ``PartCount`` and totals (``Counts``:
    every part carries running counts, the final one the totals), how many list entries arrived, Failed codes."""
    by_request: dict[str, dict[str, Any]] = {}
    for body in bodies:
        doc = json.loads(body)
        entry = by_request.setdefault(
            doc.get("RequestId", ""),
            {"parts": 0, "part_count": None, "counts": None, "entries": Counter(), "_seen": set()},
        )
        number = doc.get("Part", 1)
        if number in entry["_seen"]:
            continue  # a copy of a part already in (a resumed invocation publishes its pending parts again)
        entry["_seen"].add(number)
        entry["parts"] += 1
        if doc.get("Final", True):
            entry["part_count"], entry["counts"] = doc.get("PartCount", 1), doc.get("Counts")
        if "Error" in doc:
            entry["error"] = doc["Error"]
        for name in ("CanceledUrls", "NonExists", "NotCancellable", "Failed"):
            entry["entries"][name] += len(doc.get(name, []))
        entry["entries"]["CanceledJobIdItems"] += len(doc.get("CanceledJobs", []))
        for failed in doc.get("Failed", []):
            entry["entries"][f"Failed:{failed.get('Code')}"] += 1
    return {
        rid: {key: value for key, value in {**entry, "entries": dict(entry["entries"])}.items() if key != "_seen"}
        for rid, entry in by_request.items()
    }


def _make_app(control: BenchControl) -> Any:
    from werkzeug.wrappers import Request, Response

    routes = {"/setup": control.setup, "/stats": control.stats, "/scale": control.scale}

    @Request.application  # type: ignore[misc]
    def app(request: Request) -> Response:
        handler = routes.get(request.path)
        if handler is None:
            return Response(json.dumps({"error": "not found"}), status=404, content_type="application/json")
        try:
            result = handler(json.loads(request.get_data() or b"{}"))
        except Exception as exc:  # the driver shows it; the cloud keeps running
            return Response(json.dumps({"error": repr(exc)}), status=500, content_type="application/json")
        return Response(json.dumps(result), content_type="application/json")

    return app


def main() -> int:
    from localcloud.cloud import LocalCloud
    from localcloud.server import ServiceServer

    cloud = LocalCloud(PROJECT_DIR).start()
    server = ServiceServer("bench", _make_app(BenchControl(cloud))).start()
    try:
        print(json.dumps({**cloud.endpoints(), "bench": server.url, "pid": os.getpid()}), flush=True)
        sys.stdin.read()  # until the driver closes our stdin (or dies)
    finally:
        server.stop()
        cloud.stop()
    return 0


# -- driver side ------------------------------------------------------------------------------------------------
class CloudProcess:
    """Starts ``python -m bench.cloudproc`` and talks to it; a context manager that stops it on exit."""

    def __init__(self, python: str = sys.executable) -> None:
        self._python = python
        self.process: subprocess.Popen[str] | None = None
        self.endpoints: dict[str, Any] = {}

    def __enter__(self) -> CloudProcess:
        self.process = subprocess.Popen(
            [self._python, "-m", "bench.cloudproc"],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError("the local cloud process did not start (see its stderr above)")
        self.endpoints = json.loads(line)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self) -> int:
        return int(self.endpoints["pid"])

    def call(self, path: str, body: dict[str, Any] | None = None, timeout: float = 300) -> Any:
        """POST a JSON body to the bench API and return the JSON answer."""
        request = urllib.request.Request(
            self.endpoints["bench"] + path, data=json.dumps(body or {}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def setup(self, **body: Any) -> dict[str, Any]:
        return self.call("/setup", body)

    def stats(self, topic: str | None = None, timeline: bool = False) -> dict[str, Any]:
        return self.call("/stats", {"topic": topic, "timeline": timeline})


if __name__ == "__main__":
    sys.exit(main())
