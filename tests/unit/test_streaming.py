"""The pure pieces of a streamed request: batches built as items arrive, outcomes handed on in batch order, the
checkpoint's JSON, first occurrences on disk, what an OSS failure means, progress lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lib.batches import Batch, BatchBuilder, iter_batches
from lib.checkpoint import Checkpoint, folder_of
from lib.dedupe import SeenStore, ordinal
from lib.handoff import Handoff
from lib.items import Item, known_line_item, text_line_item
from lib.manifest import Manifest, Position
from lib.objects import classify
from lib.outcome import ItemOutcome
from lib.pipeline import Drainer, InOrder
from lib.progress import Progress
from lib.request import CancelRequest, UploadUrl


def job(text: str) -> Item:
    return Item(text, False, text)


def url(text: str) -> Item:
    return Item(text, True, text)


# ---------------------------------------------------------------- batches


def test_a_batch_is_closed_as_soon_as_it_is_full_and_numbered_in_order():
    builder = BatchBuilder()
    closed = [batch for index in range(25) for batch in builder.add(job(f"j{index}"))]
    assert [(batch.seq, len(batch.items)) for batch in closed] == [(1, 10), (2, 10)]
    assert [(batch.seq, batch.items) for batch in builder.flush()] == [(3, tuple(f"j{i}" for i in range(20, 25)))]
    assert builder.flush() == []


def test_kinds_are_batched_apart_and_a_waiting_kind_is_sent_after_max_lag_items():
    # GIVEN one URL, then many job IDs
    builder = BatchBuilder(max_lag=25)
    closed = builder.add(url("http://h/a.mp4"))
    for index in range(30):
        closed += builder.add(job(f"j{index}"))
    # THEN the lone URL went out once 25 items had arrived after it, alone, never mixed with job IDs
    kinds = [(batch.kind, len(batch.items)) for batch in closed]
    assert kinds == [("job_ids", 10), ("job_ids", 10), ("urls", 1), ("job_ids", 10)]
    assert [batch.seq for batch in closed] == [1, 2, 3, 4] and builder.flush() == []


def test_url_batches_stay_under_the_query_budget():
    long = [url(f"https://h/{'x' * 700}/{index}.mp4") for index in range(10)]
    builder = BatchBuilder(max_query_chars=2000)
    batches = [batch for item in long for batch in builder.add(item)] + builder.flush()
    assert [len(batch.items) for batch in batches] == [2, 2, 2, 2, 2]


def test_iter_batches_keeps_job_ids_first_then_urls():
    request = CancelRequest(("a", "b"), (UploadUrl("http://h/1", "http://h/1"),))
    assert [(batch.kind, batch.items) for batch in iter_batches(request)] == [
        ("job_ids", ("a", "b")),
        ("urls", ("http://h/1",)),
    ]


# ---------------------------------------------------------------- in order


def test_outcomes_are_handed_on_in_batch_order_whatever_order_batches_finish_in():
    order = InOrder()
    batches = [Batch("job_ids", (f"j{n}",), (f"j{n}",), seq=n) for n in (1, 2, 3)]
    outcomes = {batch.seq: [ItemOutcome.not_found(batch.items[0], is_url=False)] for batch in batches}
    assert list(order.add(batches[2], outcomes[3])) == [] and order.held == 1
    assert list(order.add(batches[1], outcomes[2])) == [] and order.released == 0
    released = []
    for handed in order.add(batches[0], outcomes[1]):  # a batch at a time, ``released`` naming it meanwhile
        released.append((order.released, [o.item for o in handed]))
    assert released == [(1, ["j1"]), (2, ["j2"]), (3, ["j3"])]
    assert (order.released, order.held) == (3, 0)


def test_the_drainer_reports_every_item_failed_without_calling_anything():
    batch = Batch("urls", ("http://h/a", "http://h/b"), ("http://h/a", "http://h/b"), seq=1)
    ((done, outcomes),) = list(Drainer("ContinuationFailed", "not attempted").stream([batch], deadline=0))
    assert done is batch and [(o.item, o.code) for o in outcomes] == [
        ("http://h/a", "ContinuationFailed"),
        ("http://h/b", "ContinuationFailed"),
    ]


# ---------------------------------------------------------------- lines read again


@pytest.mark.parametrize(
    "line", ["  abc_DEF-1 ", "# comment", "", "https://h/a b,c.mp4", "http%3A//h/x%20y.mp4", "HTTPS://H/Ü.mp4"]
)
def test_a_line_read_again_gives_the_item_the_first_read_validated(line):
    assert known_line_item(line) == text_line_item(line, "line 1")


# ---------------------------------------------------------------- checkpoint


def test_a_checkpoint_reads_back_as_written():
    checkpoint = Checkpoint(
        "req-1",
        "oss:b/k@E",
        [Manifest("bucket-1", "cancel-requests/a.txt", "E", 123), Manifest("bucket-1", "c/b.json", "F", 9, "json")],
        phase="cancelling",
        position=Position(1, 0, 57),
        lines_total=99,
        lines_done=56,
        writer={"NextPart": 3, "Counts": {"Requested": 5}, "Lists": {"NonExists": ["x"]}},
        pending=[('{"Part":2}', "ok")],
        drain={"Code": "ContinuationFailed", "Message": "m"},
        continuations=4,
        handoff=Handoff(4, "t" * 24),
        generation=6,
        invocations=7,
    )
    again = Checkpoint.from_json(checkpoint.to_json())
    assert again == checkpoint


@pytest.mark.parametrize("data", [b"not json", b"{}", json.dumps({"Version": 2}).encode(), b"[1]"])
def test_an_object_that_is_not_a_checkpoint_is_refused(data):
    with pytest.raises(ValueError, match="checkpoint"):
        Checkpoint.from_json(data)


def test_each_request_has_its_own_folder_under_the_prefix():
    first, second = folder_of("cancel-checkpoints/", "oss:b/k@E1"), folder_of("cancel-checkpoints/", "oss:b/k@E2")
    assert first != second and first.startswith("cancel-checkpoints/") and first.endswith("/")


# ---------------------------------------------------------------- first occurrences on disk


def test_first_occurrences_are_the_first_lines_a_key_is_on_whatever_was_read_before(tmp_path: Path):
    # GIVEN a store filled with lines 1-4, then reopened (another invocation on the same instance)
    store = SeenStore(tmp_path / "s.sqlite", "manifest@E")
    keys = [("j:a", ordinal(0, 1)), ("j:b", ordinal(0, 2)), ("j:a", ordinal(0, 3)), ("u:x", ordinal(0, 4))]
    assert store.first_occurrences(keys, Position(0, 40, 5)) == [True, True, False, True]
    store.close()
    again = SeenStore(tmp_path / "s.sqlite", "manifest@E")
    assert again.filled == (0, 40, 5)
    # WHEN lines 3-6 are read again (a resume from line 3) THEN each is judged by where its key was first
    more = [("j:a", ordinal(0, 3)), ("u:x", ordinal(0, 4)), ("u:y", ordinal(0, 5)), ("j:b", ordinal(0, 6))]
    assert again.first_occurrences(more, Position(0, 60, 7)) == [False, True, True, False]
    again.close(delete=True)
    assert not (tmp_path / "s.sqlite").exists()


def test_a_store_a_writer_died_in_is_rebuilt_not_trusted(tmp_path: Path):
    store = SeenStore(tmp_path / "s.sqlite", "m")
    store.first_occurrences([("j:a", 1)], Position(0, 2, 2))
    store.close()
    (tmp_path / "s.writing").touch()  # what a crash mid-write leaves
    assert SeenStore(tmp_path / "s.sqlite", "m").filled is None


def test_a_store_of_another_delivery_is_not_shared(tmp_path: Path):
    SeenStore(tmp_path / "s.sqlite", "one").first_occurrences([("j:a", 1)], Position(0, 2, 2))
    assert SeenStore(tmp_path / "s.sqlite", "two").filled is None


# ---------------------------------------------------------------- what an OSS failure means


def test_an_invalid_bucket_name_is_a_failure_that_never_passes():
    """The OSS SDK refuses ``Bad_Bucket!`` before any request: the same every time, so it is reported, never
    retried (FC would otherwise retry the event forever)."""
    import alibabacloud_oss_v2 as oss

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider("id", "secret")
    config.region, config.endpoint = "cn-shanghai", "http://127.0.0.1:9"
    with pytest.raises(oss.exceptions.OperationError) as raised:
        oss.Client(config).get_object(oss.GetObjectRequest(bucket="Bad_Bucket!", key="k.txt"))
    assert classify(raised.value).kind == "invalid"


def test_a_refused_connection_is_transient():
    import alibabacloud_oss_v2 as oss

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider("id", "secret")
    config.region, config.endpoint, config.use_path_style = "cn-shanghai", "http://127.0.0.1:9", True
    config.retry_max_attempts = 1
    with pytest.raises(oss.exceptions.OperationError) as raised:
        oss.Client(config).get_object(oss.GetObjectRequest(bucket="good-bucket", key="k.txt"))
    assert classify(raised.value).kind == "transient"


# ---------------------------------------------------------------- progress


def test_progress_says_done_total_rate_and_time_left(capsys: pytest.CaptureFixture[str]):
    now = [0.0]
    progress = Progress(interval_s=5, total=1000, done=100, clock=lambda: now[0])
    now[0] = 2.0
    progress.update(300)  # within the interval: nothing
    now[0] = 10.0
    progress.update(600)
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["message"], line["done"], line["total"], line["rate"], line["eta_s"]) == (
        "progress",
        600,
        1000,
        50.0,
        8.0,
    )
