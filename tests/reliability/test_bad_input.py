"""Generated bad input through all three triggers: every case is a clear error, never a crash, never a VOD call.

HTTP cases go through the HTTP trigger signed by aliyun-fc2 (400, never 500; nothing published). MNS and OSS
cases are FC events invoked with aliyun-fc2's synchronous InvokeFunction (a loopback round trip each, so thousands
fit in a soak); the invocation must *return* (a raise would make FC / MNS redeliver a poison message forever) with
exactly one ``rejected`` message on the results topic. The last two tests send poison through the real MNS topic
and OSS bucket and check each was tried exactly once.

CI runs a few hundred derandomized cases; ``--soak`` runs ≥10,000 random ones (see ``Run.examples``).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    RESULTS_TOPIC,
    Run,
    Tally,
    invoke_sync,
    mns_json_event,
    oss_event,
    post_http,
    publish_request,
    put_manifest,
    store_manifest,
    wait_idle,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    BadCase,
    arbitrary_payloads,
    invalid_manifests,
    invalid_requests,
    json_values,
    not_base64,
)

from localcloud.cloud import LocalCloud

MAX_ERROR_MESSAGE_CHARS = 300


def _settings(run: Run, ci: int, soak: int) -> settings:
    return settings(
        max_examples=run.examples(ci, soak),
        deadline=None,
        derandomize=not run.soak,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def _check_error(error: Any, codes: frozenset[str] | None) -> None:
    """A clear error (the one error shape, HTTP reply or rejection): a known code and a short message to act on."""
    assert isinstance(error, dict), error
    code, message = error.get("Code"), error.get("Message")
    assert isinstance(code, str), error
    assert isinstance(message, str) and 0 < len(message) <= MAX_ERROR_MESSAGE_CHARS, message
    if codes is not None:
        assert code in codes, f"expected one of {sorted(codes)}, got {code}: {message}"


class Watch:
    """Deltas of VOD calls and results messages around one generated case."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.vod_calls = cloud.vod.call_count()
        self.messages = len(cloud.mns.published(RESULTS_TOPIC))

    def new_vod_calls(self) -> int:
        return self.cloud.vod.call_count() - self.vod_calls

    def new_messages(self) -> list[Any]:
        return self.cloud.mns.published(RESULTS_TOPIC)[self.messages :]


def _expect_rejected(
    cloud: LocalCloud, watch: Watch, record: Any, codes: frozenset[str] | None, source: str, dedupe_key: str | None
) -> None:
    """The invocation returned (no retry), published exactly one ``rejected`` message, made no VOD call."""
    assert record.status == "succeeded", f"the invocation raised ({record.error}): FC would retry a poison message"
    document = record.result_json()
    _check_error(document.get("Error"), codes)
    (message,) = watch.new_messages()
    body = json.loads(message.body)
    assert message.tag == "rejected"
    assert body == document
    assert (body["Source"], body["RequestId"]) == (source, record.request_id)
    if dedupe_key is not None:
        assert body["DedupeKey"] == dedupe_key
    assert watch.new_vod_calls() == 0, "an invalid request reached VOD"


