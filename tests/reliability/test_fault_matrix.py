"""The fault matrix: every cell injects one kind of trouble through the local cloud and checks the invariant.

Each cell seeds pending jobs, started jobs and unknown items, by job ID and by URL (more than 10 of each, so
several batches), sends them through one trigger and checks :func:`helpers.check_accounting`: every item ends in
exactly one outcome, nothing is dropped or double-counted, what is reported matches VOD's job states, retries end
inside the function's timeout, and the invocation either reports or fails so that FC / MNS delivers it again, as the
README's "When the function raises and when it reports" table says.

``--soak`` repeats every cell five times with five times the items, plus a mixed storm of faults.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from helpers import (
    FAILURES_TOPIC,
    MANIFEST_BUCKET,
    MANIFEST_PREFIX,
    Run,
    Scenario,
    Tally,
    check_accounting,
    deliver_again,
    merge_parts,
    oss_event,
    post_http,
    publish_request,
    put_manifest,
    results_by_request,
    seed_scenario,
    store_manifest,
    wait_idle,
    wait_until,
)

from localcloud.cloud import LocalCloud
from localcloud.fc.models import MNS_BACKOFF_RETRIES

TRIGGERS = ("http", "mns", "oss")
OSS_RETRIES = 2  # s.yaml asyncInvokeConfig.maxAsyncRetryAttempts


@dataclass(frozen=True)
class Cell:
    """One kind of trouble. ``faults`` are FaultRule fields; the rest says what the cell may and must show."""

    name: str
    faults: tuple[dict[str, Any], ...]
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    transient: bool = True  # retries must absorb it: no item may fail
    late_answers: bool = False  # VOD may act after the client gave up (latency beyond the client's patience)
    failed_codes: frozenset[str] | None = None  # every item must fail with one of these
    triggers: tuple[str, ...] = TRIGGERS

    def __str__(self) -> str:
        return self.name


VOD_CELLS = (
    Cell("throttling-30pct", ({"service": "vod", "error_code": "Throttling.User", "error_rate": 0.3},)),
    Cell(
        "503-bursts",
        (
            {"service": "vod", "operation": "CancelUrlUploadJobs", "error_code": "ServiceUnavailable", "count": 6},
            {"service": "vod", "operation": "GetURLUploadInfos", "error_code": "ServiceUnavailable", "count": 4},
        ),
    ),
    Cell("internal-errors-25pct", ({"service": "vod", "error_code": "InternalError", "error_rate": 0.25},)),
    Cell("connection-resets-25pct", ({"service": "vod", "reset_rate": 0.25},)),
    Cell(
        "read-timeouts",
        ({"service": "vod", "latency_ms": 1000, "count": 5},),
        env={"VOD_READ_TIMEOUT_MS": "400"},
        late_answers=True,
    ),
    Cell(
        "vod-stays-down",
        ({"service": "vod", "error_code": "ServiceUnavailable"},),
        timeout_s=4,
        transient=False,
        failed_codes=frozenset({"ServiceUnavailable", "DeadlineExceeded"}),
    ),
    Cell(
        "deadline-mid-batch",
        ({"service": "vod", "latency_ms": 700},),
        env={"VOD_CONCURRENCY": "2"},
        timeout_s=5,
        transient=False,
        late_answers=True,
    ),
)
OSS_CELLS = (
    Cell("oss-slow", ({"service": "oss", "operation": "GetObject", "latency_ms": 1500},), triggers=("oss",)),
    Cell(
        "oss-burst",
        ({"service": "oss", "operation": "GetObject", "error_code": "InternalError", "count": 1},),
        triggers=("oss",),
    ),
)
SOAK_CELLS = (
    Cell(
        "storm",
        (
            {"service": "vod", "error_code": "Throttling.User", "error_rate": 0.3},
            {"service": "vod", "reset_rate": 0.1},
            {"service": "vod", "operation": "GetURLUploadInfos", "error_code": "InternalError", "error_rate": 0.2},
            {"service": "vod", "operation": "CancelUrlUploadJobs", "error_code": "ServiceUnavailable", "count": 20},
            {"service": "oss", "operation": "GetObject", "latency_ms": 300},
        ),
    ),
)


def _cells() -> list[Any]:
    """Every (cell, trigger) pair; the soak-only cells are marked ``soak`` (skipped without ``--soak``)."""
    cells = [*VOD_CELLS, *OSS_CELLS, *SOAK_CELLS]
    params = []
    for cell in cells:
        for trigger in cell.triggers:
            marks = [pytest.mark.soak] if cell in SOAK_CELLS else []
            params.append(pytest.param(cell, trigger, id=f"{cell.name}-{trigger}", marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"cell", "trigger"} <= set(metafunc.fixturenames):
        metafunc.parametrize(("cell", "trigger"), _cells())
    if "repeat" in metafunc.fixturenames:
        soak = bool(metafunc.config.getoption("--soak", default=False))
        metafunc.parametrize("repeat", range(5 if soak else 1), ids=lambda n: f"run{n}")


@dataclass
class Outcome:
    """What one request through one trigger produced."""

    document: dict[str, Any]  # the results (all parts merged), or the HTTP reply's document
    records: list[Any]  # every FC attempt of the invocation
    http: Any = None


def send(cloud: LocalCloud, trigger: str, scenario: Scenario) -> Outcome:
    """Send the scenario through ``trigger`` and collect the attempts and the results."""
    if trigger == "http":
        reply = post_http(cloud, scenario.json_payload(), headers={"Idempotency-Key": uuid.uuid4().hex})
        assert reply.status == 200, (reply.status, reply.body[:300])
        records = cloud.fc.invocations(request_id=reply.request_id)
        document = {**reply.json(), "_tags": None}
        if reply.headers.get("x-results-published") == "true":  # the reply is one document, the topic has parts
            published = merge_parts(results_by_request(cloud)[reply.request_id])
            framing = {"_tags", "Part", "PartCount"}
            assert {k: v for k, v in published.items() if k not in framing} == {
                k: v for k, v in document.items() if k not in framing
            }, "the published results differ from the HTTP reply"
        return Outcome(document, records, reply)
    if trigger == "mns":
        publish_request(cloud, scenario.json_payload())
        wait_idle(cloud)
        records = cloud.fc.invocations(source="mns")
    else:
        put_manifest(cloud, f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt", scenario.text_payload().encode())
        records = cloud.fc.invocations(source="oss")
    assert len({r.request_id for r in records}) == 1, "one event, one invocation (plus its retries)"
    parts = results_by_request(cloud).get(records[0].request_id, [])
    return Outcome(merge_parts(parts) if parts else {}, records)


def _prepare(cloud: LocalCloud, cell: Cell, run: Run) -> Scenario:
    if cell.env:
        cloud.fc.set_env(**cell.env)
    if cell.timeout_s:
        cloud.fc.set_timeout(cell.timeout_s)
    size = 5 if run.soak else 1
    scenario = seed_scenario(cloud, pending=12 * size, started=11 * size, unknown=11 * size)
    for rule in cell.faults:
        cloud.faults.add(**rule)
    return scenario


def test_every_item_ends_in_exactly_one_outcome_under_faults(
    localcloud: LocalCloud, run: Run, tally: Tally, cell: Cell, trigger: str, repeat: int
) -> None:
    """One fault cell through one trigger: exactly one outcome per item, consistent with VOD, within the timeout."""
    # GIVEN pending, started and unknown items (IDs and URLs) and the cell's faults
    scenario = _prepare(localcloud, cell, run)
    # WHEN the request arrives through the trigger
    outcome = send(localcloud, trigger, scenario)
    tally.items += scenario.item_count
    # THEN the invocation reported: one attempt, no raise, finished inside the function's timeout
    # (a run past the timeout would have been killed by the local FC: status "timeout", not "succeeded")
    assert [r.status for r in outcome.records] == ["succeeded"], [r.error for r in outcome.records]
    # AND every requested item has exactly one outcome that agrees with VOD
    accounting = check_accounting(
        localcloud,
        scenario,
        outcome.document,
        late_answers_possible=cell.late_answers,
        expect_no_failures=cell.transient,
    )
    tally.lost += accounting.lost
    if cell.failed_codes is not None:
        assert accounting.outcomes["Failed"] == accounting.requested
        assert set(accounting.failed_codes) <= cell.failed_codes, accounting.failed_codes
        for job_id in scenario.pending_ids:
            assert localcloud.vod.job(job_id).status == "PENDING"
    if cell.name == "vod-stays-down":  # retried, but not in a loop: bounded by the deadline
        batches = -(-len(scenario.job_id_items) // 10) + -(-len(scenario.url_items) // 10)
        assert localcloud.vod.call_count() <= batches * 30
    if cell.name == "deadline-mid-batch":  # (how many batches finish first depends on the machine's speed)
        codes = accounting.failed_codes
        assert codes.get("DeadlineExceeded", 0) > 0, f"the deadline should have cut the batch short: {codes}"


# -- MNS down while publishing the results ----------------------------------------------------------------------
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_results_publish_failure_then_recovery(localcloud: LocalCloud, tally: Tally, trigger: str) -> None:
    """MNS fails every publish of one invocation: HTTP says so in a header; OSS/MNS raise, are retried, report once."""
    # GIVEN a scenario and an MNS that refuses the next 3 PublishMessage calls (one invocation's tries)
    scenario = seed_scenario(localcloud)
    localcloud.faults.add(service="mns", operation="PublishMessage", error_code="InternalError", count=3)
    # WHEN the request arrives
    outcome = send(localcloud, trigger, scenario)
    tally.items += scenario.item_count
    if trigger == "http":
        # THEN HTTP: 200 with the full results and X-Results-Published: false; nothing on the topic
        assert outcome.http.headers["x-results-published"] == "false"
        assert results_by_request(localcloud) == {}
        document = outcome.document
    else:
        # THEN OSS/MNS: the first attempt raised, the redelivery reported, exactly once
        assert [r.status for r in outcome.records] == ["failed", "succeeded"]
        assert [r.attempt for r in outcome.records] == [1, 2]
        document = outcome.document
        assert len(results_by_request(localcloud)) == 1
    # AND the (redelivered) results account for every item; the cancels of attempt 1 count as cancelled
    accounting = check_accounting(localcloud, scenario, document, expect_no_failures=True)
    tally.lost += accounting.lost


@pytest.mark.parametrize("trigger", ("mns", "oss"))
def test_results_topic_down_fails_the_invocation_for_retry_then_the_failure_destination(
    localcloud: LocalCloud, tally: Tally, trigger: str
) -> None:
    """MNS down for good: OSS/MNS invocations raise on every attempt (bounded retries), then FC's onFailure fires."""
    # GIVEN a results topic that refuses every publish
    scenario = seed_scenario(localcloud, pending=3, started=2, unknown=2)
    localcloud.faults.add(service="mns", operation="PublishMessage", error_code="ServiceUnavailable")
    # WHEN the request arrives
    outcome = send(localcloud, trigger, scenario)
    tally.items += scenario.item_count
    # THEN every attempt failed (so it was delivered again), the retries were bounded, and FC's onFailure
    #      destination got one record; the jobs were still cancelled (once) and nothing was published
    retries = MNS_BACKOFF_RETRIES if trigger == "mns" else OSS_RETRIES
    assert [r.status for r in outcome.records] == ["failed"] * (1 + retries)
    assert all("NotifyError" in str(r.error) for r in outcome.records)
    assert outcome.document == {}
    wait_until(lambda: len(localcloud.mns.published(FAILURES_TOPIC)) == 1)
    for job_id in scenario.pending_ids:
        assert localcloud.vod.job(job_id).status == "CANCELED"


