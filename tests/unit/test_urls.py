"""When two upload URLs are the same: RFC 3986 §6.2.2 keys, the other spellings of a URL, and what VOD's answers
are matched back to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.batches import Batch, encode_url, respelled
from lib.decisions import JobInfo, UrlMatcher, decide_urls_from_infos
from lib.urls import spellings, url_key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://h/e%20f.mp4", "https://h/e f.mp4"),  # a browser's copy and the typed name
        ("https://h/视频.mp4", "https://h/%E8%A7%86%E9%A2%91.mp4"),  # non-ASCII as UTF-8 octets
        ("https://h/%e8%a7%86.mp4", "https://h/%E8%A7%86.mp4"),  # hex digits in either case
        ("https://h/%7Euser/%41.mp4", "https://h/~user/A.mp4"),  # unreserved characters decoded
        ("HTTPS://Media.Example.COM/a.mp4", "https://media.example.com/a.mp4"),  # scheme and host case
        ("https://h/100%.mp4", "https://h/100%25.mp4"),  # a stray % is a literal %
        ("https://h/a.mp4?x=a b", "https://h/a.mp4?x=a%20b"),  # the query too
    ],
)
def test_spellings_of_one_url_share_a_key(first, second):
    # GIVEN two spellings of one URL WHEN keyed THEN the keys are equal
    assert url_key(first) == url_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://h/a,b.mp4", "https://h/a%2Cb.mp4"),  # reserved: a comma is not %2C
        ("https://h/a/b.mp4", "https://h/a%2Fb.mp4"),  # one path segment is not two
        ("https://h/a+b.mp4", "https://h/a%2Bb.mp4"),  # + is a space to form decoders, %2B is not
        ("https://h/a+b.mp4", "https://h/a b.mp4"),
        ("https://h/A.mp4", "https://h/a.mp4"),  # the path keeps its case
        ("https://h/a/../b.mp4", "https://h/b.mp4"),  # dot segments are not removed
        ("https://h/a%2541.mp4", "https://h/a%41.mp4"),  # an encoded % is a %, not the start of an octet
    ],
)
def test_different_urls_have_different_keys(first, second):
    # GIVEN two URLs a server may tell apart WHEN keyed THEN the keys differ
    assert url_key(first) != url_key(second)


def test_spellings_are_the_decoded_then_the_normal_form_and_never_the_url_itself():
    # GIVEN URLs written in various ways WHEN their other spellings are listed THEN decoded first, normal second
    assert spellings("https://h/e%20f.mp4") == ("https://h/e f.mp4",)
    assert spellings("https://h/e f.mp4") == ("https://h/e%20f.mp4",)
    assert spellings("https://H/e%20f.mp4") == ("https://h/e f.mp4", "https://h/e%20f.mp4")
    assert spellings("https://H/plain.mp4") == ("https://h/plain.mp4",)
    assert spellings("https://h/100%25+real.mp4") == ("https://h/100%+real.mp4",)
    assert spellings("https://h/a%2Cb.mp4") == ()  # reserved characters stay as written
    assert spellings("https://h/plain.mp4") == ()


_url_text = st.lists(
    st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from(["%", "/", "?", "#", ",", "+", " ", "%20", "%2f"]),
    max_size=30,
).map("".join)


@given(path=_url_text, host=st.sampled_from(["h.example", "H.Example", "127.0.0.1:8080"]))
def test_keys_are_normal_forms_and_spellings_share_them(path, host):
    """For any URL: its key is its own key, every other spelling has the same key, none is the URL itself."""
    # GIVEN any URL WHEN keyed and respelled
    url = f"https://{host}/{path}"
    key = url_key(url)
    # THEN the key is stable, and the spellings are distinct spellings of the same URL
    assert url_key(key) == key
    for spelling in spellings(url):
        assert spelling != url and url_key(spelling) == key


def test_answers_match_a_url_sent_in_another_spelling():
    # GIVEN URLs sent as written
    matcher = UrlMatcher(["https://h/e%20f.mp4", "https://h/a,b.mp4"])
    # WHEN VOD answers with the spelling it holds, as sent or decoded THEN the sent URL is found
    assert matcher.match("https://h/e f.mp4") == "https://h/e%20f.mp4"
    assert matcher.match(encode_url("https://h/e f.mp4")) == "https://h/e%20f.mp4"
    assert matcher.match("HTTPS://H/e%20f.mp4") == "https://h/e%20f.mp4"
    assert matcher.match("https://h/other.mp4") is None
    # ... and a URL sent as written is matched as written first: %2C and , are different URLs
    both = UrlMatcher(["https://h/a,b.mp4", "https://h/a%2Cb.mp4"])
    assert both.match("https://h/a%2Cb.mp4") == "https://h/a%2Cb.mp4"
    assert both.match("https://h/a,b.mp4") == "https://h/a,b.mp4"


def test_a_job_held_under_another_spelling_is_reported_for_the_item_as_written():
    # GIVEN a batch naming a URL as a browser copies it, and VOD holding its job under the typed spelling
    batch = Batch("urls", ("https://h/e%20f.mp4",), ("https://h/e%20f.mp4",))
    infos = [JobInfo("j1", "https://h/e f.mp4", "CANCELED")]
    # WHEN decided THEN the item, as written, owns the job
    (outcome,), unclaimed = decide_urls_from_infos(batch, list(batch.keys), ["j1"], infos)
    assert (outcome.item, outcome.kind.name, outcome.job_ids, unclaimed) == (
        "https://h/e%20f.mp4",
        "CANCELED",
        ("j1",),
        [],
    )


def test_respelled_batches_ask_only_about_items_not_found_that_have_another_spelling():
    # GIVEN a batch of four URLs, three of them unknown to VOD as sent
    items = ("https%3A//h/e%20f.mp4", "https://h/plain.mp4", "https://H/x%20y.mp4", "https://h/known%20k.mp4")
    keys = ("https://h/e f.mp4", "https://h/plain.mp4", "https://H/x%20y.mp4", "https://h/known%20k.mp4")
    batch = Batch("urls", items, keys)
    not_found = set(items[:3])
    # WHEN respelled THEN each unknown item with another spelling is asked about again, reported as written
    (first,) = respelled(batch, not_found, 0)
    assert list(zip(first.items, first.keys, strict=True)) == [
        ("https%3A//h/e%20f.mp4", "https://h/e%20f.mp4"),
        ("https://H/x%20y.mp4", "https://h/x y.mp4"),
    ]
    (second,) = respelled(batch, not_found, 1)
    assert list(zip(second.items, second.keys, strict=True)) == [("https://H/x%20y.mp4", "https://h/x%20y.mp4")]
    assert respelled(batch, not_found, 2) == []
