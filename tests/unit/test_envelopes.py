"""FC event recognition and unwrapping (OSS, MNS JSON / STREAM / STREAM+attrs, FC 3.0 HTTP), and how each
envelope answers for its door (reject, reply, misconfiguration, failed publish)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from lib.documents import DocumentIds
from lib.envelopes import ContinuationEnvelope, Envelope, HttpEnvelope, OssObjectRef, open_envelope
from lib.envelopes.oss import is_manifest
from lib.errors import BadRequestError, ConfigurationError, EventIgnored
from lib.handoff import CONTINUATION_KEY, Handoff, continuation_event
from lib.request import CancelRequest

TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "fc3-event-templates"
FC_REQUEST_ID = "fc-req-1"

OSS_RECORD = {
    "eventName": "ObjectCreated:PutObject",
    "eventSource": "acs:oss",
    "eventTime": "2022-08-13T06:45:43.000Z",
    "eventVersion": "1.0",
    "oss": {
        "bucket": {"arn": "acs:oss:cn-shanghai:1:bkt", "name": "bkt", "ownerIdentity": "1"},
        "object": {"deltaSize": 12, "eTag": "E1", "key": "cancel-requests/a.txt", "size": 12},
        "ossSchemaVersion": "1.0",
        "ruleId": "r",
    },
    "region": "cn-shanghai",
    "requestParameters": {"sourceIPAddress": "1.2.3.4"},
    "responseElements": {"requestId": "58F9"},
    "userIdentity": {"principalId": "1"},
}


def oss_record(key: str = "cancel-requests/a.txt", etag: str = "E1", name: str = "ObjectCreated:PutObject"):
    record = copy.deepcopy(OSS_RECORD)
    record["eventName"] = name
    record["oss"]["object"].update(key=key, eTag=etag)
    return record


def http_event(body: str = "job-1", *, method: str = "POST", headers=None, request_id="1-abc", b64=False):
    return {
        "version": "v1",
        "rawPath": "/cancel",
        "body": body,
        "isBase64Encoded": b64,
        "headers": headers or {"Content-Type": "text/plain"},
        "queryParameters": {"dry": "1"},
        "requestContext": {
            "accountId": "1234567890123456",
            "domainName": "x.cn-shanghai.fcapp.run",
            "domainPrefix": "x",
            "http": {"method": method, "path": "/cancel", "protocol": "HTTP/1.1", "sourceIp": "1.1.1.1"},
            "requestId": request_id,
            "time": "2023-09-05T06:41:11Z",
            "timeEpoch": "1693896071895",
        },
    }


class Carried:
    """A RequestReader that records what an envelope hands over instead of parsing it."""

    def __init__(self) -> None:
        self.payload: bytes | None = None
        self.manifests: tuple[OssObjectRef, ...] | None = None
        self.topics: list[str] = []
        self.continuation: tuple[str, str, str, Handoff] | None = None

    def from_payload(self, payload: bytes) -> CancelRequest:
        self.payload = payload
        return CancelRequest(job_ids=("x",))

    def from_manifests(self, manifests: Sequence[OssObjectRef], ids: DocumentIds) -> Any:
        self.manifests = tuple(manifests)
        self.ids = ids
        return CancelRequest(job_ids=("x",))

    def from_continuation(self, bucket: str, checkpoint: str, dedupe_key: str, handoff: Handoff) -> Any:
        self.continuation = (bucket, checkpoint, dedupe_key, handoff)
        return CancelRequest(job_ids=("x",))

    def check_trigger_topic(self, topic_name: str) -> None:
        self.topics.append(topic_name)


class Topic:
    """A Publisher that keeps what it was given."""

    def __init__(self) -> None:
        self.documents: list[tuple[str, str]] = []

    def publish(self, documents: Iterable[tuple[str, str]]) -> None:
        self.documents.extend(documents)


def parse(document: object) -> Envelope:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return open_envelope(raw, fc_request_id=FC_REQUEST_ID)


def carried(envelope: Envelope) -> Carried:
    reader = Carried()
    envelope.read_request(reader)
    return reader


def rejected(document: object) -> BadRequestError:
    """The problem an envelope carries (it is raised when its request is read)."""
    envelope = parse(document)
    with pytest.raises(BadRequestError) as caught:
        envelope.read_request(Carried())
    assert caught.value is envelope.problem
    return caught.value


def template(name: str) -> bytes:
    if not TEMPLATES.is_dir():
        pytest.skip(f"fc3 event templates not found at {TEMPLATES}")
    return (TEMPLATES / name).read_bytes()


def body_key(body: bytes) -> str:
    return "mns-body:" + hashlib.sha256(body).hexdigest()[:32]


# ---------------------------------------------------------------- official fc3 sample events


def test_fc3_oss_template():
    """The fc3 component's OSS sample is an OSS event naming its one object."""
    # GIVEN the official OSS sample, its object named as a manifest / WHEN parsed
    raw = template("oss.json").replace(b'"image/a.jpg"', b'"image/a.txt"')
    event = open_envelope(raw, fc_request_id=FC_REQUEST_ID)
    # THEN its object and dedupe key come out
    assert event.source == "oss" and event.shape == "oss"
    assert carried(event).manifests == (
        OssObjectRef(bucket="testbucket", key="image/a.txt", etag="688A7BF4F233DC9C88A80BF985AB7329", size=122539),
    )
    assert event.dedupe_key == "oss:testbucket/image/a.txt@688A7BF4F233DC9C88A80BF985AB7329"