def test_http_reports_when_the_results_topic_stays_down(localcloud: LocalCloud, tally: Tally) -> None:
    """MNS down for good, HTTP trigger: 200 with the complete results and X-Results-Published: false."""
    # GIVEN a results topic that refuses every publish
    scenario = seed_scenario(localcloud)
    localcloud.faults.add(service="mns", operation="PublishMessage", error_code="ServiceUnavailable")
    # WHEN a request is POSTed
    outcome = send(localcloud, "http", scenario)
    tally.items += scenario.item_count
    # THEN the caller still learns every outcome, and is told the results were not published
    assert outcome.http.headers["x-results-published"] == "false"
    tally.lost += check_accounting(localcloud, scenario, outcome.document, expect_no_failures=True).lost


# -- OSS trouble ---------------------------------------------------------------------------------------------------
def test_oss_down_fails_the_invocation_so_fc_retries_without_touching_vod(localcloud: LocalCloud, tally: Tally) -> None:
    """GetObject keeps failing: the invocation raises (FC retries, then onFailure); VOD is never called."""
    # GIVEN a manifest and an OSS whose GetObject answers 503
    scenario = seed_scenario(localcloud, pending=3, started=2, unknown=2)
    localcloud.faults.add(service="oss", operation="GetObject", error_code="ServiceUnavailable")
    # WHEN the manifest is uploaded
    outcome = send(localcloud, "oss", scenario)
    tally.items += scenario.item_count
    # THEN 1 + 2 attempts, all failed, no VOD call, nothing published, one onFailure record
    assert [r.status for r in outcome.records] == ["failed"] * (1 + OSS_RETRIES)
    assert localcloud.vod.call_count() == 0
    assert outcome.document == {}
    wait_until(lambda: len(localcloud.mns.published(FAILURES_TOPIC)) == 1)


