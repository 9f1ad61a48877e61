"""Outcomes per item and the results documents: one outcome per item, JSON shape, splitting under 64 KB."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.documents import DocumentIds, error_document, results_documents
from lib.errors import BadRequestError
from lib.limits import NOTIFY_MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from lib.outcome import DuplicateOutcomeError, ItemOutcome, OutcomeKind, Results
from lib.request import CancelRequest, RequestedItem, UploadUrl

LISTS = ("CanceledJobs", "CanceledUrls", "NonExists", "NotCancellable", "Failed")
IDS = DocumentIds(request_id="req-1", source="http", dedupe_key="http:req-1")


def sample_results() -> Results:
    return Results(
        [
            ItemOutcome.canceled("job-a", is_url=False),
            ItemOutcome.canceled("http%3A//h/x%20y", is_url=True, job_ids=["job-u1", "job-a"]),
            ItemOutcome.not_found("job-b", is_url=False),
            ItemOutcome.not_found("http://h/gone", is_url=True),
            ItemOutcome.not_cancellable("job-c", is_url=False, job_id="job-c", status="PROCESSING"),
            ItemOutcome.failed("job-d", is_url=False, code="Throttling.User", message="rate limited — retry"),
        ]
    )


def many_results(count: int) -> Results:
    """``count`` outcomes of every kind, with non-ASCII URLs so byte and character counts differ."""
    outcomes = []
    for i in range(count):
        kind = i % 5
        url = f"https://cdn.例え.jp/動画/{i}.mp4"
        if kind == 0:
            outcomes.append(ItemOutcome.canceled(f"job-{i:06d}", is_url=False))
        elif kind == 1:
            outcomes.append(ItemOutcome.canceled(url, is_url=True, job_ids=[f"job-u{i:06d}"]))
        elif kind == 2:
            outcomes.append(ItemOutcome.not_found(url, is_url=True))
        elif kind == 3:
            outcomes.append(
                ItemOutcome.not_cancellable(f"job-{i:06d}", is_url=False, job_id=f"job-{i:06d}", status="SUCCESS")
            )
        else:
            outcomes.append(
                ItemOutcome.failed(f"job-{i:06d}", is_url=False, code="Deadline", message="ran out of time")
            )
    return Results(outcomes)


def merged(documents: list[tuple[str, str]]) -> dict[str, list]:
    """The lists of all parts concatenated in part order."""
    lists: dict[str, list] = {name: [] for name in LISTS}
    for text, _ in documents:
        for name in LISTS:
            lists[name].extend(json.loads(text)[name])
    return lists


def assert_valid_split(results: Results, documents: list[tuple[str, str]], max_bytes: int) -> None:
    """Every part fits and is complete JSON with the same header; parts are numbered 1..n, only the last is final
    (with PartCount n and the totals); the running counts only grow; the lists partition the whole (a job ID is
    listed once per part)."""
    ((whole_text, whole_tag),) = results_documents(results, IDS, max_bytes=10**12)
    whole = json.loads(whole_text)
    parts = [json.loads(text) for text, _ in documents]
    assert all(len(text.encode("utf-8")) <= max_bytes for text, _ in documents)
    assert [part["Part"] for part in parts] == list(range(1, len(parts) + 1))
    assert [part["Final"] for part in parts] == [False] * (len(parts) - 1) + [True]
    assert ["PartCount" in part for part in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1]["PartCount"] == len(parts) and parts[-1]["Counts"] == whole["Counts"]
    assert documents[-1][1] == whole_tag
    for part in parts:
        assert {key: part[key] for key in ("Version", "RequestId", "Source", "DedupeKey")} == {
            key: whole[key] for key in ("Version", "RequestId", "Source", "DedupeKey")
        }
    for earlier, later in itertools.pairwise(parts):
        assert all(earlier["Counts"][name] <= later["Counts"][name] for name in earlier["Counts"])
    lists = merged(documents)
    lists["CanceledJobs"] = list(dict.fromkeys(lists["CanceledJobs"]))
    joined: list[dict] = []  # a CanceledUrls entry too big for a message is split into entries of the same URL
    for entry in lists["CanceledUrls"]:
        if joined and joined[-1]["UploadUrl"] == entry["UploadUrl"]:
            joined[-1] = {**joined[-1], "JobIds": joined[-1]["JobIds"] + entry["JobIds"]}
        else:
            joined.append(entry)
    lists["CanceledUrls"] = joined
    assert lists == {name: whole[name] for name in LISTS}


# ---------------------------------------------------------------- outcomes and Results


def test_outcome_constructors_fill_the_right_fields():
    """Each kind carries its own fields; a cancelled job ID lists itself as the cancelled job."""
    # GIVEN / WHEN one outcome of each kind is built / THEN the fields match the kind
    assert ItemOutcome.canceled("j", is_url=False).job_ids == ("j",)
    assert ItemOutcome.canceled("http://h/a", is_url=True).job_ids == ()
    blocked = ItemOutcome.not_cancellable("http://h/a", is_url=True, job_id="j9", status="PROCESSING")
    assert (blocked.kind, blocked.job_id, blocked.status) == (OutcomeKind.NOT_CANCELLABLE, "j9", "PROCESSING")
    failed = ItemOutcome.failed("j", is_url=False, code="C" * 500, message="m" * 5000)
    assert failed.kind is OutcomeKind.FAILED and len(failed.code) == 100 and len(failed.message) == 500


def test_second_outcome_for_an_item_is_a_programming_error():
    """Adding a second outcome for the same item raises instead of silently overwriting."""
    # GIVEN an item with an outcome / WHEN another is added / THEN DuplicateOutcomeError
    results = Results([ItemOutcome.not_found("j", is_url=False)])
    with pytest.raises(DuplicateOutcomeError, match="NOT_FOUND"):
        results.add(ItemOutcome.canceled("j", is_url=False))
    assert len(results) == 1


def test_a_job_id_and_a_url_with_the_same_text_are_different_items():
    """Outcomes are keyed by kind of item and text, so the two never collide."""
    # GIVEN the same text as job ID and as URL / WHEN both get outcomes / THEN both are kept
    results = Results([ItemOutcome.not_found("x", is_url=False), ItemOutcome.not_found("x", is_url=True)])
    assert len(results) == 2 and results.get("x", is_url=True) is not None


def test_missing_and_fail_missing():
    """missing() lists requested items without an outcome; fail_missing() settles them as FAILED."""
    # GIVEN a request of four items, two settled
    request = CancelRequest(
        ("a", "b"), (UploadUrl("http%3A//h/1", "http://h/1"), UploadUrl("http://h/2", "http://h/2"))
    )
    results = Results([ItemOutcome.canceled("a", is_url=False), ItemOutcome.not_found("http://h/2", is_url=True)])
    # WHEN the missing ones are listed and then failed
    assert results.missing(request) == [RequestedItem("b", False), RequestedItem("http%3A//h/1", True)]
    assert results.fail_missing(request, code="DeadlineExceeded", message="the function ran out of time") == 2
    # THEN every item has exactly one outcome
    assert results.missing(request) == [] and len(results) == request.item_count
    assert RequestedItem("b", False) in results and results.counts()["Failed"] == 2


def test_counts():
    """Counts are items per outcome kind, and Requested is their sum."""
    # GIVEN the sample / WHEN counted / THEN one number per kind
    assert sample_results().counts() == {
        "Requested": 6,
        "Canceled": 2,
        "NonExists": 2,
        "NotCancellable": 1,
        "Failed": 1,
    }


# ---------------------------------------------------------------- results document


def test_results_document_shape():
    """A small result is one compact JSON message with every field of the documented shape."""
    # GIVEN the sample outcomes / WHEN rendered
    ((text, tag),) = results_documents(sample_results(), IDS)
    # THEN the document is exactly the documented one, compact, non-ASCII kept
    assert tag == "failed"
    assert json.loads(text) == {
        "Version": 1,
        "RequestId": "req-1",
        "Source": "http",
        "DedupeKey": "http:req-1",
        "Part": 1,
        "Final": True,
        "PartCount": 1,
        "Counts": {"Requested": 6, "Canceled": 2, "NonExists": 2, "NotCancellable": 1, "Failed": 1},
        "CanceledJobs": ["job-a", "job-u1"],
        "CanceledUrls": [{"UploadUrl": "http%3A//h/x%20y", "JobIds": ["job-u1", "job-a"]}],
        "NonExists": ["job-b", "http://h/gone"],
        "NotCancellable": [{"Item": "job-c", "JobId": "job-c", "Status": "PROCESSING"}],
        "Failed": [{"Item": "job-d", "Code": "Throttling.User", "Message": "rate limited — retry"}],
    }
    assert ", " not in text and "—" in text


def test_tag_is_ok_without_failures():
    """The MNS tag is ok when no item failed."""
    # GIVEN only successes / WHEN rendered / THEN tag ok
    ((_, tag),) = results_documents(Results([ItemOutcome.canceled("a", is_url=False)]), IDS)
    assert tag == "ok"


def test_empty_results_is_one_part_with_empty_lists():
    """Zero outcomes still give one complete message."""
    # GIVEN no outcomes / WHEN rendered / THEN one part with zero counts and empty lists
    ((text, tag),) = results_documents(Results(), IDS)
    document = json.loads(text)
    assert tag == "ok" and document["Counts"]["Requested"] == 0 and all(document[name] == [] for name in LISTS)


def test_split_100k_outcomes_lossless():
    """100,000 outcomes split into many ≤64 KB parts with nothing lost or repeated (speed: bench/memory.py)."""
    # GIVEN 100,000 outcomes of every kind (non-ASCII URLs)
    results = many_results(100_000)
    # WHEN rendered under the MNS limit
    documents = results_documents(results, IDS, max_bytes=MAX_MESSAGE_BYTES)
    # THEN there are many parts, each valid and within the limit, together equal to the whole
    assert len(documents) > 50
    assert_valid_split(results, documents, MAX_MESSAGE_BYTES)
    assert json.loads(documents[-1][0])["Counts"]["Requested"] == 100_000
    assert 0 < json.loads(documents[0][0])["Counts"]["Requested"] < 100_000  # running counts


def test_parts_are_packed_tightly():
    """Greedy packing fills each part: no part but the last could take the next part's first entry."""
    # GIVEN many outcomes / WHEN split at 2,000 bytes
    documents = results_documents(many_results(500), IDS, max_bytes=2000)
    sizes = [len(text.encode()) for text, _ in documents]
    # THEN every part but the last is close to the limit (an entry here is < 100 bytes)
    assert all(size > 2000 - 200 for size in sizes[:-1]), sizes


