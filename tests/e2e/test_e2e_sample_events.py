"""Each sample in ``events/`` (the exact FC event shapes) invoked synchronously with aliyun-fc2 ``invoke_function``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import RESULTS_TOPIC, invoke, published

from localcloud.cloud import LocalCloud
from localcloud.demo import seed_demo

EVENTS = Path(__file__).resolve().parents[2] / "events"
KEEP_ME = "6e7f80910a1b2c3d4e5f60718293a4b5"


@dataclass(frozen=True)
class Expected:
    source: str
    dedupe_key: str
    canceled_jobs: set[str]
    canceled_urls: dict[str, list[str]] = field(default_factory=dict)
    non_exists: set[str] = field(default_factory=set)
    not_cancellable: dict[str, tuple[str, str]] = field(default_factory=dict)


def _body_key(body: bytes) -> str:
    return "mns-body:" + hashlib.sha256(body).hexdigest()[:32]


def _stream_attrs_body() -> bytes:
    return json.loads((EVENTS / "mns-stream-attrs.json").read_text())["body"].encode("utf-8")


SAMPLES: dict[str, Expected] = {
    "oss-manifest.json": Expected(
        "oss",
        "oss:vod-cancel-manifests/cancel-requests/batch-001.txt@0F5B41B6A6B4D2C3E1F0A9B8C7D6E5F4",
        {"0e1d2c3b4a5968778695a4b3c2d1e0f1", "0e1d2c3b4a5968778695a4b3c2d1e0f2", "1f0e9d8c7b6a59483726150493827160"},
        {
            "https://media.example.com/raw/ep01.mp4": ["0e1d2c3b4a5968778695a4b3c2d1e0f1"],
            "https://media.example.com/raw/ep02 final, v2.mp4": ["0e1d2c3b4a5968778695a4b3c2d1e0f2"],
        },
        {"https://media.example.com/raw/never-uploaded.mp4"},
        {"https://media.example.com/raw/ep03.mp4": ("0e1d2c3b4a5968778695a4b3c2d1e0f3", "PROCESSING")},
    ),
    "mns-json.json": Expected(
        "mns",
        "mns:vod-cancel-requests:2F5B3C082B923D4EAC694B76D9280001",
        {"a1b2c3d4e5f60718293a4b5c6d7e8f90", "2a3b4c5d6e7f80910a1b2c3d4e5f6071"},
        {"https://media.example.com/trailers/summer, 2026 (final).mp4": ["2a3b4c5d6e7f80910a1b2c3d4e5f6071"]},
        {"00000000000000000000000000000000"},
    ),
    "mns-stream.json": Expected(
        "mns",
        _body_key((EVENTS / "mns-stream.json").read_bytes()),
        {"b2c3d4e5f60718293a4b5c6d7e8f90a1", "c3d4e5f60718293a4b5c6d7e8f90a1b2"},
    ),
    "mns-stream-attrs.json": Expected(
        "mns",
        _body_key(_stream_attrs_body()),
        {"4c5d6e7f80910a1b2c3d4e5f60718293", "5d6e7f80910a1b2c3d4e5f60718293a4", "d4e5f60718293a4b5c6d7e8f90a1b2c3"},
        {
            "https://media.example.com/clips/café & bar.mp4": ["4c5d6e7f80910a1b2c3d4e5f60718293"],
            "https://media.example.com/clips/100%25+real.mp4": ["5d6e7f80910a1b2c3d4e5f60718293a4"],
        },
    ),
    "http-post.json": Expected(
        "http",
        "http:ticket-4711",
        {"3b4c5d6e7f80910a1b2c3d4e5f607182"},
        {"https://media.example.com/promo/春季 promo.mp4": ["3b4c5d6e7f80910a1b2c3d4e5f607182"]},
        {"https://media.example.com/promo/unknown.mp4"},
        {"e5f60718293a4b5c6d7e8f90a1b2c3d4": ("e5f60718293a4b5c6d7e8f90a1b2c3d4", "SUCCESS")},
    ),
}


def test_every_sample_event_is_covered() -> None:
    """The table below names every file in events/ (a new sample needs its expected outcome here)."""
    # GIVEN the samples in events/
    # WHEN they are listed
    # THEN each has an expected outcome in SAMPLES
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_event_invoked_synchronously(cloud: LocalCloud, name: str) -> None:
    """The sample's items end as documented, in the return value and on the results topic (a manifest's
    invocation returns the summary: its outcomes are on the topic)."""
    # GIVEN the demo jobs and manifest
    seed_demo(cloud)
    expected = SAMPLES[name]
    # WHEN the sample event is invoked synchronously with aliyun-fc2
    invocation = invoke(cloud, (EVENTS / name).read_bytes())
    # THEN the function returns the results (an HTTP reply for the HTTP event) ...
    result: Any = invocation.result
    if expected.source == "http":
        assert result["statusCode"] == 200
        assert result["headers"]["X-Results-Published"] == "true"
        result = json.loads(result["body"])
    # ... with the documented envelope fields ...
    assert result["RequestId"] == invocation.request_id
    assert (result["Source"], result["DedupeKey"]) == (expected.source, expected.dedupe_key)
    (document,) = [message.document for message in published(cloud, RESULTS_TOPIC)]
    if expected.source == "oss":
        assert (result["Final"], result["Parts"], result["Counts"]) == (True, 1, document["Counts"])
        result = document
    # ... every item's outcome ...
    assert set(result["CanceledJobs"]) == expected.canceled_jobs
    assert {entry["UploadUrl"]: entry["JobIds"] for entry in result["CanceledUrls"]} == expected.canceled_urls
    assert set(result["NonExists"]) == expected.non_exists
    assert {e["Item"]: (e["JobId"], e["Status"]) for e in result["NotCancellable"]} == expected.not_cancellable
    assert result["Failed"] == []
    # ... the same document published on the results topic, and the jobs' final states
    assert document == result and (document["Part"], document["Final"], document["PartCount"]) == (1, True, 1)
    for job_id in expected.canceled_jobs:
        assert cloud.vod.job(job_id).status == "CANCELED"
    assert cloud.vod.job(KEEP_ME).status == "PENDING"
