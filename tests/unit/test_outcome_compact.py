"""Results stores outcomes compactly and PartWriter builds messages one at a time — neither changes what is read."""

from __future__ import annotations

import json

from lib.documents import DocumentIds, PartWriter, results_documents, summary_document
from lib.outcome import ItemOutcome, OutcomeKind, Results

IDS = DocumentIds(request_id="r-1", source="oss", dedupe_key="oss:b/k@e")


def _mixed() -> list[ItemOutcome]:
    return [
        ItemOutcome.canceled("job-a", is_url=False),  # stored as None
        ItemOutcome.canceled("http://h/1", is_url=True, job_ids=["j1"]),  # stored as "j1"
        ItemOutcome.canceled("http://h/2", is_url=True, job_ids=["j2", "j3"]),  # stored as a tuple
        ItemOutcome.canceled("http://h/0", is_url=True),  # no job ids: kept whole
        ItemOutcome.canceled("job-b", is_url=False, job_ids=["other"]),  # unusual: kept whole
        ItemOutcome.not_found("http://h/gone", is_url=True),
        ItemOutcome.not_cancellable("job-c", is_url=False, job_id="job-c", status="PROCESSING"),
        ItemOutcome.failed("http://h/f", is_url=True, code="Throttling.User", message="m"),
    ]


def test_every_outcome_reads_back_exactly_as_added_in_order():
    outcomes = _mixed()
    results = Results(outcomes)
    assert list(results) == outcomes
    for outcome in outcomes:
        assert results.get(outcome.item, is_url=outcome.is_url) == outcome
        assert results.get(outcome.item, is_url=not outcome.is_url) is None
    assert results.counts() == {"Requested": 8, "Canceled": 5, "NonExists": 1, "NotCancellable": 1, "Failed": 1}
    assert list(results.canceled_job_ids()) == ["job-a", "j1", "j2", "j3", "other"]
    assert [o.item for o in results.of_kind(OutcomeKind.CANCELED, urls_only=True)] == [
        "http://h/1",
        "http://h/2",
        "http://h/0",
    ]


def test_the_same_text_as_both_kinds_keeps_both():
    results = Results([ItemOutcome.canceled("x", is_url=False), ItemOutcome.not_found("x", is_url=True)])
    assert len(results) == 2
    assert results.get("x", is_url=False).kind is OutcomeKind.CANCELED
    assert results.get("x", is_url=True).kind is OutcomeKind.NOT_FOUND


def test_parts_written_as_outcomes_arrive_equal_the_parts_built_at_once():
    # GIVEN results that need several messages WHEN fed one outcome at a time THEN the same parts come out
    outcomes = [ItemOutcome.canceled(f"https://h/{i:05d}.mp4", is_url=True, job_ids=[f"{i:032x}"]) for i in range(2000)]
    writer = PartWriter(IDS, max_bytes=8000)
    streamed = []
    for outcome in outcomes:
        writer.add(outcome)
        streamed.extend(writer.take())
    streamed.append(writer.finish())
    assert streamed == results_documents(Results(outcomes), IDS, max_bytes=8000)
    assert len(streamed) > 1 and json.loads(streamed[-1][0])["PartCount"] == len(streamed)


def test_a_writer_carried_over_to_another_invocation_writes_what_it_would_have():
    # GIVEN a writer that stops half-way and one resumed from its state
    outcomes = _mixed() * 1
    whole = results_documents(outcomes, IDS, max_bytes=4096)
    first = PartWriter(IDS, max_bytes=4096)
    for outcome in outcomes[:4]:
        first.add(outcome)
    documents = first.take()
    second = PartWriter(IDS, max_bytes=4096, resume=json.loads(json.dumps(first.state())))
    for outcome in outcomes[4:]:
        second.add(outcome)
    # THEN together they wrote exactly the parts one writer writes
    assert [*documents, *second.take(), second.finish()] == whole


def test_summary_is_the_head_without_lists():
    results = Results(_mixed())
    summary = json.loads(summary_document(IDS, results.counts(), 3, final=True))
    assert summary == {
        "Version": 1,
        "RequestId": "r-1",
        "Source": "oss",
        "DedupeKey": "oss:b/k@e",
        "Final": True,
        "Parts": 3,
        "Counts": results.counts(),
    }


def test_a_writers_state_is_a_snapshot_that_later_outcomes_do_not_change():
    # GIVEN a writer's state taken at a checkpoint
    outcomes = _mixed()
    writer = PartWriter(IDS, max_bytes=4096)
    for outcome in outcomes[:4]:
        writer.add(outcome)
    state = writer.state()
    saved = json.dumps(state)
    # WHEN the writer goes on (outcomes the checkpoint does not cover: the next invocation redoes them)
    for outcome in outcomes[4:]:
        writer.add(outcome)
    # THEN the state still says only what was written when it was taken
    assert json.dumps(state) == saved
