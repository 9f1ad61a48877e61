"""The SDKs load only when a call is made: a bad request in a fresh process never imports one."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from lib import sdk

ROOT = Path(__file__).resolve().parents[2]
SDK_PREFIXES = ("alibabacloud", "darabonba", "Tea", "mns", "oss2", "aiohttp", "requests", "urllib3")

_SCRIPT = """
import json, sys
import handler

class Ctx:
    request_id = "r-1"
    credentials = None
    function = None

event = {"version": "v1", "rawPath": "/", "headers": {}, "queryParameters": {}, "body": "not json {",
         "isBase64Encoded": False, "requestContext": {"requestId": "q", "http": {"method": "POST"}}}
reply = handler.handler(json.dumps(event).encode(), Ctx())
loaded = sorted(m for m in sys.modules if m.split(".")[0].startswith(PREFIXES))
print(json.dumps({"status": reply["statusCode"], "loaded": loaded}))
"""


def test_a_bad_http_request_in_a_fresh_process_imports_no_sdk():
    # GIVEN a fresh interpreter WHEN the handler answers an invalid HTTP body THEN 400, and no SDK module loaded
    env = {"NOTIFY_TOPIC": "results", "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk",
           "FC_ACCOUNT_ID": "1", "PATH": "/usr/bin:/bin"}  # fmt: skip
    script = f"PREFIXES = {SDK_PREFIXES!r}\n" + _SCRIPT
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 400, "loaded": []}


def test_load_imports_once_and_leaves_the_collector_as_it_was():
    assert gc.isenabled()
    sdk.load(("json", "colorsys"))
    assert "colorsys" in sys.modules and gc.isenabled()
    gc.disable()
    try:
        sdk.load(("colorsys",))  # already loaded: nothing to do
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()  # load() froze this test process's objects; give them back to the collector