def test_manifest_deleted_before_the_invocation_is_rejected_once(localcloud: LocalCloud, tally: Tally) -> None:
    """The manifest is gone when the (late) event arrives: ManifestNotFound is published, no retry, no VOD call."""
    # GIVEN a manifest that was uploaded and deleted again before its event was handled
    scenario = seed_scenario(localcloud, pending=2, started=1, unknown=1)
    key = f"{MANIFEST_PREFIX}{uuid.uuid4().hex}.txt"
    stored = store_manifest(localcloud, key, scenario.text_payload().encode())
    localcloud.oss.delete(MANIFEST_BUCKET, key)
    # WHEN its event is delivered
    deliver_again(localcloud, oss_event(localcloud, MANIFEST_BUCKET, key, etag=stored.etag, size=stored.size), "oss")
    wait_idle(localcloud)
    tally.cases += 1
    # THEN one attempt, one rejection, no VOD call, jobs untouched
    (record,) = localcloud.fc.invocations(source="oss")
    assert record.status == "succeeded"
    (parts,) = results_by_request(localcloud).values()
    assert parts[0].tag == "rejected" and parts[0].body["Error"]["Code"] == "ManifestNotFound"
    assert localcloud.vod.call_count() == 0
    assert all(localcloud.vod.job(job_id).status == "PENDING" for job_id in scenario.pending_ids)