def test_oversized_canceled_url_entry_is_split_by_job_ids():
    """A URL with too many jobs for one message is split into several entries of the same URL."""
    # GIVEN one URL cancelled with 400 job IDs / WHEN rendered at 2,000 bytes
    job_ids = [f"job-{i:04d}" for i in range(400)]
    results = Results([ItemOutcome.canceled("http://h/a", is_url=True, job_ids=job_ids)])
    documents = results_documents(results, IDS, max_bytes=2000)
    # THEN every part fits and the URL's job IDs are all there, once, in order
    assert all(len(text.encode()) <= 2000 for text, _ in documents)
    entries = merged(documents)["CanceledUrls"]
    assert {entry["UploadUrl"] for entry in entries} == {"http://h/a"}
    assert [job for entry in entries for job in entry["JobIds"]] == job_ids
    assert merged(documents)["CanceledJobs"] == job_ids


def test_entry_that_cannot_fit_raises():
    """An entry bigger than a whole message is a clear error, never a silently oversized message."""
    # GIVEN a limit smaller than one entry plus the header / WHEN rendered / THEN ValueError
    results = Results([ItemOutcome.not_found("http://h/" + "a" * 2000, is_url=True)])
    with pytest.raises(ValueError, match="cannot fit"):
        results_documents(results, IDS, max_bytes=1000)
    with pytest.raises(ValueError, match="header"):
        results_documents(Results(), IDS, max_bytes=50)