@pytest.mark.parametrize(
    ("name", "message_id", "attributes"),
    [
        ("mns-without-MessageAttributes.json", "2F5B3C082B923D4EAC694B76D928****", {}),
        ("mns-with-MessageAttributes.json", "2F5B3C281B283D4EAC694B742528****", {"key": "value"}),
    ],
)
def test_fc3_mns_json_templates(name, message_id, attributes):
    """The fc3 MNS JSON samples unwrap to Message; the topic is checked and the message id names the delivery."""
    # GIVEN an official MNS JSON sample / WHEN parsed
    event = open_envelope(template(name), fc_request_id=FC_REQUEST_ID)
    reader = carried(event)
    # THEN the message body, topic and ids come out (attributes are not part of a cancel request)
    assert (event.source, event.shape, reader.payload) == ("mns", "mns-json", b"hello topic")
    assert reader.topics == ["test-topic"]
    assert event.dedupe_key == f"mns:test-topic:{message_id}"


def test_fc3_mns_stream_template():
    """The fc3 STREAM-with-attributes sample unwraps to its body and attrs."""
    # GIVEN the official STREAM sample / WHEN parsed
    event = open_envelope(template("mns-stream.json"), fc_request_id=FC_REQUEST_ID)
    reader = carried(event)
    # THEN the body comes out; no topic to check; the dedupe key hashes the body
    assert (event.source, event.shape, reader.payload) == ("mns", "mns-stream-attrs", b"hello topic")
    assert reader.topics == [] and event.dedupe_key == body_key(b"hello topic")


def test_fc3_http_template():
    """The fc3 HTTP sample is a POST whose empty requestId falls back to the FC request id."""
    # GIVEN the official HTTP sample (requestId "") / WHEN parsed
    event = open_envelope(template("http.json"), fc_request_id=FC_REQUEST_ID)
    # THEN the body and ids come out
    assert (event.source, event.problem, carried(event).payload) == ("http", None, b"haha")
    assert event.request_id == FC_REQUEST_ID and event.dedupe_key == f"http:{FC_REQUEST_ID}"


# ---------------------------------------------------------------- OSS


def test_oss_several_objects_and_order_independent_dedupe_key():
    """Several ObjectCreated records give several objects; the dedupe key does not depend on their order."""
    # GIVEN two records in both orders
    first, second = oss_record("m/1.txt", "A"), oss_record("m/2.txt", "B")
    # WHEN parsed
    forward, backward = parse({"events": [first, second]}), parse({"events": [second, first]})
    # THEN both objects are listed and the key is the sha256 of the sorted lines
    assert [ref.key for ref in carried(forward).manifests] == ["m/1.txt", "m/2.txt"]
    expected = "oss:" + hashlib.sha256(b"bkt/m/1.txt@A\nbkt/m/2.txt@B").hexdigest()
    assert forward.dedupe_key == backward.dedupe_key == expected


