"""vodcancel's assembly of results documents: parts by DedupeKey, complete at a Final part (or at PartCount),
running counts for the progress bar, redeliveries, rejections, a final part that says the manifest could not be
read to its end, and one item per requested item."""

from __future__ import annotations

from typing import Any

from vodcancel.results import Assembler, ItemResult, items_of

KEY = "mns:vod-cancel-requests:M1"


def part(number: int, count: int | None = 2, request_id: str = "1-a", **lists: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "Version": 1,
        "RequestId": request_id,
        "Source": "mns",
        "DedupeKey": KEY,
        "Part": number,
        "Counts": {"Requested": 4, "Canceled": 2, "NonExists": 1, "NotCancellable": 1, "Failed": 0},
        **lists,
    }
    if count is not None:
        document["PartCount"] = count
    return document


def test_parts_complete_at_part_count_in_any_order_and_duplicates_are_dropped() -> None:
    assembler = Assembler(KEY)
    assert assembler.add(part(2, NonExists=["u3"]))
    assert not assembler.complete
    assert assembler.add(part(2, NonExists=["u3"]))  # an at-least-once redelivery of the same part
    assert assembler.add(part(1, CanceledJobs=["j1", "j2"], CanceledUrls=[{"UploadUrl": "u1", "JobIds": ["j2"]}]))
    assert assembler.complete
    request = assembler.request
    assert request is not None
    assert (request.total, request.done) == (4, 4)
    assert [item.item for item in request.items()] == ["u1", "j1", "u3"]


def test_a_final_part_completes_streamed_parts_without_a_part_count() -> None:
    assembler = Assembler(KEY)
    assembler.add(part(1, count=None, CanceledJobs=["j1"]))
    assembler.add(part(3, count=None, Final=True, Failed=[{"Item": "j3", "Code": "Throttling", "Message": "m"}]))
    assert not assembler.complete  # part 2 is still missing
    assembler.add(part(2, count=None, NonExists=["j2"]))
    assert assembler.complete
    assert assembler.request is not None
    assert [item.outcome for item in assembler.request.items()] == ["Canceled", "NonExists", "Failed"]


def test_progress_counts_the_parts_in_order_and_the_total_comes_with_the_final_part() -> None:
    def running(number: int, requested: int, **fields: Any) -> dict[str, Any]:
        counts = {"Requested": requested, "Canceled": requested, "NonExists": 0, "NotCancellable": 0, "Failed": 0}
        return {**part(number, count=None, **fields), "Counts": counts}

    assembler = Assembler(KEY)
    assembler.add(running(2, 5, Final=False, CanceledJobs=["j3", "j4", "j5"]))
    assert assembler.request is not None and (assembler.request.done, assembler.request.total) == (0, None)
    assembler.add(running(1, 2, Final=False, CanceledJobs=["j1", "j2"]))
    assert (assembler.request.done, assembler.request.total) == (5, None)  # part 2 is in: its running count
    assembler.add(running(3, 6, Final=True, PartCount=3, CanceledJobs=["j6"]))
    assert assembler.complete and (assembler.request.done, assembler.request.total) == (6, 6)


def test_a_final_part_with_an_error_completes_the_request_it_is_not_a_rejection() -> None:
    assembler = Assembler(KEY)
    assembler.add(part(1, count=None, Final=False, NonExists=["j1"]))
    error = {"Code": "ManifestChanged", "Message": "manifest oss://b/k was replaced while it was being read"}
    assembler.add(part(2, count=None, Final=True, PartCount=2, Error=error))
    assert assembler.complete and assembler.request is not None
    assert assembler.request.rejection is None and assembler.request.head["Error"] == error
    assert [item.item for item in assembler.request.items()] == ["j1"]


def test_a_redelivery_under_another_request_id_does_not_mix_with_the_first() -> None:
    assembler = Assembler(KEY)
    assembler.add(part(1, request_id="1-a", CanceledJobs=["j1"]))
    assembler.add(part(1, request_id="1-b", CanceledJobs=["j1"]))
    assert not assembler.complete  # neither run has its part 2
    assembler.add(part(2, request_id="1-b", NonExists=["j2"]))
    assert assembler.complete
    assert assembler.request is not None
    assert assembler.request.head["RequestId"] == "1-b"


def test_other_requests_are_ignored_and_without_a_key_the_first_one_is_followed() -> None:
    keyed = Assembler(KEY)
    assert not keyed.add({**part(1, count=1), "DedupeKey": "other"})
    assert not keyed.add(None)  # type: ignore[arg-type]  # a message that was not JSON
    by_request_id = Assembler("1-a")
    assert by_request_id.add(part(1, count=1))
    first = Assembler()
    assert first.add({**part(1, count=1), "DedupeKey": "first"})
    assert not first.add(part(1, count=1))
    assert first.complete


def test_a_rejection_completes_the_request_with_its_error() -> None:
    assembler = Assembler(KEY)
    assembler.add(
        {"RequestId": "1-a", "DedupeKey": KEY, "Source": "mns", "Error": {"Code": "InvalidJobId", "Message": "m"}}
    )
    assert assembler.complete
    assert assembler.request is not None
    assert assembler.request.rejection is not None
    assert assembler.request.items() == []


def test_items_merge_a_split_url_and_count_url_jobs_once() -> None:
    parts = [
        {"CanceledJobs": ["j1", "j2", "j3"], "CanceledUrls": [{"UploadUrl": "u", "JobIds": ["j1"]}]},
        {
            "CanceledUrls": [{"UploadUrl": "u", "JobIds": ["j2"]}],
            "NotCancellable": [{"Item": "u2", "JobId": "j9", "Status": "PROCESSING"}],
        },
    ]
    assert items_of(parts) == [
        ItemResult("u", "Canceled", ("j1", "j2")),
        ItemResult("j3", "Canceled", ("j3",)),
        ItemResult("u2", "NotCancellable", ("j9",), "PROCESSING"),
    ]
