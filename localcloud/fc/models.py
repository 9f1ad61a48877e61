"""FcBackend: the project's function as the local Function Compute runs it (no HTTP here).

It reads ``s.yaml``, keeps warm instances (worker processes), runs sync and async invocations with FC's retry
and destination rules, records every attempt with its logs, and wires the function to the local MNS topics and
OSS buckets its triggers name.

A reset re-initialises the backend: the old instances are killed and the old queue dropped; invocations still
in flight belong to an older *generation* and neither record nor count once they end.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from localcloud.auth.credentials import CredentialStore, StsCredential
from localcloud.auth.ram import Policy, load_policy
from localcloud.clock import Clock
from localcloud.core.backend import BaseBackend
from localcloud.core.gateway import AuthorizationDenied, Authorizer, Identity, allow_all
from localcloud.core.ids import new_request_id
from localcloud.fc.code import FunctionCode, code_mode, instance_path, prepare_code
from localcloud.fc.config import (
    Destination,
    FunctionConfig,
    function_name_from_arn,
    load_function_config,
)
from localcloud.fc.describe import Deployment
from localcloud.fc.records import InvocationRecord, destination_record, framed_logs
from localcloud.fc.runtime import Instance, InstancePool, InstanceSpec
from localcloud.fc.scheduler import DelayedExecutor
from localcloud.mns.models import MnsBackend
from localcloud.oss.models import OssBackend, crc64

log = logging.getLogger(__name__)

DEFAULT_MAX_INSTANCES = 4
STS_TTL_SECONDS = 36 * 3600
"""FC's role credentials are "valid for 36 hours"."""
MNS_BACKOFF_RETRIES = 3
MNS_EXPONENTIAL_RETRIES = 176
_PASSTHROUGH_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
_GENERATIONS = itertools.count(1)


@dataclass
class _AsyncJob:
    request_id: str
    event: bytes
    source: str
    trigger: str | None
    max_retries: int
    delay: Callable[[int], float]
    generation: int
    attempt: int = 0


@dataclass
class _Overrides:
    env: dict[str, str | None] = field(default_factory=dict)
    timeout_s: float | None = None


