# POST a cancel request to the HTTP trigger, signed as FC 3.0's signature authentication documents:
#   export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...  # + ALIBABA_CLOUD_SECURITY_TOKEN (STS)
#   export VOD_CANCEL_TRIGGER_URL=https://vod-cancel-url-uploads-<suffix>.cn-shanghai.fcapp.run/cancel
#   python examples/call_http_trigger.py

import json
import os
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import requests
from alibabacloud_openapi_util.client import Client as util
from Tea.request import TeaRequest

url = os.environ["VOD_CANCEL_TRIGGER_URL"]  # `s info` shows the trigger's URL after `s deploy`
body = json.dumps({"JobIds": ["a1b2c3d4e5f60718293a4b5c6d7e8f90"]})
headers = {
    "x-acs-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "x-acs-security-token": os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),  # only for STS credentials
    "content-type": "application/json",
    "idempotency-key": "ticket-4711",  # becomes the results' DedupeKey: http:ticket-4711
}

parsed = urlparse(url)
sign_request = TeaRequest()
sign_request.method = "POST"
sign_request.pathname = parsed.path.replace("$", "%24")
sign_request.headers = headers  # every header here is signed
sign_request.query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
headers["authorization"] = util.get_authorization(
    sign_request,
    "ACS3-HMAC-SHA256",
    "",  # FC 3.0's samples sign an empty payload hash
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
)

reply = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=150)
print(reply.status_code, json.dumps(reply.json(), indent=2, ensure_ascii=False))
reply.raise_for_status()
