"""Pure parts of the VOD layer: batches of ≤10, URL encoding, NonExists matching, outcome decisions."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, unquote

import pytest

from lib.batches import Batch, encode_url, iter_batches, wire_length
from lib.decisions import (
    NOT_SENT,
    JobInfo,
    UrlMatcher,
    decide_job_batch,
    decide_jobs_from_infos,
    decide_url_batch,
    decide_urls_from_infos,
    failed_outcomes,
    never_sent,
)
from lib.outcome import ItemOutcome


@dataclass(frozen=True)
class Url:
    original: str
    url: str


@dataclass(frozen=True)
class Req:
    job_ids: tuple = ()
    upload_urls: tuple = ()


def row(outcome: ItemOutcome) -> tuple:
    """An outcome as a plain tuple: (item, kind name, job_ids, job_id, status)."""
    return (outcome.item, outcome.kind.name, outcome.job_ids, outcome.job_id or "", outcome.status or "")


def url_batch(*urls: str) -> Batch:
    return Batch("urls", tuple(f"given:{u}" for u in urls), tuple(urls))


ODD_URLS = (
    "http://h.example/a,b.mp4",
    "http://h.example/with space.mp4",
    "http://h.example/100%25done.mp4",
    "http://h.example/a+b.mp4?x=1&y=2",
    "https://h.example/视频/é.mp4",
)


def test_ids_and_urls_go_in_separate_batches_of_at_most_ten_in_order():
    request = Req(
        job_ids=tuple(f"job{i}" for i in range(25)),
        upload_urls=tuple(Url(f"u{i}", f"http://h/{i}.mp4") for i in range(13)),
    )
    batches = list(iter_batches(request))
    assert [(b.kind, len(b.items)) for b in batches] == [
        ("job_ids", 10),
        ("job_ids", 10),
        ("job_ids", 5),
        ("urls", 10),
        ("urls", 3),
    ]
    assert [i for b in batches if b.kind == "job_ids" for i in b.items] == list(request.job_ids)
    assert batches[3].items[0] == "u0" and batches[3].keys[0] == "http://h/0.mp4"  # reported as given


def test_batches_are_generated_lazily():
    # GIVEN 100,000 URLs WHEN the first batch is taken THEN nothing else has been built
    request = Req(upload_urls=tuple(Url(f"http://h/{i}", f"http://h/{i}") for i in range(100_000)))
    batches = iter_batches(request)
    first = next(batches)
    assert len(first.items) == 10
    assert sys.getsizeof(batches) < 1000  # a generator, not a list of 10,000 batches
    assert sum(1 for _ in batches) == 9_999


def test_empty_request_has_no_batches():
    assert list(iter_batches(Req())) == []


def test_batch_size_is_bounded_by_the_api_limit():
    with pytest.raises(ValueError):
        list(iter_batches(Req(job_ids=("a",)), size=11))


def test_job_ids_are_comma_joined_as_is():
    assert Batch("job_ids", ("a", "b"), ("a", "b")).param() == "a,b"


def test_each_url_is_quoted_then_comma_joined_so_commas_in_urls_cannot_split_the_list():
    param = url_batch(*ODD_URLS).param()
    parts = param.split(",")
    assert len(parts) == len(ODD_URLS)
    assert [unquote(p) for p in parts] == list(ODD_URLS)
    assert encode_url("http://h.example/a,b c%+é") == "http%3A//h.example/a%2Cb%20c%25%2B%C3%A9"


@pytest.mark.parametrize("url", ODD_URLS)
def test_url_matcher_accepts_the_encoded_form_as_sent_and_the_decoded_form(url):
    matcher = UrlMatcher([url, "http://other/x.mp4"])
    assert matcher.match(url) == url
    assert matcher.match(encode_url(url)) == url
    assert matcher.match("http://unknown/y.mp4") is None


def test_url_matcher_accepts_form_encoding_of_spaces():
    matcher = UrlMatcher(["http://h/a b.mp4"])
    assert matcher.match("http%3A%2F%2Fh%2Fa+b.mp4") == "http://h/a b.mp4"


# -- job ID batches ------------------------------------------------------------------------------------------


def test_job_batch_maps_canceled_and_non_exists_and_leaves_the_rest_unresolved():
    batch = Batch("job_ids", ("a", "b", "c", "d"), ("a", "b", "c", "d"))
    decided, unresolved = decide_job_batch(batch, canceled=["a"], non_exists=["c"])
    assert [row(d) for d in decided] == [("a", "CANCELED", ("a",), "", ""), ("c", "NOT_FOUND", (), "", "")]
    assert unresolved == ["b", "d"]


def test_unresolved_job_ids_are_decided_by_their_status():
    infos = [
        JobInfo("b", "http://h/b", "PROCESSING"),
        JobInfo("d", "http://h/d", "canceled"),
        JobInfo("e", "http://h/e", "CANCELLED"),
    ]
    decided = decide_jobs_from_infos(["b", "d", "e", "f"], infos)
    assert [row(d) for d in decided] == [
        ("b", "NOT_CANCELLABLE", (), "b", "PROCESSING"),
        ("d", "CANCELED", ("d",), "", ""),
        ("e", "CANCELED", ("e",), "", ""),
        ("f", "NOT_FOUND", (), "", ""),
    ]


# -- URL batches ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["sent", "decoded"])
def test_url_non_exists_match_in_either_form_and_report_the_item_as_given(form):
    batch = url_batch(*ODD_URLS)
    echoed = [encode_url(u) if form == "sent" else u for u in ODD_URLS[:2]]
    decided, remaining = decide_url_batch(batch, canceled=[], non_exists=echoed)
    assert [(d.item, d.kind.name, d.is_url) for d in decided] == [
        (f"given:{ODD_URLS[0]}", "NOT_FOUND", True),
        (f"given:{ODD_URLS[1]}", "NOT_FOUND", True),
    ]
    assert remaining == list(ODD_URLS[2:])


def test_no_infos_needed_when_every_url_is_unknown():
    batch = url_batch("http://h/1", "http://h/2")
    decided, remaining = decide_url_batch(batch, [], ["http://h/1", encode_url("http://h/2")])
    assert remaining == [] and all(d.kind.name == "NOT_FOUND" for d in decided)


def test_single_remaining_url_owns_all_canceled_jobs_without_an_infos_call():
    batch = url_batch("http://h/1", "http://h/2")
    decided, remaining = decide_url_batch(batch, ["j1", "j2"], ["http://h/1"])
    assert remaining == []
    assert [row(d) for d in decided] == [
        ("given:http://h/1", "NOT_FOUND", (), "", ""),
        ("given:http://h/2", "CANCELED", ("j1", "j2"), "", ""),
    ]


def test_single_remaining_url_with_nothing_canceled_still_needs_infos():
    _, remaining = decide_url_batch(url_batch("http://h/1"), [], [])
    assert remaining == ["http://h/1"]


def test_urls_resolved_through_infos():
    urls = ["http://h/new", "http://h/old canceled", "http://h/started", "http://h/gone", "http://h/a,b"]
    batch = url_batch(*urls)
    infos = [
        JobInfo("j1", encode_url("http://h/new"), "CANCELED", "2026-01-02T00:00:00Z"),
        JobInfo("j0", "http://h/old canceled", "CANCELED", "2026-01-01T00:00:00Z"),
        JobInfo("s1", "http://h/started", "SUCCESS", "2026-01-01T00:00:00Z"),
        JobInfo("s2", "http://h/started", "PROCESSING", "2026-01-03T00:00:00Z"),
        JobInfo("c1", encode_url("http://h/a,b"), "CANCELED", "2026-01-03T00:00:00Z"),
        JobInfo("c2", "http://h/a,b", "CANCELED", "2026-01-03T00:00:00Z"),
    ]
    decided, unclaimed = decide_urls_from_infos(batch, urls, ["j1", "c1", "c2", "zz"], infos)
    assert [row(d) for d in decided] == [
        ("given:http://h/new", "CANCELED", ("j1",), "", ""),
        ("given:http://h/old canceled", "CANCELED", ("j0",), "", ""),  # cancelled earlier: converges
        ("given:http://h/started", "NOT_CANCELLABLE", (), "s2", "PROCESSING"),  # its latest job
        ("given:http://h/gone", "NOT_FOUND", (), "", ""),
        ("given:http://h/a,b", "CANCELED", ("c1", "c2"), "", ""),
    ]
    assert unclaimed == ["zz"]


def test_url_with_jobs_we_cancelled_reports_only_those_not_older_cancelled_ones():
    batch = url_batch("http://h/1")
    infos = [JobInfo("old", "http://h/1", "CANCELED"), JobInfo("new", "http://h/1", "CANCELED")]
    decided, _ = decide_urls_from_infos(batch, ["http://h/1"], ["new"], infos)
    assert decided[0].job_ids == ("new",)


def test_importing_the_vod_layer_does_not_import_the_sdk():
    # the bad-input path must not pay for the SDK imports
    code = (
        "import sys, lib.vod, lib.vodapi, lib.wiring, lib.clients, lib.retry, lib.ratelimit\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('alibabacloud_vod20170321', 'alibabacloud_tea_openapi', 'darabonba', 'Tea', 'requests')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_long_urls_are_batched_by_wire_size_and_an_oversized_one_goes_alone():
    long_urls = [f"http://h.example/{'%41' * 400}{i}.mp4" for i in range(10)]  # '%' is encoded twice
    huge = "http://h.example/" + "é" * 2000
    request = Req(upload_urls=tuple(Url(u, u) for u in [*long_urls, huge, "http://h/s.mp4"]))
    batches = list(iter_batches(request, max_query_chars=6000))
    assert [u for b in batches for u in b.keys] == [*long_urls, huge, "http://h/s.mp4"]
    for batch in batches:
        wire = sum(wire_length(u) + 3 for u in batch.keys)
        assert wire <= 6000 or len(batch.keys) == 1
    assert any(b.keys == (huge,) for b in batches)
    for url in [*ODD_URLS, huge, long_urls[0], "http://h/a b,c~_.-"]:
        assert wire_length(url) == len(quote_plus(encode_url(url)))  # what the SDK's urlencode produces


def test_never_sent_is_a_whole_batch_the_deadline_kept_from_vod():
    """Only a batch whose every item failed NOT_SENT counts as never sent (a manifest then leaves it to the next
    invocation); a timed-out answer, or a batch partly settled, was sent."""
    batch = Batch("job_ids", ("a", "b"), ("a", "b"), seq=1)
    assert never_sent(failed_outcomes(batch, "DeadlineExceeded", NOT_SENT))
    assert not never_sent(failed_outcomes(batch, "DeadlineExceeded", "no answer from VOD before the deadline"))
    assert not never_sent(failed_outcomes(batch, "ServiceUnavailable", NOT_SENT))
    assert not never_sent(
        [*failed_outcomes(batch, "DeadlineExceeded", NOT_SENT, ["a"]), ItemOutcome.canceled("b", is_url=False)]
    )
    assert not never_sent([])