@pytest.mark.parametrize(
    "name",
    [
        "ObjectCreated:PutObject",
        "ObjectCreated:PostObject",
        "ObjectCreated:CompleteMultipartUpload",
        "oss:ObjectCreated:PutObject",
    ],
)
def test_oss_object_created_names_accepted(name):
    """Every ObjectCreated:* name is accepted, with or without the oss: prefix."""
    # GIVEN a record with that event name / WHEN parsed / THEN the object is taken
    assert [ref.key for ref in carried(parse({"events": [oss_record(name=name)]})).manifests] == [
        "cancel-requests/a.txt"
    ]


def test_oss_other_events_are_ignored():
    """Non-ObjectCreated records are ignored when an ObjectCreated one remains."""
    # GIVEN a delete and a create / WHEN parsed / THEN only the created object remains
    event = parse({"events": [oss_record("gone.txt", name="ObjectRemoved:DeleteObject"), oss_record("new.txt")]})
    assert [ref.key for ref in carried(event).manifests] == ["new.txt"]
    assert event.dedupe_key == "oss:bkt/new.txt@E1"


def test_oss_only_other_events_is_unsupported():
    """An OSS event with no ObjectCreated record is UnsupportedEvent naming what it got."""
    # GIVEN only a delete record / WHEN parsed / THEN UnsupportedEvent
    error = rejected({"events": [oss_record(name="ObjectRemoved:DeleteObject")]})
    assert error.code == "UnsupportedEvent" and "ObjectRemoved:DeleteObject" in error.message
    assert rejected({"events": []}).code == "UnsupportedEvent"


def test_oss_objects_that_are_not_manifests_are_ignored():
    """Only keys ending in .txt or .json (any case) are manifests; a delivery with none is ignored, not rejected."""
    # GIVEN a delivery of a .csv, a folder marker and a .JSON manifest / WHEN parsed
    event = parse({"events": [oss_record("m/a.csv"), oss_record("m/"), oss_record("m/b.JSON", "E2")]})
    # THEN only the manifest is read and names the delivery; the others are listed in its log fields
    assert [ref.key for ref in carried(event).manifests] == ["m/b.JSON"]
    assert event.dedupe_key == "oss:bkt/m/b.JSON@E2"
    assert event.log_fields()["ignoredObjects"] == ["'m/a.csv'", "'m/'"]
    # ... and a delivery with no manifest at all is ignored, saying why (nothing to publish, nothing to retry)
    nothing = parse({"events": [oss_record("m/a.csv")]})
    with pytest.raises(EventIgnored, match=r"'m/a.csv'.*\.txt or \.json"):
        nothing.read_request(Carried())


def test_oss_duplicate_records_collapse():
    """The same object twice in one event is read once."""
    # GIVEN a record repeated / WHEN parsed / THEN one object, one-object dedupe key
    event = parse({"events": [oss_record(), oss_record()]})
    assert len(carried(event).manifests) == 1 and event.dedupe_key == "oss:bkt/cancel-requests/a.txt@E1"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda r: r["oss"]["object"].pop("key"), "oss.object.key"),
        (lambda r: r["oss"]["object"].update(key=""), "oss.object.key"),
        (lambda r: r["oss"]["bucket"].pop("name"), "oss.bucket.name"),
        (lambda r: r.pop("oss"), "oss.bucket.name"),
        (lambda r: r.pop("eventName"), "eventName"),
    ],
)
def test_oss_malformed_record_is_invalid_event(mutate, fragment):
    """An ObjectCreated record without bucket or key (or without eventName) is InvalidEvent."""
    # GIVEN a damaged record / WHEN parsed / THEN InvalidEvent names the missing field
    record = oss_record()
    mutate(record)
    error = rejected({"events": [record]})
    assert error.code == "InvalidEvent" and fragment in error.message and "events[0]" in error.message


@pytest.mark.parametrize("events", [{"a": 1}, "x", None, ["not a record"]])
def test_oss_events_not_a_list_of_records(events):
    """`events` that is not a list of objects is InvalidEvent."""
    # GIVEN a malformed events value / WHEN parsed / THEN InvalidEvent
    assert rejected({"events": events}).code == "InvalidEvent"