# -- HTTP ----------------------------------------------------------------------------------------------------------
def test_http_invalid_requests_get_400_with_a_clear_error(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Every class of invalid body through the HTTP trigger: 400 with the right code, no VOD call, no message."""

    @_settings(run, ci=90, soak=3000)
    @given(case=invalid_requests())
    def check(case: BadCase) -> None:
        # GIVEN an invalid request body  WHEN it is POSTed to the HTTP trigger (signed by aliyun-fc2)
        watch = Watch(localcloud)
        reply = post_http(localcloud, case.payload)
        tally.cases += 1
        # THEN 400 with the error code, nothing reached VOD and nothing was published
        assert reply.status == 400, (reply.status, reply.body[:300])
        _check_error(reply.json()["Error"], case.codes)
        assert watch.new_vod_calls() == 0
        assert watch.new_messages() == []

    check()


def test_http_arbitrary_bodies_never_get_a_5xx(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Random bytes, text and JSON: 200 with every item accounted for, or 400 without a VOD call; never 5xx."""

    @_settings(run, ci=40, soak=1200)
    @given(payload=arbitrary_payloads)
    def check(payload: bytes) -> None:
        # GIVEN any body at all  WHEN it is POSTed
        watch = Watch(localcloud)
        reply = post_http(localcloud, payload)
        tally.cases += 1
        # THEN a clear answer: 400 (no VOD call) or 200 with one outcome per item
        assert reply.status in (200, 400), (reply.status, reply.body[:300])
        if reply.status == 400:
            _check_error(reply.json()["Error"], None)
            assert watch.new_vod_calls() == 0
            return
        document = reply.json()
        counts = document["Counts"]
        settled = sum(counts[name] for name in ("Canceled", "NonExists", "NotCancellable", "Failed"))
        assert counts["Requested"] == settled >= 1

    check()


def _http_event(
    body: str, *, base64_encoded: bool, method: str = "POST", headers: dict[str, str] | None = None
) -> bytes:
    event = {
        "version": "v1",
        "rawPath": "/cancel",
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "queryParameters": {},
        "body": body,
        "isBase64Encoded": base64_encoded,
        "requestContext": {
            "accountId": "1234567890123456",
            "domainName": "local",
            "domainPrefix": "local",
            "http": {"method": method, "path": "/cancel", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
            "time": "2026-01-01T00:00:00Z",
            "timeEpoch": "1767225600000",
        },
    }
    return json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def broken_http_events(draw: Any) -> tuple[bytes, frozenset[str], int]:
    """HTTP events with a body marked base64 that is not, another method, a bad Idempotency-Key, a broken shape."""
    kind = draw(st.sampled_from(["base64", "method", "idempotency-key", "base64-of-bad-request", "envelope"]))
    if kind == "envelope":  # no method, or a body that is not a string
        event = json.loads(_http_event('{"JobIds": ["abc"]}', base64_encoded=False))
        if draw(st.booleans()):
            del event["requestContext"]["http"]["method"]
        else:
            event["body"] = draw(st.one_of(st.integers(), st.lists(st.integers(), max_size=2), st.just({"a": 1})))
        return json.dumps(event).encode(), frozenset({"InvalidEvent"}), 400
    if kind == "base64":
        return _http_event(draw(not_base64), base64_encoded=True), frozenset({"InvalidBase64"}), 400
    if kind == "method":
        method = draw(st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"]))
        return (
            _http_event('{"JobIds": ["abc"]}', base64_encoded=False, method=method),
            frozenset({"MethodNotAllowed"}),
            405,
        )
    if kind == "idempotency-key":
        key = draw(
            st.one_of(
                st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=257, max_size=400),
                st.just("ticket\x00") | st.just("a\u2028b") | st.just("k\x7f"),
            )
        )
        event = _http_event('{"JobIds": ["abc"]}', base64_encoded=False, headers={"Idempotency-Key": key})
        return event, frozenset({"InvalidIdempotencyKey"}), 400
    case = draw(invalid_requests())
    body = base64.b64encode(case.payload).decode()
    return _http_event(body, base64_encoded=True), case.codes, 400


def test_http_events_with_broken_base64_methods_or_keys_are_refused(
    localcloud: LocalCloud, run: Run, tally: Tally
) -> None:
    """HTTP events an ordinary caller cannot send through FC (bad base64 etc.) still get a 4xx reply, no crash."""

    @_settings(run, ci=40, soak=1000)
    @given(case=broken_http_events())
    def check(case: tuple[bytes, frozenset[str], int]) -> None:
        event, codes, status = case
        # GIVEN a broken HTTP event  WHEN the function is invoked with it
        watch = Watch(localcloud)
        record = invoke_sync(localcloud, event)
        tally.cases += 1
        # THEN it returns an HTTP reply with the status and code, calls no VOD and publishes nothing
        assert record.status == "succeeded", record.error
        reply = record.result_json()
        assert reply["statusCode"] == status
        _check_error(json.loads(reply["body"])["Error"], codes)
        assert watch.new_vod_calls() == 0
        assert watch.new_messages() == []

    check()


# -- MNS -----------------------------------------------------------------------------------------------------------
@st.composite
def mns_events(draw: Any, payloads: st.SearchStrategy[Any]) -> tuple[bytes, Any, str | None]:
    """(event, case, dedupe key) in one of the three MNS shapes; invalid UTF-8 can only travel as raw STREAM."""
    case = draw(payloads)
    payload = case.payload if isinstance(case, BadCase) else case
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    shape = draw(st.sampled_from(["json", "stream", "stream-attrs"])) if text is not None else "stream"
    if shape == "json":
        message_id = uuid.uuid4().hex.upper()
        return mns_json_event(text, message_id), case, f"mns:vod-cancel-requests:{message_id}"
    if shape == "stream-attrs":
        event = json.dumps({"body": text, "attrs": {"source": "reliability"}}).encode()
        return event, case, None
    return payload, case, None


def test_mns_invalid_requests_are_rejected_once_without_retry(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Invalid requests in MNS JSON, STREAM and STREAM+attrs events: one `rejected` message, a normal return."""

    @_settings(run, ci=70, soak=2500)
    @given(event=mns_events(invalid_requests()))
    def check(event: tuple[bytes, BadCase, str | None]) -> None:
        raw, case, dedupe_key = event
        # GIVEN an MNS event carrying an invalid request  WHEN the function is invoked with it
        watch = Watch(localcloud)
        record = invoke_sync(localcloud, raw)
        tally.cases += 1
        # THEN it returns normally with one rejection published, and VOD was never called
        _expect_rejected(localcloud, watch, record, case.codes, "mns", dedupe_key)

    check()


def test_mns_arbitrary_events_never_raise(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Any bytes as an MNS event: the function returns (rejection or results), so MNS never redelivers it."""

    envelopes = st.builds(mns_json_event, json_values, st.one_of(st.text(max_size=8), json_values))

    @_settings(run, ci=40, soak=1200)
    @given(event=st.one_of(arbitrary_payloads, envelopes))
    def check(event: bytes) -> None:
        # GIVEN arbitrary event bytes  WHEN the function is invoked with them
        watch = Watch(localcloud)
        record = invoke_sync(localcloud, event)
        tally.cases += 1
        # THEN it returns; a rejection made no VOD call; exactly one message was published
        assert record.status == "succeeded", record.error
        document = record.result_json()
        if "Error" in document:
            _check_error(document["Error"], None)
            assert watch.new_vod_calls() == 0
        messages = [json.loads(message.body) for message in watch.new_messages()]
        assert messages and all(message["RequestId"] == record.request_id for message in messages)

    check()


# -- OSS -----------------------------------------------------------------------------------------------------------
def test_oss_invalid_manifests_are_rejected_once(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Invalid manifest objects: one `rejected` message naming the problem, a normal return, no VOD call."""

    @_settings(run, ci=45, soak=1500)
    @given(case=invalid_manifests(), name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
    def check(case: BadCase, name: str) -> None:
        # GIVEN an invalid manifest stored in the bucket  WHEN the function gets its OSS event
        key = f"{MANIFEST_PREFIX}{name}-{uuid.uuid4().hex[:6]}.txt"
        stored = store_manifest(localcloud, key, case.payload)
        watch = Watch(localcloud)
        record = invoke_sync(
            localcloud, oss_event(localcloud, MANIFEST_BUCKET, key, etag=stored.etag, size=stored.size)
        )
        tally.cases += 1
        # THEN one rejection with the manifest's dedupe key, no VOD call, no retry
        _expect_rejected(localcloud, watch, record, case.codes, "oss", f"oss:{MANIFEST_BUCKET}/{key}@{stored.etag}")

    check()


object_keys = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60)


def test_oss_events_for_missing_objects_or_buckets_are_rejected(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """An OSS event naming an object that does not exist: `ManifestNotFound`, rejected, not retried — where the
    function's role may read it (the manifest bucket, under the prefix). Elsewhere in the bucket OSS refuses the
    read under the role's RAM policy before it looks: `ManifestAccessDenied`, rejected the same way (retrying cannot
    change a permission; the rejection says which grant is missing). (Other buckets: whatever OSS answers first for
    a bucket that does not exist; the services' own tests pin that.)"""

    @_settings(run, ci=30, soak=800)
    @given(
        key=st.tuples(
            st.one_of(object_keys, object_keys.map(lambda key: MANIFEST_PREFIX + key)),
            st.sampled_from([".txt", ".json", ".TXT"]),  # manifests only
        ).map("".join),
        size=st.none() | st.integers(0, 99),
    )
    def check(key: str, size: int | None) -> None:
        bucket = MANIFEST_BUCKET
        # GIVEN an event for an object that is not there  WHEN the function is invoked with it
        watch = Watch(localcloud)
        event = oss_event(localcloud, bucket, key, size=size)
        tally.cases += 1
        dotted = any(segment in (".", "..") for segment in key.split("/"))
        # THEN ManifestNotFound is published as a rejection; nothing else happens (a key with "." or ".."
        #      segments cannot even be requested: HTTP clients rewrite the path). Outside the role's oss:GetObject
        #      grant OSS refuses the read, so "missing" cannot be told from "forbidden": ManifestAccessDenied
        record = invoke_sync(localcloud, event)
        outside = not dotted and not key.startswith(MANIFEST_PREFIX)
        codes = frozenset(
            {"UnreadableManifestKey" if dotted else "ManifestAccessDenied" if outside else "ManifestNotFound"}
        )
        _expect_rejected(localcloud, watch, record, codes, "oss", None)

    check()


@st.composite
def broken_oss_events(draw: Any) -> bytes:
    """OSS envelopes that are structurally wrong, or carry no ObjectCreated record."""
    good = {
        "eventName": "ObjectCreated:PutObject",
        "oss": {"bucket": {"name": MANIFEST_BUCKET}, "object": {"key": "cancel-requests/a.txt", "eTag": "X"}},
    }
    kind = draw(st.integers(0, 6))
    if kind == 0:
        events: Any = draw(st.one_of(json_values.filter(lambda v: not isinstance(v, list)), st.just({})))
    elif kind == 1:
        events = [draw(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers(), max_size=2)))]
    elif kind == 2:
        events = [{**good, "eventName": draw(st.one_of(st.none(), st.integers(), st.lists(st.text(), max_size=1)))}]
    elif kind == 3:
        name = draw(
            st.sampled_from(
                ["ObjectRemoved:DeleteObject", "ObjectModified:UpdateObjectMeta", "ObjectReplication:ObjectCreated"]
            )
        )
        events = [{**good, "eventName": name}] * draw(st.integers(1, 3))
    elif kind == 4:
        events = []
    else:
        oss = draw(
            st.sampled_from(
                [
                    None,
                    {},
                    {"bucket": {"name": ""}, "object": {"key": "a"}},
                    {"bucket": {"name": MANIFEST_BUCKET}, "object": {"key": ""}},
                    {"bucket": "b", "object": "k"},
                    {"bucket": {"name": 7}, "object": {"key": ["k"]}},
                ]
            )
        )
        events = [{"eventName": "ObjectCreated:PutObject", "oss": oss}]
    return json.dumps({"events": events}).encode()


def test_oss_broken_envelopes_are_rejected(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Broken OSS event envelopes: `InvalidEvent` / `UnsupportedEvent` published, the invocation returns."""

    @_settings(run, ci=30, soak=800)
    @given(event=broken_oss_events())
    def check(event: bytes) -> None:
        # GIVEN a broken OSS event  WHEN the function is invoked with it
        watch = Watch(localcloud)
        record = invoke_sync(localcloud, event)
        tally.cases += 1
        # THEN it is rejected visibly (as an OSS event), never raised, never sent to VOD
        _expect_rejected(localcloud, watch, record, frozenset({"InvalidEvent", "UnsupportedEvent"}), "oss", None)

    check()


# -- size limits with small settings (the real limits are in test_limits.py) -----------------------------------------
def test_oversized_payloads_and_manifests_are_refused(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Bodies over MAX_REQUEST_BYTES and manifests over MAX_MANIFEST_BYTES (lowered to 2 KiB): refused, no VOD call."""
    limit = 2048
    localcloud.fc.set_env(MAX_REQUEST_BYTES=str(limit), MAX_MANIFEST_BYTES=str(limit))
    payload_strategy = st.builds(
        lambda ids, pad: json.dumps({"JobIds": ids, "note": "x" * pad}).encode(),
        st.lists(st.text("abc123", min_size=1, max_size=8), min_size=1, max_size=5),
        st.integers(limit, 4 * limit),
    )

    @_settings(run, ci=20, soak=500)
    @given(payload=payload_strategy, door=st.sampled_from(["http", "mns", "oss-sized", "oss-unsized"]))
    def check(payload: bytes, door: str) -> None:
        # GIVEN a body or manifest over the (lowered) limit  WHEN it arrives through one of the doors
        watch = Watch(localcloud)
        tally.cases += 1
        if door == "http":
            reply = post_http(localcloud, payload)
            # THEN HTTP: 400 PayloadTooLarge
            assert reply.status == 400
            _check_error(reply.json()["Error"], frozenset({"PayloadTooLarge"}))
            assert watch.new_vod_calls() == 0
            return
        if door == "mns":
            record = invoke_sync(localcloud, mns_json_event(payload.decode()))
            _expect_rejected(localcloud, watch, record, frozenset({"PayloadTooLarge"}), "mns", None)
            return
        key = f"{MANIFEST_PREFIX}big-{uuid.uuid4().hex[:8]}.txt"
        stored = store_manifest(localcloud, key, payload)
        # an event without the object size makes the function find out while streaming the manifest
        size = stored.size if door == "oss-sized" else None
        record = invoke_sync(localcloud, oss_event(localcloud, MANIFEST_BUCKET, key, etag=stored.etag, size=size))
        _expect_rejected(localcloud, watch, record, frozenset({"ManifestTooLarge"}), "oss", None)

    check()


# -- through the real topic and bucket: a poison message is tried exactly once ---------------------------------------
def test_poison_messages_on_the_topic_are_tried_once(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Invalid requests published on the request topic: each delivered once, rejected, never redelivered."""
    small = invalid_requests().filter(lambda case: len(case.payload) < 60_000)

    @_settings(run, ci=20, soak=400)
    @given(case=small)
    def check(case: BadCase) -> None:
        try:
            text = case.payload.decode("utf-8")
        except UnicodeDecodeError:
            return  # an MNS message body is text; raw bytes are covered by the STREAM cases above
        if not text:
            return  # MNS refuses an empty message body itself
        # GIVEN a poison message  WHEN it is published on the request topic (MNS pushes it to FC, async)
        watch = Watch(localcloud)
        before = len(localcloud.fc.invocations(source="mns"))
        message_id = publish_request(localcloud, text)
        wait_idle(localcloud)
        tally.cases += 1
        # THEN exactly one attempt, which returned, and one rejection carrying the message's dedupe key
        (record,) = localcloud.fc.invocations(source="mns")[before:]
        assert record.attempt == 1
        _expect_rejected(localcloud, watch, record, case.codes, "mns", f"mns:vod-cancel-requests:{message_id}")

    check()


def test_poison_manifests_in_the_bucket_are_tried_once(localcloud: LocalCloud, run: Run, tally: Tally) -> None:
    """Invalid manifests uploaded with oss2 under the trigger prefix: one attempt each, rejected, no retry."""

    @_settings(run, ci=15, soak=300)
    @given(case=invalid_manifests().filter(lambda case: len(case.payload) < 200_000))
    def check(case: BadCase) -> None:
        # GIVEN a poison manifest  WHEN it is uploaded (OSS notifies FC, async)
        watch = Watch(localcloud)
        before = len(localcloud.fc.invocations(source="oss"))
        key = f"{MANIFEST_PREFIX}poison-{uuid.uuid4().hex[:8]}.txt"
        put_manifest(localcloud, key, case.payload)
        tally.cases += 1
        # THEN exactly one attempt that returned, and one rejection
        (record,) = localcloud.fc.invocations(source="oss")[before:]
        assert record.attempt == 1
        _expect_rejected(localcloud, watch, record, case.codes, "oss", None)

    check()