def test_lone_surrogates_do_not_break_encoding():
    """Text that is not encodable as UTF-8 (a lone surrogate from a JSON escape) is escaped, never a crash."""
    # GIVEN a dedupe key and a failure message with lone surrogates
    results = Results([ItemOutcome.failed("j", is_url=False, code="X", message="bad \ud800")])
    # WHEN rendered
    ((text, _),) = results_documents(results, DocumentIds("r", "mns", "mns:t:\udfff"))
    # THEN the text is UTF-8-encodable JSON that keeps the escapes
    text.encode("utf-8")
    assert json.loads(text)["DedupeKey"] == "mns:t:\udfff"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.text(min_size=1, max_size=40), st.lists(st.text(max_size=12), max_size=3)),
        max_size=60,
    ),
    st.integers(600, 4000),
)
def test_split_property(rows, max_bytes):
    """For any outcomes and limit, parts fit, share the header and counts, and partition the lists exactly."""
    # GIVEN random outcomes (unique items) and a random limit
    results = Results()
    for index, (kind, text, job_ids) in enumerate(rows):
        item = f"{index}:{text}"
        if kind == 0:
            results.add(ItemOutcome.canceled(item, is_url=False))
        elif kind == 1:
            results.add(ItemOutcome.canceled(item, is_url=True, job_ids=job_ids))
        elif kind == 2:
            results.add(ItemOutcome.not_found(item, is_url=True))
        elif kind == 3:
            results.add(ItemOutcome.not_cancellable(item, is_url=False, job_id=text, status="FAIL"))
        else:
            results.add(ItemOutcome.failed(item, is_url=False, code="E", message=text))
    # WHEN split / THEN the split is valid
    assert_valid_split(results, results_documents(results, IDS, max_bytes=max_bytes), max_bytes)


# ---------------------------------------------------------------- rejection


def test_error_document():
    """An error (a published rejection or an HTTP error body) carries the ids and the error, not outcomes."""
    # GIVEN a bad-request error / WHEN rendered
    error = BadRequestError("InvalidUrl", "line 3: URL has no host: 'http:///x'")
    text = error_document(error, DocumentIds(request_id="r1", source="oss", dedupe_key="oss:b/k@E"))
    # THEN the document carries the error, not outcomes
    assert json.loads(text) == {
        "Version": 1,
        "RequestId": "r1",
        "Source": "oss",
        "DedupeKey": "oss:b/k@E",
        "Error": {"Code": "InvalidUrl", "Message": "line 3: URL has no host: 'http:///x'"},
    }