def test_oss_optional_fields_and_key_as_sent():
    """eTag, size and region may be missing; the key is kept as the event spells it (lib.manifest tries both)."""
    # GIVEN a record without eTag/size/region and with an encoded-looking key
    record = oss_record("cancel-requests/my+list%2C1.txt")
    del record["oss"]["object"]["eTag"], record["oss"]["object"]["size"], record["region"]
    # WHEN parsed
    (ref,) = carried(parse({"events": [record]})).manifests
    # THEN defaults fill in and the key is as sent
    assert (ref.etag, ref.size) == ("", None)
    assert ref.key == "cancel-requests/my+list%2C1.txt"


@pytest.mark.parametrize("name", ["Bad_Bucket!", "UPPER", "ab", "-dash-first", "dash-last-", "a" * 64, "has.dot"])
def test_oss_bucket_name_oss_cannot_have_is_invalid_event(name):
    """A bucket name OSS cannot have is refused before any SDK call (the SDK would refuse it the same way on every
    retry, so FC would retry the event forever)."""
    # GIVEN a record whose bucket name breaks OSS's naming rules / WHEN parsed / THEN InvalidEvent names it
    record = oss_record()
    record["oss"]["bucket"]["name"] = name
    error = rejected({"events": [record]})
    assert error.code == "InvalidEvent" and "not a valid OSS bucket name" in error.message


# ---------------------------------------------------------------- continuation

HANDOFF = Handoff(3, "t0k3n-of-the-hand-off")


def continuation(**changes: Any) -> dict[str, Any]:
    event = json.loads(
        continuation_event(
            bucket="bkt",
            checkpoint_key="cancel-checkpoints/abc/checkpoint",
            dedupe_key="oss:bkt/cancel-requests/a.txt@E1",
            request_id="1-first",
            handoff=HANDOFF,
        )
    )
    event[CONTINUATION_KEY].update(changes)
    for name in [name for name, value in changes.items() if value is None]:
        del event[CONTINUATION_KEY][name]
    return event


def test_a_continuation_names_only_its_checkpoint_and_keeps_the_requests_ids():
    """The function's own continuation event is its own door: the checkpoint's location and the hand-off token;
    its results keep the request's RequestId and DedupeKey."""
    # GIVEN the event lib.checkpoint writes / WHEN parsed
    envelope = parse(continuation())
    # THEN it is a continuation of that request, handing over exactly the checkpoint and the token
    assert isinstance(envelope, ContinuationEnvelope) and envelope.problem is None
    assert envelope.ids == DocumentIds("1-first", "oss", "oss:bkt/cancel-requests/a.txt@E1")
    reader = carried(envelope)
    assert reader.continuation == ("bkt", "cancel-checkpoints/abc/checkpoint", envelope.dedupe_key, HANDOFF)


@pytest.mark.parametrize(
    "changes",
    [
        {"Manifest": "oss://other-bucket/secret.txt"},
        {"Token": None},
        {"Token": "short"},
        {"Number": 0},
        {"Number": "3"},
        {"Bucket": "Bad_Bucket!"},
        {"Checkpoint": ""},
        {"Version": 2},
    ],
)
def test_a_malformed_continuation_is_rejected_without_reading_anything(changes):
    """A continuation with other fields, or fields of the wrong shape, is InvalidEvent: nothing is read."""
    # GIVEN a continuation event that is not exactly what the function writes / WHEN parsed / THEN InvalidEvent
    error = rejected(continuation(**changes))
    assert error.code == "InvalidEvent"
    assert parse(continuation(**changes)).dedupe_key == f"invalid-continuation:{FC_REQUEST_ID}"


# ---------------------------------------------------------------- MNS


def test_mns_json_message_is_the_payload():
    """MNS JSON: the Message (a cancel request) is the payload; the topic and message id name the delivery."""
    # GIVEN a JSON-format event carrying a JSON cancel request, a tag and an attribute
    message = json.dumps({"JobIds": ["a", "b"]})
    document = {
        "TopicOwner": "1",
        "Message": message,
        "Subscriber": "1",
        "PublishTime": 1550216480040,
        "SubscriptionName": "s",
        "MessageMD5": "X",
        "TopicName": "vod-cancel-requests",
        "MessageId": "M1",
        "MessageTag": "important",
        "Context": "user info",
    }
    # WHEN parsed
    event = parse(document)
    # THEN the payload is the message text, and the topic it came from is checked
    reader = carried(event)
    assert reader.payload == message.encode() and reader.topics == ["vod-cancel-requests"]
    assert event.dedupe_key == "mns:vod-cancel-requests:M1"