class FcBackend(BaseBackend):
    """The local FC for one function. Python API for tests: see the README's local-cloud section.

    It runs the function of ``project_dir``'s s.yaml (``config_values`` answer ``${config(...)}``) in ``region``
    for ``account_id``; its instances get role credentials from ``credentials`` and the service endpoints from
    ``endpoints()``; it creates the topics, queues and buckets the function names in ``mns`` and ``oss``;
    ``workdir`` holds instance logs, the function's HOME and the unpacked code; ``code`` picks what instances run
    (see fc/code.py). ``role_policy`` is the RAM policy file of s.yaml's ``role`` (``${ACCOUNT_ID}``/``${REGION}``
    filled in): the role credentials FC gives the function carry it, and FC's own use of the role (async
    destinations, log delivery) is checked against it by ``authorize``.
    """

    def __init__(
        self,
        project_dir: Path,
        *,
        region: str,
        account_id: str,
        clock: Clock,
        credentials: CredentialStore,
        mns: MnsBackend,
        oss: OssBackend,
        endpoints: Callable[[], dict[str, str]],
        workdir: Path,
        config_values: dict[str, str] | None = None,
        function_env: dict[str, str] | None = None,
        code: str | None = None,
        role_policy: Path | None = None,
        authorize: Authorizer = allow_all,
    ) -> None:
        self.project_dir = project_dir
        self.region = region
        self.account_id = account_id
        self._clock = clock
        self._credentials = credentials
        self._mns = mns
        self._oss = oss
        self._endpoints = endpoints
        self._config_values = dict(config_values or {})
        self.function_env = dict(function_env or {})
        self.code_mode = code_mode(code)
        """``package`` (the code package, as FC runs it) or ``source`` (the development tree): see fc/code.py."""
        self._code: FunctionCode | None = None
        self.retry_delay_scale = 0.01
        """Real retry delays (10–20 s, MNS decay up to 512 s) are multiplied by this."""
        self.sts_ttl_seconds: float = STS_TTL_SECONDS
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._generation = next(_GENERATIONS)
        self._records: list[InvocationRecord] = []
        self._overrides = _Overrides()
        self._tmp = workdir
        (self._tmp / "home").mkdir(parents=True, exist_ok=True)
        self._log_seq = itertools.count(1)
        self.config: FunctionConfig = self._load_config()
        self.deployed_at = clock.now()
        """When this function was "deployed" (its s.yaml read): GetFunction's createdTime."""
        self._role_policy_path = role_policy
        self._authorize = authorize
        self.role_policy: Policy | None = self._load_role_policy()
        """What the function's role may do; None: its credentials are not restricted (no ``role`` or no file)."""
        self._role_session: StsCredential | None = None
        self._log_refusal_reported = False
        self._pool = InstancePool(self._start_instance, DEFAULT_MAX_INSTANCES)
        self._executor = DelayedExecutor(DEFAULT_MAX_INSTANCES)
        self._wired = False

    # -- identity --------------------------------------------------------------------------------------------
    @property
    def service_name(self) -> str:
        """FC 3.0 has no services; aliyun-fc2 needs one, so the s.yaml project ``name`` plays that role."""
        return self.config.project_name

    @property
    def function_name(self) -> str:
        return self.config.function_name

    @property
    def function_arn(self) -> str:
        return f"acs:fc:{self.region}:{self.account_id}:functions/{self.function_name}"

    @property
    def timeout(self) -> float:
        return self._overrides.timeout_s if self._overrides.timeout_s is not None else self.config.timeout_s

    @property
    def instances(self) -> int:
        """Live instances (warm or busy)."""
        return self._pool.size

    @property
    def max_instances(self) -> int:
        return self._pool.max_instances

    @max_instances.setter
    def max_instances(self, value: int) -> None:
        self._pool.max_instances = value
        self._executor.threads = value

    def deployment(self) -> Deployment:
        """The function as deployed, for the 2023-03-30 API's reads."""
        package = self.code.package
        checksum = size = None
        if package is not None:
            checksum, size = _package_checksum(package.zip_path, package.digest), package.zip_bytes
        return Deployment(
            config=self.config,
            account_id=self.account_id,
            region=self.region,
            environment=self.environment(),
            timeout_s=self.timeout,
            deployed_at=self.deployed_at,
            code_checksum=checksum,
            code_size=size,
        )

    # -- configuration for tests -----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The function's own variables: s.yaml, local endpoints, ``function_env``, then :meth:`set_env`."""
        env = dict(self.config.environment)
        env.update(self._endpoint_env())
        env.update(self.function_env)
        for key, value in self._overrides.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def set_env(self, **variables: str | None) -> None:
        """Override function variables (``None`` removes one); instances restart so the change is seen."""
        with self._lock:
            self._overrides.env.update({k: None if v is None else str(v) for k, v in variables.items()})
        self._pool.recycle()
        if self._wired:
            self._create_resources()

    def set_timeout(self, seconds: float) -> None:
        """Override the function timeout (fractions allowed for fast tests); instances restart."""
        if seconds <= 0:
            raise ValueError("timeout must be positive")
        with self._lock:
            self._overrides.timeout_s = float(seconds)
        self._pool.recycle()

    # -- lifecycle -------------------------------------------------------------------------------------------
    def _load_config(self) -> FunctionConfig:
        return load_function_config(self.project_dir, region=self.region, config_values=self._config_values)

    def _load_role_policy(self) -> Policy | None:
        path = self._role_policy_path
        if path is None or not self.config.role:
            return None
        try:
            name = str(path.relative_to(self.project_dir))
        except ValueError:
            name = str(path)
        return load_policy(path, {"ACCOUNT_ID": self.account_id, "REGION": self.region}, name)

    @property
    def code(self) -> FunctionCode:
        """What instances run; in package mode the package is built if stale and unpacked on first use."""
        with self._lock:
            if self._code is None:
                self._code = prepare_code(self.config, self.project_dir, self.code_mode, self._tmp)
            return self._code

    def wire(self) -> None:
        """Create the topics, queues and buckets the function names; subscribe it to its triggers."""
        self.code  # noqa: B018 - prepared now, so a package that cannot be built fails the start, not an invocation
        self._create_resources()
        for trigger in self.config.mns_triggers:
            self._mns.subscribe(
                trigger.topic,
                f"fc-{self.function_name}-{trigger.name}",
                self.function_arn,
                notify_content_format=trigger.notify_content_format,
                filter_tag=trigger.filter_tag,
                notify_strategy=trigger.notify_strategy,
            )
        for trigger in self.config.oss_triggers:
            self._oss.add_notification(
                trigger.bucket, self.function_arn, list(trigger.events), trigger.prefix, trigger.suffix
            )
        self._wired = True

    def required_resources(self) -> dict[str, set[str]]:
        """Topics, queues, buckets named by triggers, destinations and ``*_TOPIC/_QUEUE/_BUCKET`` variables."""
        topics = {t.topic for t in self.config.mns_triggers}
        queues: set[str] = set()
        buckets = {t.bucket for t in self.config.oss_triggers}
        for destination in (self.config.async_config.on_success, self.config.async_config.on_failure):
            if destination and destination.kind == "mns_topic":
                topics.add(destination.name)
            elif destination and destination.kind == "mns_queue":
                queues.add(destination.name)
        for key, value in self.environment().items():
            if value and key.endswith("_TOPIC"):
                topics.add(value)
            elif value and key.endswith("_QUEUE"):
                queues.add(value)
            elif value and key.endswith("_BUCKET"):
                buckets.add(value)
        return {"topics": topics, "queues": queues, "buckets": buckets}

    def _create_resources(self) -> None:
        resources = self.required_resources()
        for topic in sorted(resources["topics"]):
            _create_quietly(self._mns.create_topic, topic)
        for queue in sorted(resources["queues"]):
            _create_quietly(self._mns.create_queue, queue)
        for bucket in sorted(resources["buckets"]):
            _create_quietly(self._oss.create_bucket, bucket)

    def reset(self) -> None:
        """Forget invocations, queued async events, overrides, test knobs and warm instances; re-read s.yaml.

        The prepared code is kept: like a deployed function's package, it is fixed for the cloud's life.
        """
        code = self._code
        self.shutdown()
        super().reset()
        self._code = code

    def shutdown(self) -> None:
        """Kill every instance and drop queued events; invocations in flight no longer record or count."""
        with self._lock:
            self._generation = next(_GENERATIONS)
        self._executor.shutdown()
        self._pool.close()

    # -- instances -------------------------------------------------------------------------------------------
    def _endpoint_env(self) -> dict[str, str]:
        return {f"{service.upper()}_ENDPOINT": url for service, url in self._endpoints().items()}

    def _instance_env(self, instance_id: str, credentials: Any, tmp_dir: Path) -> tuple[dict[str, str], list[str]]:
        """The instance's environment and the first entries of its ``sys.path``."""
        env = {key: os.environ[key] for key in _PASSTHROUGH_ENV if key in os.environ}
        env.update(
            PATH=instance_path(self.code_mode),
            HOME=str(self._tmp / "home"),
            TMPDIR=str(tmp_dir),
            FC_REGION=self.region,
            FC_ACCOUNT_ID=self.account_id,
            FC_FUNCTION_NAME=self.function_name,
            FC_FUNCTION_HANDLER=self.config.handler,
            FC_FUNCTION_MEMORY_SIZE=str(self.config.memory_mb),
            FC_TIMEOUT=f"{self.timeout:g}",
            FC_RUNTIME=self.config.runtime,
            FC_INSTANCE_ID=instance_id,
            ALIBABA_CLOUD_ACCESS_KEY_ID=credentials.access_key_id,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET=credentials.access_key_secret,
            ALIBABA_CLOUD_SECURITY_TOKEN=credentials.security_token,
        )
        env.update(self.environment())
        sys_path, code_env = self.code.instance_env(env.get("PYTHONPATH", ""))
        env.update(code_env)
        return env, sys_path

    def _start_instance(self) -> Instance:
        instance_id = f"c-{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(6)}"
        credentials = self._issue_role_token()
        tmp_dir = self._tmp / "instances" / instance_id / "tmp"  # each instance its own /tmp, as on FC
        tmp_dir.mkdir(parents=True)
        env, sys_path = self._instance_env(instance_id, credentials, tmp_dir)
        code = self.code
        spec = InstanceSpec(
            env=env,
            code_dir=code.directory,
            log_dir=self._tmp,
            python=code.command(),
            sys_path=sys_path,
            tmp_dir=tmp_dir.parent,
        )
        instance = Instance(instance_id, spec)
        instance.credentials = credentials
        return instance

    def _issue_role_token(self) -> StsCredential:
        """The role's credentials as FC assumes it: an STS token holding the role's policy."""
        return self._credentials.issue_sts_token(ttl_seconds=self.sts_ttl_seconds, policy=self.role_policy)

    def _role_identity(self) -> Identity:
        """FC's own session of the function's role (destinations, logs), rotated like the instances' tokens."""
        with self._lock:
            session = self._role_session
            if session is None or session.expiration - self._clock.now() < min(15 * 60, self.sts_ttl_seconds / 4):
                session = self._role_session = self._issue_role_token()
            return Identity(session.access_key_id)

    def _role_may(self, service: str, action: str, resource: str) -> str | None:
        """Ask RAM whether the function's role may do this; the refusal's reason, or None when allowed."""
        arn = f"acs:{service}:{self.region}:{self.account_id}:{resource}"
        try:
            self._authorize(self._role_identity(), service, action, arn)
        except AuthorizationDenied as denied:
            return denied.reason
        return None

    def _context(self, request_id: str, instance: Instance) -> dict[str, Any]:
        credentials = instance.credentials
        margin = min(15 * 60, self.sts_ttl_seconds / 4)
        if credentials.expiration - self._clock.now() < margin:  # FC rotates the role's token in time
            credentials = instance.credentials = self._issue_role_token()
        return {
            "request_id": request_id,
            "credentials": {
                "access_key_id": credentials.access_key_id,
                "access_key_secret": credentials.access_key_secret,
                "security_token": credentials.security_token,
            },
            "function": {
                "name": self.function_name,
                "handler": self.config.handler,
                "memory": self.config.memory_mb,
                "timeout": math.ceil(self.timeout),
            },
            "service": {
                "name": self.service_name,
                "log_project": self.config.log_project,
                "log_store": self.config.log_store,
                "qualifier": "LATEST",
                "version_id": "",
            },
            "region": self.region,
            "account_id": self.account_id,
        }

    # -- invocations -----------------------------------------------------------------------------------------
    def _started(self) -> int:
        """Count one invocation in (for :meth:`wait_idle`); return the generation it belongs to."""
        with self._idle:
            self._active += 1
            return self._generation

    def _finished(self, generation: int) -> None:
        with self._idle:
            if generation == self._generation:
                self._active -= 1
                self._idle.notify_all()

    def _attempt(
        self,
        request_id: str,
        event: bytes,
        *,
        source: str,
        trigger: str | None,
        invocation_type: str,
        attempt: int,
    ) -> InvocationRecord:
        generation, pool = self._generation, self._pool
        started_at = self._clock.now()
        instance = pool.acquire()
        log_path = self._tmp / f"invoke-{generation}-{next(self._log_seq)}.log"
        try:
            result = instance.invoke(event, self._context(request_id, instance), self.timeout, log_path)
        finally:
            pool.release(instance)
            log_path.unlink(missing_ok=True)
        self._ship_logs()
        record = InvocationRecord(
            request_id=request_id,
            source=source,
            trigger=trigger,
            invocation_type=invocation_type,
            event=event,
            status=result.status,
            result=result.payload,
            error=result.error,
            duration_ms=result.duration_ms,
            attempt=attempt,
            cold_start=result.cold_start,
            logs=framed_logs(request_id, result),
            instance_id=instance.instance_id,
            started_at=started_at,
            max_memory_mb=result.max_memory_mb,
        )
        with self._lock:
            if generation == self._generation:
                self._records.append(record)
        return record

    def invoke(
        self, event: bytes, *, source: str = "api", trigger: str | None = None, request_id: str | None = None
    ) -> InvocationRecord:
        """Synchronous invocation: run once (no retries, no destinations, as FC) and return the record."""
        request_id = request_id or new_request_id("fc", self._clock.now())
        generation = self._started()
        try:
            return self._attempt(
                request_id, bytes(event), source=source, trigger=trigger, invocation_type="Sync", attempt=1
            )
        finally:
            self._finished(generation)

    def invoke_async(
        self,
        event: bytes,
        *,
        source: str = "api",
        trigger: str | None = None,
        request_id: str | None = None,
        retry_strategy: str | None = None,
    ) -> str:
        """Queue an asynchronous invocation; return its request id at once."""
        request_id = request_id or new_request_id("fc", self._clock.now())
        max_retries, delay = self._retry_policy(source, retry_strategy)
        generation = self._started()
        job = _AsyncJob(request_id, bytes(event), source, trigger, max_retries, delay, generation)
        try:
            self._executor.submit(lambda: self._run_job(job))
        except RuntimeError:
            self._finished(generation)
            raise
        return request_id

    def deliver_event(
        self,
        function_arn: str,
        event: bytes,
        *,
        source: str,
        retry_strategy: str | None = None,
        trigger: str | None = None,
    ) -> str:
        """Asynchronous delivery from an MNS subscription or OSS notification; never blocks on the function.

        Retries: OSS → asyncInvokeConfig (``maxAsyncRetryAttempts``); MNS → ``BACKOFF_RETRY`` (3 retries,
        10–20 s) or ``EXPONENTIAL_DECAY_RETRY`` (176 retries, 2^n s up to 512 s); every delay is multiplied
        by ``retry_delay_scale``. After the last failure the onFailure destination receives FC's record.
        """
        name = function_name_from_arn(function_arn)
        if name != self.function_name:
            raise LookupError(f"function {function_arn!r} does not exist in the local FC")
        if trigger is None:
            candidates = self.config.mns_triggers if source == "mns" else self.config.oss_triggers
            trigger = candidates[0].name if source in ("mns", "oss") and candidates else None
        return self.invoke_async(event, source=source, trigger=trigger, retry_strategy=retry_strategy)

    def _retry_policy(self, source: str, strategy: str | None) -> tuple[int, Callable[[int], float]]:
        if source == "mns" or strategy:
            if (strategy or "BACKOFF_RETRY").upper() == "EXPONENTIAL_DECAY_RETRY":
                return MNS_EXPONENTIAL_RETRIES, lambda n: float(min(2**n, 512))
            return MNS_BACKOFF_RETRIES, lambda n: random.uniform(10, 20)
        return self.config.async_config.max_retry_attempts, lambda n: random.uniform(10, 20)

    def _run_job(self, job: _AsyncJob) -> None:
        done = True
        try:
            if job.generation != self._generation:
                return
            job.attempt += 1
            try:
                record = self._attempt(
                    job.request_id,
                    job.event,
                    source=job.source,
                    trigger=job.trigger,
                    invocation_type="Async",
                    attempt=job.attempt,
                )
            except RuntimeError:  # the instance pool was shut down by a reset while this job waited for it
                if job.generation == self._generation:
                    raise
                return
            if job.generation != self._generation:
                return
            if record.status == "succeeded":
                self._send_to_destination(self.config.async_config.on_success, record)
            elif job.attempt <= job.max_retries:
                self._executor.submit(lambda: self._run_job(job), job.delay(job.attempt) * self.retry_delay_scale)
                done = False
            else:
                self._send_to_destination(self.config.async_config.on_failure, record)
        finally:
            if done:
                self._finished(job.generation)

    def _send_to_destination(self, destination: Destination | None, record: InvocationRecord) -> None:
        if destination is None:
            return
        refused = self._destination_refused(destination)
        if refused:
            log.warning(
                "async destination %s refused to the function's role (%s); record dropped", destination.arn, refused
            )
            return
        body = json.dumps(destination_record(record, self.function_arn), ensure_ascii=False)
        try:
            if destination.kind == "mns_topic":
                self._mns.publish(destination.name, body)
            elif destination.kind == "mns_queue":
                self._mns.send_message(destination.name, body)
            elif destination.kind == "fc_function" and destination.name == self.function_name:
                self.invoke_async(body.encode("utf-8"), source="destination")
            else:
                log.warning("async destination %s is not emulated; record dropped", destination.arn)
        except Exception:
            log.exception("could not deliver the async destination record to %s", destination.arn)

    def _destination_refused(self, destination: Destination) -> str | None:
        """FC delivers destination records with the function's role: the action each kind needs, checked by RAM."""
        if destination.kind == "mns_topic":
            return self._role_may("mns", "PublishMessage", f"/topics/{destination.name}/messages")
        if destination.kind == "mns_queue":
            return self._role_may("mns", "SendMessage", f"/queues/{destination.name}/messages")
        if destination.kind == "fc_function":
            return self._role_may("fc", "InvokeFunction", f"functions/{destination.name}")
        return None

    def _ship_logs(self) -> None:
        """FC writes each invocation's logs to the function's log store with its role; a refusal loses them there
        (the local records keep them, and the local cloud's log says why once)."""
        if not self.config.log_project:
            return
        store = f"project/{self.config.log_project}/logstore/{self.config.log_store}"
        refused = self._role_may("log", "PostLogStoreLogs", store)
        if refused and not self._log_refusal_reported:
            self._log_refusal_reported = True
            log.warning(
                "FC cannot write the function's logs with its role (%s); on Alibaba Cloud they are lost", refused
            )

    # -- inspection ------------------------------------------------------------------------------------------
    def invocations(self, *, request_id: str | None = None, source: str | None = None) -> list[InvocationRecord]:
        """Every recorded attempt since the last reset, oldest first (copies)."""
        with self._lock:
            records = list(self._records)
        return [
            replace(r)
            for r in records
            if (request_id is None or r.request_id == request_id) and (source is None or r.source == source)
        ]

    def logs(self, request_id: str) -> str:
        """All the function printed or logged for this request id (every attempt); KeyError if unknown."""
        records = self.invocations(request_id=request_id)
        if not records:
            raise KeyError(request_id)
        return "".join(r.logs for r in records)

    def wait_idle(self, timeout: float = 10) -> bool:
        """Block until no invocation is running or queued (async retries included); TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._active} invocation(s) still running or queued after {timeout} s")
                self._idle.wait(remaining)
        return True


@functools.lru_cache(maxsize=4)
def _package_checksum(zip_path: str, digest: str) -> str:
    """FC's ``codeChecksum``: the CRC-64 (ECMA) of the code package, in decimal (cached per package content)."""
    return str(crc64(Path(zip_path).read_bytes()))


def _create_quietly(create: Callable[[str], Any], name: str) -> None:
    """Create a resource the function needs; one that already exists is fine."""
    try:
        create(name)
    except Exception as exc:
        if "exist" not in f"{type(exc).__name__} {getattr(exc, 'code', '')} {exc}".lower():
            raise
