"""Manifests bigger than one invocation: checkpointed in OSS, continued through FC 3.0's own async InvokeFunction,
every item reported exactly once; resumed after a kill; restarted when the manifest changes; reported when the
chain cannot go on. All through the local cloud with the official SDKs, the function running as deployed (its code
package, its role's RAM policy), the continuation invoked with ``alibabacloud-fc20230330`` and its ACS3 signature.

Short function timeouts make a few thousand items outlast one invocation; the local VOD enforces a CancelUrlUploadJobs
quota (the function paces itself to the same), so the work takes a known least time and the number of invocations
has a floor (nothing here is timed). FC may retry an invocation that failed (FC's async machinery applies to every
continuation): the tests accept a failed attempt when FC's retry of it succeeded.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from e2e_helpers import (
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    SETTLE_TIMEOUT_S,
    assert_part_invariants,
    assert_vod_batches_valid,
    invocation_logs,
    invocations,
    published,
    put_manifest,
)

from lib.handoff import CONTINUATION_KEY
from localcloud.cloud import LocalCloud

SHORT = {"DEADLINE_MARGIN_S": "0.5", "CHECKPOINT_INTERVAL_S": "0.5", "NOTIFY_MAX_MESSAGE_BYTES": "8192"}
"""A short deadline margin and checkpoint interval, small parts: the settings of a manifest that spans invocations."""
CHAIN_TIMEOUT_S = 60.0


def assert_every_invocation_ended_well(records: list[Any], logs: str) -> None:
    """Each invocation succeeded, at its first attempt or at FC's retry of it."""
    final = {record.request_id: record.status for record in records}  # the last attempt of each
    assert set(final.values()) == {"succeeded"}, logs


def use_quota(cloud: LocalCloud, calls_per_s: int) -> None:
    """VOD enforces ``calls_per_s`` CancelUrlUploadJobs calls per second; the function paces itself to it."""
    cloud.vod.quotas["CancelUrlUploadJobs"] = calls_per_s
    cloud.fc.set_env(VOD_CANCEL_QPS=str(calls_per_s))


def wait_for_the_chain(cloud: LocalCloud) -> None:
    """Until every invocation, queued continuations and FC retries included, has finished."""
    time.sleep(0.3)  # OSS notifies after the PUT's response: let the first invocation be queued
    cloud.fc.wait_idle(timeout=CHAIN_TIMEOUT_S)


def wait_for_parts(cloud: LocalCloud, count: int) -> None:
    """Until ``count`` messages are on the results topic; a wait that never ends raises with the logs."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while len(published(cloud)) < count:
        if time.monotonic() >= deadline:
            raise TimeoutError(f"fewer than {count} results messages were published: {invocation_logs(cloud)}")
        time.sleep(0.01)


def parts_of(cloud: LocalCloud, dedupe_key: str) -> list[Any]:
    """The request's messages, each part number once; a part published twice must have one content."""
    copies: dict[int, set[str]] = {}
    messages = []
    for message in published(cloud):
        if message.document["DedupeKey"] != dedupe_key:
            continue
        text = json.dumps(message.document, sort_keys=True)
        if message.document["Part"] not in copies:
            messages.append(message)
        copies.setdefault(message.document["Part"], set()).add(text)
    assert all(len(texts) == 1 for texts in copies.values()), "a part number was published with two contents"
    return messages


def reported_items(whole: dict[str, Any], job_ids: set[str]) -> Counter[str]:
    """How many times each item appears across the outcome lists (a job ID counted once per part it is in)."""
    seen: Counter[str] = Counter()
    url_jobs = {job for entry in whole["CanceledUrls"] for job in entry["JobIds"]}
    seen.update(job for job in whole["CanceledJobs"] if job in job_ids and job not in url_jobs)
    seen.update(entry["UploadUrl"] for entry in whole["CanceledUrls"])
    seen.update(whole["NonExists"])
    seen.update(entry["Item"] for entry in whole["NotCancellable"])
    seen.update(entry["Item"] for entry in whole["Failed"])
    return seen