def test_mns_json_non_string_message_is_invalid_event():
    """An MNS JSON event whose Message is not a string is InvalidEvent."""
    # GIVEN a Message that is an object / WHEN parsed / THEN InvalidEvent, answered as an MNS event
    assert rejected({"TopicOwner": "1", "Message": {"JobIds": []}, "MessageId": "M"}).code == "InvalidEvent"
    envelope = parse({"TopicOwner": "1", "Message": {"JobIds": []}, "MessageId": "M"})
    assert (envelope.source, envelope.dedupe_key) == ("mns", f"invalid-mns-event:{FC_REQUEST_ID}")


@pytest.mark.parametrize(
    "raw",
    [
        b"job-1\nhttp://h/a.mp4\n",
        b'{"JobIds": ["a"]}',
        b'["a", "b"]',
        b"{not json",
        b"\xff\xfe{",
        b'{"a":' * 100_000,
        b"",
        b'{"body": "x", "attrs": {}, "extra": 1}',
        b'{"body": 5, "attrs": {}}',
        b'{"version": "v1", "body": "x"}',
        b'{"TopicOwner": "1", "Message": "x"}',
    ],
)
def test_anything_else_is_a_raw_stream_body(raw):
    """Text, arrays, cancel-request objects, broken or near-miss JSON: all are MNS STREAM raw bodies."""
    # GIVEN a body that is no known envelope / WHEN parsed
    event = open_envelope(raw, fc_request_id=FC_REQUEST_ID)
    # THEN it is passed on whole, keyed by its hash
    assert (event.source, event.shape, carried(event).payload) == ("mns", "mns-stream", raw)
    assert event.dedupe_key == body_key(raw)


def test_stream_body_dedupe_key_is_the_same_with_or_without_attributes():
    """The same message body gets the same dedupe key whether FC wrapped it with attrs or not."""
    # GIVEN one body raw and wrapped / WHEN both are parsed / THEN the keys match
    wrapped = parse({"body": "job-1", "attrs": {"k": "v"}})
    assert wrapped.dedupe_key == parse(b"job-1").dedupe_key == body_key(b"job-1")


def test_event_given_as_text_is_accepted():
    """An event passed as str (local runs) is treated like its UTF-8 bytes."""
    # GIVEN the event as text / WHEN parsed / THEN same as bytes
    assert carried(open_envelope("job-1", fc_request_id="r")).payload == b"job-1"


# ---------------------------------------------------------------- HTTP


def test_http_post():
    """HTTP POST: the body is the payload and the event's request id names the delivery."""
    # GIVEN a POST event / WHEN parsed
    event = parse(http_event("a\nb", headers={"X-Trace": "t", "Content-Type": "text/plain"}))
    # THEN its body is handed over and its request id is the dedupe key
    assert (event.source, event.shape, carried(event).payload) == ("http", "http", b"a\nb")
    assert event.request_id == FC_REQUEST_ID and event.dedupe_key == "http:1-abc"


def test_http_base64_body_is_decoded():
    """A body marked isBase64Encoded is decoded to bytes."""
    # GIVEN a base64 body / WHEN parsed / THEN the payload is the decoded bytes
    encoded = base64.b64encode("job-1\n中".encode()).decode()
    assert carried(parse(http_event(encoded, b64=True))).payload == "job-1\n中".encode()


def test_http_invalid_base64_is_rejected():
    """A body marked base64 that is not base64 is InvalidBase64."""
    # GIVEN garbage marked as base64 / WHEN parsed / THEN InvalidBase64
    assert rejected(http_event("not base64!", b64=True)).code == "InvalidBase64"


@pytest.mark.parametrize("body", ["=", "==", "a===", "YQ", "YQ=", "YWJj\n", "=YWJj", "YW=J"])
def test_http_base64_with_bad_padding_is_rejected_on_every_python(body):
    """Padding alone, missing or misplaced is InvalidBase64 on 3.10 too, where b64decode takes "=" as b""."""
    # GIVEN a body marked base64 whose padding is wrong / WHEN parsed / THEN InvalidBase64, not an empty request
    assert rejected(http_event(body, b64=True)).code == "InvalidBase64"


