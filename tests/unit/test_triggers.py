"""FC event recognition and unwrapping: OSS, MNS (JSON / STREAM / STREAM+attrs), FC 3.0 HTTP."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path

import pytest

from lib.errors import BadRequestError
from lib.triggers import Headers, OssObjectRef, http_method_allowed, parse_trigger_event

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


def parse(document: object) -> object:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_trigger_event(raw, fc_request_id=FC_REQUEST_ID)


def rejected(document: object) -> BadRequestError:
    with pytest.raises(BadRequestError) as caught:
        parse(document)
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
    # GIVEN the official OSS sample / WHEN parsed
    event = parse_trigger_event(template("oss.json"), fc_request_id=FC_REQUEST_ID)
    # THEN its object and dedupe key come out
    assert event.source == "oss" and event.envelope == "oss"
    assert event.objects == (
        OssObjectRef(
            bucket="testbucket",
            key="image/a.jpg",
            etag="688A7BF4F233DC9C88A80BF985AB7329",
            size=122539,
            region="cn-shanghai",
            event_name="ObjectCreated:PutObject",
        ),
    )
    assert event.dedupe_key == "oss:testbucket/image/a.jpg@688A7BF4F233DC9C88A80BF985AB7329"


@pytest.mark.parametrize(
    ("name", "message_id", "attributes"),
    [
        ("mns-without-MessageAttributes.json", "2F5B3C082B923D4EAC694B76D928****", {}),
        ("mns-with-MessageAttributes.json", "2F5B3C281B283D4EAC694B742528****", {"key": "value"}),
    ],
)
def test_fc3_mns_json_templates(name, message_id, attributes):
    """The fc3 MNS JSON samples unwrap to Message, with top-level attribute keys as attributes."""
    # GIVEN an official MNS JSON sample / WHEN parsed
    event = parse_trigger_event(template(name), fc_request_id=FC_REQUEST_ID)
    # THEN the message body, ids and attributes come out
    assert (event.source, event.envelope, event.payload) == ("mns", "mns-json", b"hello topic")
    assert (event.topic_name, event.message_id) == ("test-topic", message_id)
    assert dict(event.attributes) == attributes
    assert event.dedupe_key == f"mns:test-topic:{message_id}"


def test_fc3_mns_stream_template():
    """The fc3 STREAM-with-attributes sample unwraps to its body and attrs."""
    # GIVEN the official STREAM sample / WHEN parsed
    event = parse_trigger_event(template("mns-stream.json"), fc_request_id=FC_REQUEST_ID)
    # THEN body and attributes come out; the dedupe key hashes the body
    assert (event.source, event.envelope, event.payload) == ("mns", "mns-stream-attrs", b"hello topic")
    assert dict(event.attributes) == {"Extend": '{"key":"value"}'}
    assert event.message_id is None and event.dedupe_key == body_key(b"hello topic")


def test_fc3_http_template():
    """The fc3 HTTP sample is a POST whose empty requestId falls back to the FC request id."""
    # GIVEN the official HTTP sample (requestId "") / WHEN parsed
    event = parse_trigger_event(template("http.json"), fc_request_id=FC_REQUEST_ID)
    # THEN method, body, headers and ids come out
    assert (event.source, event.method, event.payload) == ("http", "POST", b"haha")
    assert event.headers["content-type"] == "application/octet-stream"
    assert event.request_id == FC_REQUEST_ID and event.dedupe_key == f"http:{FC_REQUEST_ID}"
    assert event.idempotency_key is None and dict(event.query) == {}


# ---------------------------------------------------------------- OSS


def test_oss_several_objects_and_order_independent_dedupe_key():
    """Several ObjectCreated records give several objects; the dedupe key does not depend on their order."""
    # GIVEN two records in both orders
    first, second = oss_record("m/1.txt", "A"), oss_record("m/2.txt", "B")
    # WHEN parsed
    forward, backward = parse({"events": [first, second]}), parse({"events": [second, first]})
    # THEN both objects are listed and the key is the sha256 of the sorted lines
    assert [ref.key for ref in forward.objects] == ["m/1.txt", "m/2.txt"]
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
    assert parse({"events": [oss_record(name=name)]}).objects[0].event_name == name


def test_oss_other_events_are_ignored():
    """Non-ObjectCreated records are ignored when an ObjectCreated one remains."""
    # GIVEN a delete and a create / WHEN parsed / THEN only the created object remains
    event = parse({"events": [oss_record("gone.txt", name="ObjectRemoved:DeleteObject"), oss_record("new.txt")]})
    assert [ref.key for ref in event.objects] == ["new.txt"]
    assert event.dedupe_key == "oss:bkt/new.txt@E1"


def test_oss_only_other_events_is_unsupported():
    """An OSS event with no ObjectCreated record is UnsupportedEvent naming what it got."""
    # GIVEN only a delete record / WHEN parsed / THEN UnsupportedEvent
    error = rejected({"events": [oss_record(name="ObjectRemoved:DeleteObject")]})
    assert error.code == "UnsupportedEvent" and "ObjectRemoved:DeleteObject" in error.message
    assert rejected({"events": []}).code == "UnsupportedEvent"


def test_oss_duplicate_records_collapse():
    """The same object twice in one event is read once."""
    # GIVEN a record repeated / WHEN parsed / THEN one object, one-object dedupe key
    event = parse({"events": [oss_record(), oss_record()]})
    assert len(event.objects) == 1 and event.dedupe_key == "oss:bkt/cancel-requests/a.txt@E1"


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


def test_oss_optional_fields_and_decoded_key():
    """eTag, size and region may be missing; decoded_key offers the URL-decoded key."""
    # GIVEN a record without eTag/size/region and with an encoded-looking key
    record = oss_record("cancel-requests/my+list%2C1.txt")
    del record["oss"]["object"]["eTag"], record["oss"]["object"]["size"], record["region"]
    # WHEN parsed
    (ref,) = parse({"events": [record]}).objects
    # THEN defaults fill in and both key spellings are available
    assert (ref.etag, ref.size, ref.region) == ("", None, "")
    assert ref.key == "cancel-requests/my+list%2C1.txt" and ref.decoded_key == "cancel-requests/my list,1.txt"


# ---------------------------------------------------------------- MNS


def test_mns_json_message_is_the_payload():
    """MNS JSON: the Message (a cancel request) is the payload; MessageTag is not an attribute."""
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
    # THEN the payload is the message text and the attribute keys are the extra ones
    assert event.payload == message.encode() and dict(event.attributes) == {"Context": "user info"}
    assert event.dedupe_key == "mns:vod-cancel-requests:M1"


def test_mns_json_non_string_message_is_invalid_event():
    """An MNS JSON event whose Message is not a string is InvalidEvent."""
    # GIVEN a Message that is an object / WHEN parsed / THEN InvalidEvent
    assert rejected({"TopicOwner": "1", "Message": {"JobIds": []}, "MessageId": "M"}).code == "InvalidEvent"


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
    event = parse_trigger_event(raw, fc_request_id=FC_REQUEST_ID)
    # THEN it is passed on whole, keyed by its hash
    assert (event.source, event.envelope, event.payload) == ("mns", "mns-stream", raw)
    assert event.dedupe_key == body_key(raw)


def test_stream_body_dedupe_key_is_the_same_with_or_without_attributes():
    """The same message body gets the same dedupe key whether FC wrapped it with attrs or not."""
    # GIVEN one body raw and wrapped / WHEN both are parsed / THEN the keys match
    wrapped = parse({"body": "job-1", "attrs": {"k": "v"}})
    assert wrapped.dedupe_key == parse(b"job-1").dedupe_key == body_key(b"job-1")


def test_event_given_as_text_is_accepted():
    """An event passed as str (local runs) is treated like its UTF-8 bytes."""
    # GIVEN the event as text / WHEN parsed / THEN same as bytes
    assert parse_trigger_event("job-1", fc_request_id="r").payload == b"job-1"


# ---------------------------------------------------------------- HTTP


def test_http_post():
    """HTTP POST: body, headers (case-insensitive), query and the request id come out."""
    # GIVEN a POST event / WHEN parsed
    event = parse(http_event("a\nb", headers={"X-Trace": "t", "Content-Type": "text/plain"}))
    # THEN its parts are exposed
    assert (event.source, event.envelope, event.method, event.payload) == ("http", "http", "POST", b"a\nb")
    assert event.headers["x-trace"] == event.headers.get("X-TRACE") == "t" and "CONTENT-TYPE" in event.headers
    assert dict(event.query) == {"dry": "1"} and event.request_id == "1-abc"
    assert event.dedupe_key == "http:1-abc"


def test_http_base64_body_is_decoded():
    """A body marked isBase64Encoded is decoded to bytes."""
    # GIVEN a base64 body / WHEN parsed / THEN the payload is the decoded bytes
    encoded = base64.b64encode("job-1\n中".encode()).decode()
    assert parse(http_event(encoded, b64=True)).payload == "job-1\n中".encode()


def test_http_invalid_base64_is_rejected():
    """A body marked base64 that is not base64 is InvalidBase64."""
    # GIVEN garbage marked as base64 / WHEN parsed / THEN InvalidBase64
    assert rejected(http_event("not base64!", b64=True)).code == "InvalidBase64"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_http_only_post_is_allowed(method):
    """Every method but POST is MethodNotAllowed, answered with 405."""
    # GIVEN a non-POST request / WHEN parsed / THEN MethodNotAllowed with status 405
    error = rejected(http_event(method=method))
    assert error.code == "MethodNotAllowed" and error.http_status == 405 and method in error.message


def test_http_method_allowed_helper():
    """http_method_allowed accepts POST in any case and nothing else."""
    # GIVEN methods / WHEN checked / THEN only POST passes
    assert http_method_allowed("post") and http_method_allowed("POST") and not http_method_allowed("GET")
    assert parse(http_event(method="post")).method == "POST"


@pytest.mark.parametrize("header", ["Idempotency-Key", "idempotency-key", "X-Idempotency-Key"])
def test_http_idempotency_key_is_the_dedupe_key(header):
    """An Idempotency-Key (or X-Idempotency-Key) header, in any case, becomes the dedupe key."""
    # GIVEN the header / WHEN parsed / THEN the dedupe key uses it
    event = parse(http_event(headers={header: " order-42 "}))
    assert event.idempotency_key == "order-42" and event.dedupe_key == "http:order-42"


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
    assert event.payload == b"" and len(event.headers) == 0 and dict(event.query) == {}


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


# ---------------------------------------------------------------- log safety


def test_reprs_hide_credentials_and_payload():
    """Logging an event never prints the Authorization header or a (possibly 6 MiB) payload."""
    # GIVEN an HTTP event with credentials in headers / WHEN rendered with repr
    event = parse(http_event("secret-body", headers={"Authorization": "ACS3 abc", "X-Fc-Security-Token": "t"}))
    text = repr(event)
    # THEN neither the secrets nor the body appear
    assert "ACS3 abc" not in text and "'t'" not in text and "secret-body" not in text
    assert repr(Headers({"A": "1"})) == "Headers({'A': '1'})"
