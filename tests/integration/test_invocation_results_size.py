"""What an OSS invocation returns: the whole results document, or only its head for a manifest too big to hold twice.

Through the real flow (lib.invocation.handle) against the plugin's local cloud, official SDKs on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lib import config
from lib.invocation import handle
from localcloud.oss.models import ObjectInput

EVENTS = Path(__file__).resolve().parents[2] / "events"
BUCKET = "vod-cancel-manifests"
KEY = "cancel-requests/results-size.txt"


def _invoke(cloud: Any, monkeypatch: pytest.MonkeyPatch, count: int, **env: str) -> tuple[Any, list[dict]]:
    urls = [f"https://media.example.com/results-size/{i:03d} take, {i}.mp4" for i in range(count)]
    for url in urls:
        cloud.vod.seed_job(url)
    data = "".join(url + "\n" for url in urls).encode()
    cloud.oss.create_bucket(BUCKET)
    stored, _ = cloud.oss.store(BUCKET, KEY, data, ObjectInput("text/plain"), request_id="test")
    variables = {
        **cloud.fc.environment(),
        "FC_REGION": cloud.region,
        "FC_ACCOUNT_ID": cloud.account_id,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": cloud.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": cloud.access_key_secret,
        **env,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    config.settings.cache_clear()
    event = json.loads((EVENTS / "oss-manifest.json").read_text())
    event["events"][0]["oss"]["object"].update(key=KEY, size=len(data), eTag=stored.etag)
    context = SimpleNamespace(request_id="req-results-size", credentials=None, function=SimpleNamespace(timeout=60))
    try:
        returned = handle(json.dumps(event).encode(), context)
    finally:
        config.settings.cache_clear()
    topic = variables["NOTIFY_TOPIC"]
    return returned, [json.loads(m.body) for m in cloud.mns.published(topic)]


def test_a_manifest_over_the_item_limit_returns_only_the_head(localcloud: Any, monkeypatch: pytest.MonkeyPatch):
    # GIVEN a 7-URL manifest, a 5-item request limit and small messages
    returned, parts = _invoke(localcloud, monkeypatch, 7, MAX_REQUEST_ITEMS="5", NOTIFY_MAX_MESSAGE_BYTES="4096")
    # THEN the return value is the head: counts and part count, no lists ...
    head = json.loads(returned)
    assert set(head) == {"Version", "RequestId", "Source", "DedupeKey", "PartCount", "Counts"}
    assert head["Counts"]["Requested"] == head["Counts"]["Canceled"] == 7
    # ... and every item is in the parts on the topic
    assert len(parts) == head["PartCount"]
    assert sum(len(part["CanceledUrls"]) for part in parts) == 7


def test_a_small_manifest_returns_the_published_document(localcloud: Any, monkeypatch: pytest.MonkeyPatch):
    returned, parts = _invoke(localcloud, monkeypatch, 3)
    assert [json.loads(returned)] == parts
    assert parts[0]["Counts"]["Canceled"] == 3 and parts[0]["PartCount"] == 1