def cancel_calls_per_item(cloud: LocalCloud) -> Counter[str]:
    """How many answered CancelUrlUploadJobs calls named each item (a throttled call, retried, is not counted)."""
    sent: Counter[str] = Counter()
    for call in cloud.vod.calls:
        if call.action == "CancelUrlUploadJobs" and call.status == 200:
            sent.update((call.params.get("JobIds") or call.params.get("UploadUrls") or "").split(","))
    return sent


def test_a_manifest_bigger_than_an_invocation_completes_across_invocations_each_item_once(cloud: LocalCloud) -> None:
    """3,000 distinct items at 20 calls/s take at least 15 s; an 8 s timeout leaves each invocation at most 5.6 s
    of sending (its deadline margin and its last quarter are kept for the hand-off): at least three invocations,
    each continuing the last through FC's async InvokeFunction."""
    # GIVEN pending job IDs and URLs, unknown IDs, and lines repeating earlier ones (reported once, where first)
    cloud.fc.set_timeout(8)
    cloud.fc.set_env(**SHORT)
    use_quota(cloud, 20)
    pending_ids = [cloud.vod.seed_job(f"https://media.example.com/chain/id-{i}.mp4").job_id for i in range(400)]
    pending_urls = {f"https://media.example.com/chain/{i} take.mp4": None for i in range(300)}
    for url in pending_urls:
        pending_urls[url] = cloud.vod.seed_job(url).job_id
    unknown = [f"gone-{i:05d}" for i in range(2300)]
    items = [*pending_ids, *pending_urls, *unknown]
    lines = []
    for index, item in enumerate(items):
        lines.append(item)
        if index % 97 == 0:
            lines.append(items[index // 2])  # an item written again
    # WHEN the manifest is uploaded
    etag = put_manifest(cloud, f"{MANIFEST_PREFIX}chain.txt", "\n".join(lines) + "\n")
    wait_for_the_chain(cloud)
    # THEN the OSS event's invocation and at least two continuations ran, each an async FC 3.0 invocation
    records = invocations(cloud)
    assert_every_invocation_ended_well(records, invocation_logs(cloud))
    continuations = {r.request_id: r for r in records if CONTINUATION_KEY.encode() in r.event}.values()
    assert len(continuations) >= 2 and {r.source for r in records} == {"oss", "api"}, [r.source for r in records]
    assert {(r.source, r.invocation_type) for r in continuations} == {("api", "Async")}
    # (a continuation on a new instance, whose /tmp is its own, rebuilt the de-duplication store from the manifest)
    assert all("dedupe store rebuilt" in r.logs for r in continuations if r.cold_start)
    # AND the parts on the topic are one complete result: every item exactly once, duplicate lines once
    whole = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{MANIFEST_PREFIX}chain.txt@{etag}"))
    assert {whole["RequestId"]} == {records[0].request_id}
    assert reported_items(whole, set(pending_ids) | set(unknown)) == Counter(items)
    assert whole["Counts"] == {
        "Requested": len(items),
        "Canceled": len(pending_ids) + len(pending_urls),
        "NonExists": len(unknown),
        "NotCancellable": 0,
        "Failed": 0,
    }
    # AND VOD was asked about each item once (no invocation redid another's work); every pending job is cancelled
    assert max(cancel_calls_per_item(cloud).values()) == 1
    assert all(cloud.vod.job(job).status == "CANCELED" for job in [*pending_ids, *pending_urls.values()])
    assert_vod_batches_valid(cloud)
    # AND each invocation logged its progress: lines done of the total, rate and time left
    progress = [json.loads(line) for line in invocation_logs(cloud).splitlines() if '"message":"progress"' in line]
    assert progress and all(p["total"] == len(lines) and "rate" in p and "eta_s" in p for p in progress)


def test_a_manifest_hands_over_before_taking_more_than_the_quota_can_send(cloud: LocalCloud) -> None:
    """A slow VOD at a low quota keeps batches queued for the quota: an invocation takes no more than its quota can
    send before the deadline and hands the rest over, rather than reporting queued batches "not attempted"."""
    # GIVEN 600 unknown job IDs, 10 CancelUrlUploadJobs calls/s, and VOD taking 1 s to answer each call
    # (a deadline margin in production's proportion: the calls in flight may take most of it)
    cloud.fc.set_timeout(8)
    cloud.fc.set_env(**{**SHORT, "DEADLINE_MARGIN_S": "1.5"})
    use_quota(cloud, 10)
    cloud.faults.add(service="vod", operation="CancelUrlUploadJobs", latency_ms=1000)
    items = [f"queued-{i:05d}" for i in range(600)]
    # WHEN the manifest is uploaded
    etag = put_manifest(cloud, f"{MANIFEST_PREFIX}queued.txt", "\n".join(items))
    wait_for_the_chain(cloud)
    # THEN it took a continuation or more, and every item is reported once
    records = invocations(cloud)
    logs = invocation_logs(cloud)
    assert_every_invocation_ended_well(records, logs)
    assert len({r.request_id for r in records}) >= 2, logs
    whole = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{MANIFEST_PREFIX}queued.txt@{etag}"))
    assert reported_items(whole, set(items)) == Counter(items)
    # AND none is reported "not attempted": every one was sent (a call sent within its last second of an
    # invocation can still time out waiting for the answer: those are reported, their state unknown)
    unsent = [entry for entry in whole["Failed"] if "not attempted" in entry["Message"]]
    assert not unsent and whole["Counts"]["NonExists"] > len(items) // 2, (unsent[:3], whole["Counts"])


def test_an_invocation_killed_mid_way_resumes_from_its_checkpoint_on_redelivery(cloud: LocalCloud) -> None:
    """MNS hangs on a publish until FC's timeout kills the instance; FC's async retry delivers the OSS event again and
    it resumes from the checkpoint: nothing lost, nothing reported twice, nothing before the checkpoint redone."""
    # GIVEN a manifest that takes a few seconds, small parts published every half second
    cloud.fc.set_timeout(8)
    cloud.fc.set_env(**SHORT)
    items = [f"kill-{i:05d}" for i in range(2500)]
    etag = put_manifest(cloud, f"{MANIFEST_PREFIX}killed.txt", "\n".join(items))
    # WHEN, two parts in, the next publish hangs past the function's timeout (the instance is killed)
    wait_for_parts(cloud, 2)
    cloud.faults.add(service="mns", operation="PublishMessage", latency_ms=30_000, count=1)
    before_kill = [message.document for message in published(cloud)]
    wait_for_the_chain(cloud)
    # THEN the first attempt timed out and FC's retry of the same event finished the request
    records = invocations(cloud)
    assert records[0].status == "timeout" and records[1].attempt == 2, [(r.status, r.attempt) for r in records]
    assert [r.status for r in records[1:]] == ["succeeded"] * (len(records) - 1), invocation_logs(cloud)
    # AND every item is in exactly one part
    whole = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{MANIFEST_PREFIX}killed.txt@{etag}"))
    assert reported_items(whole, set(items)) == Counter(items)
    # AND what was published before the kill was not sent to VOD again: the retry resumed, it did not restart
    sent = cancel_calls_per_item(cloud)
    reported_before = [item for document in before_kill for item in document["NonExists"]]
    assert reported_before and all(sent[item] == 1 for item in reported_before)
    assert sum(1 for count in sent.values() if count > 1) < len(reported_before)


def test_a_changed_manifest_starts_fresh_and_the_old_versions_chain_says_so(cloud: LocalCloud) -> None:
    """The manifest replaced mid-way: the new version (new eTag) starts at its first line under its own DedupeKey;
    the old version's chain ends with a final part saying it could not be read to the end."""
    # GIVEN version 1 of a manifest being worked through by a chain of invocations
    cloud.fc.set_timeout(4)
    cloud.fc.set_env(**SHORT)
    key = f"{MANIFEST_PREFIX}changing.txt"
    first = [f"v1-{i:05d}" for i in range(3000)]
    etag1 = put_manifest(cloud, key, "\n".join(first))
    wait_for_parts(cloud, 1)
    # WHEN version 2 replaces it
    second = [f"v2-{i:05d}" for i in range(300)]
    etag2 = put_manifest(cloud, key, "\n".join(second))
    wait_for_the_chain(cloud)
    # THEN version 2 is reported whole, from part 1, under its own DedupeKey
    new = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{key}@{etag2}"))
    assert reported_items(new, set(second)) == Counter(second)
    # AND version 1's parts end with a final part whose Error says the manifest changed; nothing reported twice
    old = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{key}@{etag1}"))
    what = (old.get("Counts"), old.get("Part"), invocation_logs(cloud)[-3000:])
    assert (old.get("Error") or {}).get("Code") == "ManifestChanged", what
    assert set(reported_items(old, set(first)).values()) <= {1} and old["Counts"]["Requested"] < len(first)


def test_a_continuation_fc_refuses_leaves_every_remaining_item_reported(cloud: LocalCloud) -> None:
    """FC refusing InvokeFunction: what is left is reported FAILED ContinuationFailed (by this invocation, and by FC's
    retry of it when the time left is too short to report it all), nothing dropped."""
    # GIVEN a manifest longer than one invocation, and an FC API that refuses every InvokeFunction
    cloud.fc.set_timeout(4)
    cloud.fc.set_env(**SHORT)
    cloud.faults.add(service="fc", operation="InvokeFunction", error_code="AccessDenied")
    pending = [cloud.vod.seed_job(f"https://media.example.com/refused/{i}.mp4").job_id for i in range(2500)]
    # WHEN it is uploaded
    etag = put_manifest(cloud, f"{MANIFEST_PREFIX}refused.txt", "\n".join(pending))
    wait_for_the_chain(cloud)
    # THEN no continuation ran, and the OSS event's invocation ended well (at FC's retry, at the latest)
    records = invocations(cloud)
    assert {r.source for r in records} == {"oss"} and len({r.request_id for r in records}) == 1
    assert_every_invocation_ended_well(records, invocation_logs(cloud))
    whole = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{MANIFEST_PREFIX}refused.txt@{etag}"))
    assert reported_items(whole, set(pending)) == Counter(pending)
    failed = {entry["Item"]: entry["Code"] for entry in whole["Failed"]}
    # (a batch in flight at the hand-off that VOD did not answer before the cutoff is DeadlineExceeded, as documented:
    # on a loaded machine VOD's answer can take longer than the test's short margin)
    codes = Counter(failed.values())
    assert codes["ContinuationFailed"] > 0 and set(codes) <= {"ContinuationFailed", "DeadlineExceeded"}, codes
    # AND the items left to the continuation were not cancelled, the ones reported cancelled were
    # (a DeadlineExceeded one may have been cancelled late: its state is unknown, as its message says)
    assert all(cloud.vod.job(job).status == "PENDING" for job, code in failed.items() if code == "ContinuationFailed")
    assert all(cloud.vod.job(job).status == "CANCELED" for job in set(pending) - set(failed))


def test_past_max_continuations_what_is_left_is_reported(cloud: LocalCloud) -> None:
    """MAX_CONTINUATIONS bounds the chain of invocations that call VOD: past it, what is left is FAILED
    ContinuationLimitExceeded (by the last of them, and by one more that makes no VOD call if its time is short)."""
    # GIVEN a chain allowed one continuation only, and a manifest that needs more
    cloud.fc.set_timeout(4)
    cloud.fc.set_env(**SHORT, MAX_CONTINUATIONS="1")
    items = [f"bound-{i:05d}" for i in range(4000)]
    # WHEN it is uploaded
    etag = put_manifest(cloud, f"{MANIFEST_PREFIX}bounded.txt", "\n".join(items))
    wait_for_the_chain(cloud)
    # THEN two invocations called VOD, and every item is reported: the rest as ContinuationLimitExceeded
    logs = invocation_logs(cloud)
    summaries = [json.loads(line) for line in logs.splitlines() if '"message":"cancel request' in line]
    assert len([summary for summary in summaries if "vod" in summary]) == 2, logs
    whole = assert_part_invariants(parts_of(cloud, f"oss:{MANIFEST_BUCKET}/{MANIFEST_PREFIX}bounded.txt@{etag}"))
    assert reported_items(whole, set(items)) == Counter(items)
    codes = Counter(entry["Code"] for entry in whole["Failed"])
    what = (codes, whole["Counts"], logs[-3000:])
    assert codes["ContinuationLimitExceeded"] > 0, what
    assert set(codes) <= {"ContinuationLimitExceeded", "DeadlineExceeded"}, what
    assert whole["Counts"]["NonExists"] > 0