@pytest.mark.parametrize(("body", "payload"), [("", b""), ("YQ==", b"a"), ("YWI=", b"ab"), ("YWJj", b"abc")])
def test_http_base64_with_every_padding_length_is_decoded(body, payload):
    """Standard base64 with zero, one or two padding characters decodes."""
    # GIVEN well-formed base64 / WHEN parsed / THEN the decoded bytes
    assert carried(parse(http_event(body, b64=True))).payload == payload


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_http_only_post_is_allowed(method):
    """Every method but POST is MethodNotAllowed, answered with 405."""
    # GIVEN a non-POST request / WHEN parsed / THEN MethodNotAllowed with status 405
    error = rejected(http_event(method=method))
    assert error.code == "MethodNotAllowed" and error.http_status == 405 and method in error.message


def test_http_post_in_any_case_is_allowed():
    """POST is accepted in any case."""
    # GIVEN a lower-case post / WHEN parsed / THEN no problem
    assert parse(http_event(method="post")).problem is None


@pytest.mark.parametrize("header", ["Idempotency-Key", "idempotency-key", "X-Idempotency-Key"])
def test_http_idempotency_key_is_the_dedupe_key(header):
    """An Idempotency-Key (or X-Idempotency-Key) header, in any case, becomes the dedupe key."""
    # GIVEN the header / WHEN parsed / THEN the dedupe key uses it
    event = parse(http_event(headers={header: " order-42 "}))
    assert event.problem is None and event.dedupe_key == "http:order-42"


@pytest.mark.parametrize("value", ["k" * 257, "a\x00b", "a\nb"])
def test_http_unusable_idempotency_key_is_rejected(value):
    """An idempotency key that is too long or not printable is rejected (it is echoed in every result)."""
    # GIVEN such a key / WHEN parsed / THEN InvalidIdempotencyKey
    assert rejected(http_event(headers={"Idempotency-Key": value})).code == "InvalidIdempotencyKey"


def test_http_missing_request_id_uses_fc_request_id():
    """Without requestContext.requestId the FC request id names the request."""
    # GIVEN an event without requestId / WHEN parsed / THEN the FC id is used
    document = http_event()
    del document["requestContext"]["requestId"]
    event = parse(document)
    assert event.request_id == FC_REQUEST_ID and event.dedupe_key == f"http:{FC_REQUEST_ID}"


def test_http_without_body_or_headers():
    """A POST without body, headers or query is an empty payload, not an error."""
    # GIVEN a bare POST / WHEN parsed / THEN empty parts
    document = http_event()
    document["body"] = None
    del document["headers"], document["queryParameters"]
    event = parse(document)
    assert event.problem is None and carried(event).payload == b""


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["requestContext"].pop("http"),
        lambda d: d.update(requestContext="x"),
        lambda d: d.update(body=["a"]),
    ],
)
def test_http_malformed_event_is_invalid_event(mutate):
    """An HTTP event without a method, or with a non-string body, is InvalidEvent."""
    # GIVEN a damaged HTTP event / WHEN parsed / THEN InvalidEvent
    document = http_event()
    mutate(document)
    assert rejected(document).code == "InvalidEvent"


# ---------------------------------------------------------------- answering for the door


def test_http_answers_everything_in_its_reply():
    """HTTP: errors are replies with the error document (nothing published); results say if they were published."""
    # GIVEN an HTTP envelope with an idempotency key, and a results topic
    envelope = parse(http_event(headers={"Idempotency-Key": "t-1"}))
    topic = Topic()
    # WHEN it rejects a bad request / THEN a 400 with the one error document, and nothing is published
    reply = envelope.reject(BadRequestError("InvalidJson", "broken"), topic)
    assert (reply["statusCode"], topic.documents) == (400, [])
    assert json.loads(reply["body"]) == {
        "Version": 1,
        "RequestId": FC_REQUEST_ID,
        "Source": "http",
        "DedupeKey": "http:t-1",
        "Error": {"Code": "InvalidJson", "Message": "broken"},
    }
    # ... a misconfiguration is a 500 in the same shape, a failed publish is not raised, the reply tells
    misconfigured = envelope.misconfigured(ConfigurationError("MissingSetting", "NOTIFY_TOPIC is not set"))
    assert misconfigured["statusCode"] == 500
    assert json.loads(misconfigured["body"])["Error"]["Code"] == "MissingSetting"
    envelope.publish_failed(RuntimeError("MNS is down"))
    assert envelope.reply('{"Counts":{}}', published=False) == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Results-Published": "false"},
        "isBase64Encoded": False,
        "body": '{"Counts":{}}',
    }


