"""OSS -> FC notifications: which rules an object event matches, and the event JSON FC hands the function.

The event follows the FC docs ("Formats of event for different triggers", OSS trigger, 2026): ``eventName`` has
no ``oss:`` prefix, ``eTag`` is the upper-case hex without quotes, sizes are numbers, and ``objectMeta`` carries
the MIME type (and user metadata when there is any), as the newest FC 3.0 page shows. ``oss.object.key`` is the
key exactly as stored, NOT URL-encoded: OSS does not document encoding it (unlike S3), so a key with spaces, ``+``
or ``%`` reaches the function verbatim; functions should still tolerate an encoded key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

CREATED_ALL = "oss:ObjectCreated:*"


@dataclass(frozen=True)
class NotificationRule:
    """One OSS trigger: events (``oss:ObjectCreated:*`` style), key prefix/suffix filter, target function ARN."""

    rule_id: str
    bucket: str
    function_arn: str
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""

    def matches(self, event_name: str, key: str) -> bool:
        """``event_name`` is the event's own form, e.g. ``ObjectCreated:PutObject``."""
        if not (key.startswith(self.prefix) and key.endswith(self.suffix)):
            return False
        return any(_event_matches(pattern, event_name) for pattern in self.events)


def _event_matches(pattern: str, event_name: str) -> bool:
    wanted = pattern.removeprefix("oss:")
    if wanted.endswith(":*"):
        return event_name.startswith(wanted[:-1])
    return wanted == event_name


def rule_id_for(bucket: str, function_arn: str, events: tuple[str, ...], prefix: str, suffix: str) -> str:
    """A stable 40-hex rule id (real ones look like ``9adac8e253828f4f7c0466d941fa3db81161****``)."""
    text = "\n".join([bucket, function_arn, *events, prefix, suffix])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ObjectEvent:
    """The facts of one object change; rendered once per matching rule (only ruleId differs)."""

    event_name: str
    bucket: str
    key: str
    size: int
    delta_size: int
    etag: str
    mime_type: str
    user_meta: tuple[tuple[str, str], ...]
    request_id: str
    source_ip: str
    event_time: float


def iso8601(epoch_seconds: float) -> str:
    """OSS's timestamp form: whole seconds with a literal ``.000Z`` (oss2's parser accepts nothing else)."""
    return datetime.fromtimestamp(int(epoch_seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def event_record(event: ObjectEvent, rule: NotificationRule, region: str, account_id: str) -> dict[str, object]:
    object_meta: dict[str, object] = {"mimeType": event.mime_type}
    if event.user_meta:
        object_meta["userMeta"] = dict(event.user_meta)
    return {
        "eventName": event.event_name,
        "eventSource": "acs:oss",
        "eventTime": iso8601(event.event_time),
        "eventVersion": "1.0",
        "oss": {
            "bucket": {
                "arn": f"acs:oss:{region}:{account_id}:{event.bucket}",
                "name": event.bucket,
                "ownerIdentity": account_id,
            },
            "object": {
                "deltaSize": event.delta_size,
                "eTag": event.etag,
                "key": event.key,
                "objectMeta": object_meta,
                "size": event.size,
            },
            "ossSchemaVersion": "1.0",
            "ruleId": rule.rule_id,
        },
        "region": region,
        "requestParameters": {"sourceIPAddress": event.source_ip},
        "responseElements": {"requestId": event.request_id},
        "userIdentity": {"principalId": account_id},
    }


def event_bytes(event: ObjectEvent, rule: NotificationRule, region: str, account_id: str) -> bytes:
    document = {"events": [event_record(event, rule, region, account_id)]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
