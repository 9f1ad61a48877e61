"""LocalCloud: one object that owns the shared state (clock, credentials, faults) and every service.

It is the Python API for tests and the engine behind ``python -m localcloud up``. Each service keeps its state in
a backend object (``cloud.vod``, ``cloud.mns``, ``cloud.oss``, ``cloud.fc``) that can be inspected and reset; its
HTTP face is a WSGI app served on its own loopback port, all of them behind one :class:`Gateway` (clock, faults,
credentials, authorization). This module is the one place that knows every service and wires them together.
"""

from __future__ import annotations

import tempfile
import weakref
from pathlib import Path
from typing import Any

from localcloud.auth.credentials import CredentialStore
from localcloud.clock import Clock
from localcloud.control import make_app as control_app
from localcloud.core.gateway import Gateway, Identity, RamAuthorizer
from localcloud.faults import Faults
from localcloud.fc.models import FcBackend
from localcloud.fc.package import remove_tree
from localcloud.fc.routes import make_http_trigger_app, make_invoke_app
from localcloud.mns.models import MnsBackend
from localcloud.mns.routes import make_app as mns_app
from localcloud.oss.models import OssBackend
from localcloud.oss.routes import make_app as oss_app
from localcloud.server import ServiceServer
from localcloud.vod.models import QuotaRule, VodBackend
from localcloud.vod.routes import make_app as vod_app

DEMO_ACCESS_KEY_ID = "LTAI5tLocalCloudDemoKey"
DEMO_ACCESS_KEY_SECRET = "localcloud-demo-secret-do-not-use"
DEFAULT_REGION = "cn-shanghai"
DEFAULT_ACCOUNT_ID = "1234567890123456"
DEFAULT_ROLE_POLICY = "deploy/function-policy.json"
"""Where a project keeps the RAM policy of the role s.yaml's ``role`` names (relative to the project)."""


class LocalCloud:
    """Starts VOD, MNS, OSS and FC on loopback, wired together from the project's ``s.yaml``.

    The function runs from its code package (rebuilt when stale) under the runtime's Python; ``code="source"``
    (or ``$LOCALCLOUD_CODE=source``) runs the development tree instead (see ``localcloud/fc/code.py``).
    ``vod_quota_rules`` (action → :class:`QuotaRule`) is how VOD counts each quota, kept across :meth:`reset`.

    RAM: when s.yaml names a ``role``, the role credentials the function gets carry the policy in ``role_policy``
    (default ``deploy/function-policy.json`` of the project, skipped when that file does not exist; ``None``: no
    policy), and every service refuses what it does not allow. ``cloud.ram`` has the decisions taken.

    Usage::

        with LocalCloud(project_dir=".") as cloud:
            cloud.vod.seed_job("https://example.com/a.mp4")       # a Pending job
            print(cloud.endpoints())
    """

    def __init__(
        self,
        project_dir: str | Path = ".",
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        access_key_id: str = DEMO_ACCESS_KEY_ID,
        access_key_secret: str = DEMO_ACCESS_KEY_SECRET,
        seed: int | None = None,
        function_env: dict[str, str] | None = None,
        code: str | None = None,
        role_policy: str | Path | None = DEFAULT_ROLE_POLICY,
        vod_quota_rules: dict[str, QuotaRule] | None = None,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.region = region
        self.account_id = account_id
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.clock = Clock()
        self.faults = Faults(seed)
        self.credentials = CredentialStore(self.clock)
        self.credentials.add_access_key(access_key_id, access_key_secret)
        self.ram = RamAuthorizer(self.credentials)
        self.gateway = Gateway(region, account_id, self.clock, self.faults, self.credentials, self.ram)
        self._workdir = Path(tempfile.mkdtemp(prefix="localcloud-"))
        self._remove_workdir = weakref.finalize(self, remove_tree, self._workdir)  # also if __init__ raises
        self._servers: dict[str, ServiceServer] = {}
        self.vod = VodBackend(self.clock, vod_quota_rules)
        self.mns = MnsBackend(self.clock, account_id, self._deliver_event)
        self.oss = OssBackend(self.clock, region, account_id, self._deliver_event)
        self.fc = FcBackend(
            self.project_dir,
            region=region,
            account_id=account_id,
            clock=self.clock,
            credentials=self.credentials,
            mns=self.mns,
            oss=self.oss,
            endpoints=self._service_urls,
            workdir=self._workdir / "fc",
            config_values={
                "AccountID": account_id,
                "AccessKeyID": access_key_id,
                "AccessKeySecret": access_key_secret,
            },
            function_env=function_env or {},
            code=code,
            role_policy=self._role_policy_path(role_policy),
            authorize=self._authorize,
        )

    def _role_policy_path(self, role_policy: str | Path | None) -> Path | None:
        """The policy file to enforce: a missing default file means none, a missing explicit one is an error."""
        if role_policy is None:
            return None
        path = self.project_dir / role_policy
        if role_policy == DEFAULT_ROLE_POLICY and not path.exists():
            return None
        return path

    def _authorize(self, identity: Identity, service: str, action: str, resource: str) -> None:
        """The gateway's current authorizer (a test may replace it), for FC's own use of the function's role."""
        self.gateway.authorize(identity, service, action, resource)

    def _deliver_event(self, function_arn: str, event: bytes, *, source: str, retry_strategy: str | None = None) -> str:
        """MNS subscriptions and OSS notifications hand their events to the function through here."""
        return self.fc.deliver_event(function_arn, event, source=source, retry_strategy=retry_strategy)

    def _service_urls(self) -> dict[str, str]:
        """Where the function reaches VOD, MNS, OSS and FC's own API (none before :meth:`start`)."""
        return {name: self.url(name) for name in ("vod", "mns", "oss", "fc") if name in self._servers}

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> LocalCloud:
        gateway = self.gateway
        apps = {
            "vod": vod_app(self.vod, gateway),
            "mns": mns_app(self.mns, gateway),
            "oss": oss_app(self.oss, gateway),
            "fc": make_invoke_app(self.fc, gateway),
            "http_trigger": make_http_trigger_app(self.fc, gateway),
            "control": control_app(self),
        }
        for name, app in apps.items():
            self._servers[name] = ServiceServer(name, app).start()
        self.fc.wire()
        return self

    def stop(self) -> None:
        self.fc.shutdown()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        self._remove_workdir()  # the unpacked code is read-only, as /code is on FC: remove_tree copes

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all state (jobs, messages, objects, invocations, faults, clock, RAM decisions); re-wire s.yaml."""
        self.ram = self.gateway.authorize = RamAuthorizer(self.credentials)
        self.faults.clear()
        self.clock.reset()
        self.credentials.reset()
        self.credentials.add_access_key(self.access_key_id, self.access_key_secret)
        self.vod.reset()
        self.mns.reset()
        self.oss.reset()
        self.fc.reset()
        if self._servers:
            self.fc.wire()

    # -- discovery -------------------------------------------------------------------------------------------
    def url(self, service: str) -> str:
        return self._servers[service].url

    def endpoints(self) -> dict[str, str]:
        """The endpoints file's content: where each service listens and how to reach the function."""
        return {
            "vod": self.url("vod"),
            "mns": self.url("mns"),
            "oss": self.url("oss"),
            "fc": self.url("fc"),
            "http_trigger": self.url("http_trigger"),
            "control": self.url("control"),
            "region": self.region,
            "account_id": self.account_id,
            "access_key_id": self.access_key_id,
            "access_key_secret": self.access_key_secret,
            "fc_service": self.fc.service_name,
            "fc_function": self.fc.function_name,
        }
