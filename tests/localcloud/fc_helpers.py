"""A tiny FC project for the local-FC tests: its own s.yaml and a handler that echoes, sleeps, raises, prints.

The real function is tested elsewhere; these tests pin down the local FC itself (runtime, context, env, logs,
timeouts, async retries and destinations, HTTP trigger), so the handler only does what a test asks it to do.
"""

from __future__ import annotations

import base64
import http.client
import json
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

S_YAML = """\
edition: 3.0.0
name: fixture-project
access: default
vars:
  region: cn-shanghai
  functionName: fixture-fn
resources:
  fixture:
    component: fc3
    props:
      region: ${vars.region}
      functionName: ${vars.functionName}
      runtime: python3.10
      code: ./
      handler: index.handler
      memorySize: 512
      timeout: 30
      role: acs:ram::${config("AccountID")}:role/fixture
      logConfig: auto
      environmentVariables:
        GREETING: hello
        RESULTS_TOPIC: fixture-results
        INPUT_BUCKET: fixture-bucket
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 2
        destinationConfig:
          onFailure:
            destination: acs:mns:${vars.region}::/topics/fixture-failures/messages
          onSuccess:
            destination: acs:mns:${vars.region}::/topics/fixture-successes/messages
      triggers:
        - triggerName: web
          triggerType: http
          triggerConfig:
            authType: function
            methods: [GET, POST]
        - triggerName: requests
          triggerType: mns_topic
          sourceArn: acs:mns:${vars.region}:${config("AccountID")}:/topics/fixture-requests
          triggerConfig:
            notifyContentFormat: JSON
            notifyStrategy: BACKOFF_RETRY
        - triggerName: uploads
          triggerType: oss
          sourceArn: acs:oss:${vars.region}:${config("AccountID")}:fixture-bucket
          triggerConfig:
            events: [oss:ObjectCreated:PutObject]
            filter:
              key:
                prefix: in/
                suffix: .txt
"""

HANDLER = """\
import base64
import json
import logging
import os
import time

print("cold start: importing index")
CALLS = {"n": 0}


def _http(event, context):
    mode = event["queryParameters"].get("mode", "echo")
    if mode == "plain":
        return "plain text reply"
    if mode == "binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(bytes([0, 255, 1])).decode()}
    if mode == "raise":
        raise RuntimeError("http boom")
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Multi": ["a", "b"]},
            "isBase64Encoded": False, "body": json.dumps({"event": event})}


def handler(event, context):
    CALLS["n"] += 1
    try:
        request = json.loads(event)
    except ValueError:
        request = {"raw": event.decode("utf-8", "replace")}
    if not isinstance(request, dict):
        request = {"value": request}
    print(f"print line for {context.request_id}")
    logging.getLogger("fixture").info("logging line")
    os.write(2, b"raw fd 2 line\\n")
    if request.get("version") == "v1":
        return _http(request, context)
    action = request.get("action", "echo")
    if action == "sleep":
        time.sleep(request["seconds"])
        return "slept"
    if action == "raise":
        raise ValueError(request.get("message", "boom"))
    if action == "exit":
        os._exit(3)
    if action == "env":
        return dict(os.environ)
    if action == "calls":
        return CALLS["n"]
    if action == "c-output":  # C stdio (buffered) and a child process writing to the inherited fd 1
        import ctypes
        import subprocess

        ctypes.CDLL(None).printf(b"printf from C\\n")
        subprocess.run(["echo", "echo from a child process"], check=True)
        return "ok"
    if action == "fail-until":  # fail until the marker file says enough attempts were made
        path = request["counter"]
        count = int(open(path).read()) + 1 if os.path.exists(path) else 1
        with open(path, "w") as f:
            f.write(str(count))
        if count < request["succeed_on"]:
            raise RuntimeError(f"attempt {count} fails")
        return {"attempt": count}
    if action == "invoke-self":  # continue in a new asynchronous invocation through FC 3.0's API (source mode)
        from alibabacloud_fc20230330 import models
        from alibabacloud_fc20230330.client import Client
        from alibabacloud_tea_openapi.models import Config
        from darabonba.runtime import RuntimeOptions

        c = context.credentials
        config = Config(access_key_id=c.access_key_id, access_key_secret=c.access_key_secret,
                        security_token=c.security_token, endpoint=os.environ["FC_ENDPOINT"].split("://", 1)[1],
                        protocol="http", region_id=context.region)
        response = Client(config).invoke_function_with_options(
            context.function.name, models.InvokeFunctionRequest(body=json.dumps(request["next"]).encode()),
            models.InvokeFunctionHeaders(x_fc_invocation_type="Async"), RuntimeOptions())
        return {"status": response.status_code, "request_id": response.headers["x-fc-request-id"]}
    if action == "context":
        c = context.credentials
        return {
            "request_id": context.request_id,
            "credentials": [c.access_key_id, c.accessKeyId, c.access_key_secret == c.accessKeySecret,
                            c.security_token == c.securityToken, bool(c.security_token)],
            "function": [context.function.name, context.function.handler, context.function.memory,
                         context.function.timeout],
            "service": [context.service.name, context.service.log_project, context.service.log_store,
                        context.service.qualifier, context.service.version_id],
            "region": context.region,
            "account_id": context.account_id,
            "tracing": context.tracing is not None,
        }
    return request
"""


def write_project(directory: Path) -> Path:
    """Write the fixture project into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "s.yaml").write_text(S_YAML, encoding="utf-8")
    (directory / "index.py").write_text(HANDLER, encoding="utf-8")
    (directory / ".fcignore").write_text("dist/\n", encoding="utf-8")  # the local FC builds the package there
    return directory


def payload(**fields: Any) -> bytes:
    return json.dumps(fields).encode("utf-8")


def signed_request(
    url: str,
    method: str,
    path: str,
    *,
    access_key_id: str,
    access_key_secret: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    query: str = "",
    content_length: int | None = None,
    scheme: str = "fc",
) -> http.client.HTTPResponse:
    """A signed request sent with http.client, for what requests cannot send (repeated headers, a lying
    Content-Length). ``scheme="fc"``: FC 2.0's ``FC ak:sig`` from aliyun-fc2's public ``Auth.sign_request`` (the
    invoke API); ``"acs3"``: FC 3.0's HTTP-trigger signature, as vodcancel signs it."""
    if scheme == "acs3":
        from vodcancel.credentials import Credential
        from vodcancel.signing import trigger_headers

        target = url + path + (f"?{query}" if query else "")
        sign_headers = trigger_headers(method, target, Credential(access_key_id, access_key_secret))
    else:
        import fc2.auth

        date = formatdate(usegmt=True)
        queries = {k: v for k, v in parse_qs(query, keep_blank_values=True).items()}
        signer = fc2.auth.Auth(access_key_id, access_key_secret, "")
        signature = signer.sign_request(method, unquote(path), {"date": date, "content-type": _OCTETS}, queries)
        sign_headers = {"Date": date, "Content-Type": _OCTETS, "Authorization": signature}
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest(method, path + (f"?{query}" if query else ""))
    for name, value in sign_headers.items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body) if content_length is None else content_length))
    for name, value in headers or []:
        connection.putheader(name, value)
    connection.endheaders()
    if content_length is None and body:
        connection.send(body)
    return connection.getresponse()


_OCTETS = "application/octet-stream"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
