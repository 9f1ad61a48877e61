"""What an OSS invocation returns: the request's summary (the parts are on the results topic), whatever its size;
and a late redelivery of a finished manifest publishes nothing new.

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


def _setup(cloud: Any, monkeypatch: pytest.MonkeyPatch, count: int, **env: str) -> bytes:
    """A manifest of ``count`` pending URLs, the function's environment, and the OSS event naming the manifest."""
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
    event = json.loads((EVENTS / "oss-manifest.json").read_text())
    event["events"][0]["oss"]["object"].update(key=KEY, size=len(data), eTag=stored.etag)
    return json.dumps(event).encode()


def _handle(cloud: Any, event: bytes) -> tuple[Any, list[dict]]:
    """Run the function in this process on ``event``; its return value and everything on the results topic."""
    config.settings.cache_clear()
    context = SimpleNamespace(request_id="req-results-size", credentials=None, function=SimpleNamespace(timeout=60))
    try:
        returned = handle(event, context)
    finally:
        config.settings.cache_clear()
    topic = cloud.fc.environment()["NOTIFY_TOPIC"]
    return returned, [json.loads(m.body) for m in cloud.mns.published(topic)]


def test_a_manifest_returns_its_summary_and_publishes_its_parts(localcloud: Any, monkeypatch: pytest.MonkeyPatch):
    # GIVEN a 7-URL manifest and small messages
    returned, parts = _handle(localcloud, _setup(localcloud, monkeypatch, 7, NOTIFY_MAX_MESSAGE_BYTES="4096"))
    # THEN the return value is the summary: final, how many parts, the totals, no lists ...
    head = json.loads(returned)
    assert set(head) == {"Version", "RequestId", "Source", "DedupeKey", "Final", "Parts", "Counts"}
    assert head["Final"] is True and head["Counts"]["Requested"] == head["Counts"]["Canceled"] == 7
    # ... and every item is in the parts on the topic, the last one final with the same totals
    assert len(parts) == head["Parts"] and parts[-1]["Final"] and parts[-1]["Counts"] == head["Counts"]
    assert sum(len(part["CanceledUrls"]) for part in parts) == 7


def test_a_late_redelivery_of_a_finished_manifest_publishes_nothing(localcloud: Any, monkeypatch: pytest.MonkeyPatch):
    # GIVEN a manifest handled to the end
    event = _setup(localcloud, monkeypatch, 3)
    first, parts = _handle(localcloud, event)
    # WHEN the same event is delivered again
    again, after = _handle(localcloud, event)
    # THEN nothing more is published, and the summary is the finished request's
    assert after == parts and parts[-1]["PartCount"] == 1 and parts[0]["Counts"]["Canceled"] == 3
    assert json.loads(again) == json.loads(first)