@pytest.mark.parametrize(
    "event",
    [{"events": [OSS_RECORD]}, {"TopicOwner": "1", "Message": "a", "MessageId": "M", "TopicName": "t"}, b"job-1"],
    ids=["oss", "mns-json", "mns-stream"],
)
def test_events_publish_their_rejection_and_raise_when_nobody_was_told(event):
    """OSS / MNS: a rejection is published and returned; a misconfiguration or a failed publish raises."""
    # GIVEN an event envelope and a results topic
    envelope = parse(event)
    topic = Topic()
    # WHEN it rejects a bad request / THEN the error document is published (tag rejected) and returned
    document = envelope.reject(BadRequestError("EmptyRequest", "nothing to cancel"), topic)
    assert topic.documents == [(document, "rejected")]
    assert json.loads(document)["Error"] == {"Code": "EmptyRequest", "Message": "nothing to cancel"}
    assert json.loads(document)["DedupeKey"] == envelope.dedupe_key
    # ... and whatever leaves the sender uninformed raises, so FC / MNS delivers the event again
    with pytest.raises(ConfigurationError):
        envelope.misconfigured(ConfigurationError("MissingSetting", "NOTIFY_TOPIC is not set"))
    with pytest.raises(RuntimeError):
        envelope.publish_failed(RuntimeError("MNS is down"))
    assert envelope.reply('{"Counts":{}}', published=True) == '{"Counts":{}}'


def test_a_broken_http_event_is_answered_over_http():
    """An HTTP event that cannot be unwrapped is still an HTTP envelope: its problem becomes a 400 reply."""
    # GIVEN an HTTP event with a body marked base64 that is not
    envelope = parse(http_event("not base64!", b64=True))
    # WHEN its problem is answered / THEN as HTTP, with nothing published
    topic = Topic()
    assert isinstance(envelope, HttpEnvelope) and envelope.problem is not None
    assert envelope.reject(envelope.problem, topic)["statusCode"] == 400 and topic.documents == []


def test_reprs_hide_credentials_and_payload():
    """Logging an envelope never prints the Authorization header or a (possibly 6 MiB) payload."""
    # GIVEN an HTTP event with credentials in headers / WHEN rendered with repr
    text = repr(parse(http_event("secret-body", headers={"Authorization": "ACS3 abc", "X-Fc-Security-Token": "t"})))
    # THEN neither the secrets nor the body appear
    assert "ACS3 abc" not in text and "'t'" not in text and "secret-body" not in text


def test_the_oss_trigger_lets_every_manifest_form_through():
    """s.yaml's OSS trigger filters on the prefix only, so .txt and .json manifests both fire it; the function is
    what tells manifests from other objects."""
    # GIVEN s.yaml's OSS trigger / WHEN its key filter is read
    document = yaml.safe_load((Path(__file__).resolve().parents[2] / "s.yaml").read_text(encoding="utf-8"))
    (resource,) = document["resources"].values()
    (trigger,) = [t for t in resource["props"]["triggers"] if t["triggerType"] == "oss"]
    key_filter = trigger["triggerConfig"]["filter"]["key"]
    # THEN the suffix lets every key through, and the README's manifest forms are manifests
    assert (key_filter["prefix"], key_filter["suffix"]) == ("cancel-requests/", "")
    assert all(is_manifest(f"cancel-requests/batch{suffix}") for suffix in (".txt", ".json", ".Json", ".TXT"))
    assert not any(is_manifest(f"cancel-requests/{name}") for name in ("batch.csv", "", "batch.txt.tmp"))
