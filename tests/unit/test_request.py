"""Cancel-request parsing: JSON and text payloads, validation, dedupe, limits, and OSS manifest merging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.errors import BadRequestError, CancelError, ConfigurationError, MethodNotAllowedError
from lib.limits import MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS
from lib.request import (
    JOB_ID_FIELDS,
    UPLOAD_URL_FIELDS,
    CancelRequest,
    CancelRequestBuilder,
    RequestedItem,
    UploadUrl,
    parse_cancel_request,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]


def rejected(payload: bytes | str, **limits: int | None) -> BadRequestError:
    """The BadRequestError parsing ``payload`` raises."""
    with pytest.raises(BadRequestError) as caught:
        parse_cancel_request(payload, **limits)  # type: ignore[arg-type]
    return caught.value


def urls(request: CancelRequest) -> list[tuple[str, str]]:
    return [(upload_url.original, upload_url.url) for upload_url in request.upload_urls]


# ---------------------------------------------------------------- errors


def test_cancel_error_carries_code_and_message():
    """Errors expose a stable code and a human message, and str() shows both."""
    # GIVEN / WHEN an error is made
    error = BadRequestError("InvalidUrl", "line 2: not an http:// or https:// URL")
    # THEN code, message and text are as given
    assert (error.code, error.message) == ("InvalidUrl", "line 2: not an http:// or https:// URL")
    assert str(error) == "InvalidUrl: line 2: not an http:// or https:// URL"
    assert isinstance(error, CancelError) and isinstance(ConfigurationError("X", "y"), CancelError)


def test_http_status_follows_the_error_class():
    """The HTTP reply status: 405 for MethodNotAllowed, 400 for other bad requests, 500 for configuration."""
    # GIVEN three errors / WHEN their status is read / THEN it is 405, 400 and 500
    method = MethodNotAllowedError("use POST")
    assert (method.code, method.http_status) == ("MethodNotAllowed", 405) and isinstance(method, BadRequestError)
    assert BadRequestError("InvalidJson", "x").http_status == 400
    assert ConfigurationError("MissingSetting", "x").http_status == 500


def test_error_message_is_capped():
    """A message can never grow past 300 characters, whatever the caller passes."""
    # GIVEN a huge message / WHEN an error is made / THEN it is cut to 300 characters
    assert len(BadRequestError("InvalidPayload", "x" * 10_000).message) == 300


# ---------------------------------------------------------------- text payloads


def test_text_lines_are_classified_stripped_and_comments_skipped():
    """Text: one item per line, stripped; blank and # lines skipped; http(s):// lines are URLs."""
    # GIVEN a text payload with blanks, comments, indentation and mixed-case schemes
    payload = "  job-1  \n\n# a comment\n\t \nHTTP://example.com/a.mp4\nhttps://example.com/b.mp4\njob_2\n"
    # WHEN it is parsed
    request = parse_cancel_request(payload)
    # THEN job IDs and URLs keep their order and original text
    assert request.job_ids == ("job-1", "job_2")
    assert urls(request) == [
        ("HTTP://example.com/a.mp4", "HTTP://example.com/a.mp4"),
        ("https://example.com/b.mp4", "https://example.com/b.mp4"),
    ]
    assert request.item_count == 4


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_text_accepts_every_line_ending(newline):
    """LF, CRLF and lone CR all end a line."""
    # GIVEN two items separated by the line ending / WHEN parsed / THEN both are found
    assert parse_cancel_request(f"a{newline}b{newline}").job_ids == ("a", "b")


@pytest.mark.parametrize("payload", [b"\xef\xbb\xbfjob-1\n", "\ufeffjob-1\n", b'\xef\xbb\xbf  \n{"JobIds": ["job-1"]}'])
def test_utf8_bom_is_ignored(payload):
    """A UTF-8 BOM (bytes or decoded) before text or JSON is not part of the first item."""
    # GIVEN a payload with a BOM / WHEN parsed / THEN the job ID is clean
    assert parse_cancel_request(payload).job_ids == ("job-1",)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a,b.mp4",
        "http://example.com/my video.mp4",
        "http://example.com/a%20b.mp4?sig=x%2By",
        "http://example.com/a+b.mp4",
        "https://例え.jp/動画/ビデオ.mp4",
        "https://user:pw@example.com:8443/p;x?q=1&r=2#frag",
    ],
)
def test_text_url_kept_verbatim(url):
    """URLs with commas, spaces, % escapes, +, non-ASCII are accepted as given and sent unchanged."""
    # GIVEN a URL line / WHEN parsed / THEN the URL sent equals the text given
    assert urls(parse_cancel_request(url + "\n")) == [(url, url)]


def test_text_url_encoded_line_is_decoded_once():
    """A line in VOD's encoded form (http%3A//...) is decoded once; its original text is still reported."""
    # GIVEN an encoded URL whose path holds an encoded comma and a literal + / WHEN parsed
    request = parse_cancel_request("HTTPS%3A%2F%2Fexample.com%2Fa%2Cb+c.mp4\n")
    # THEN the URL to send is decoded once, + left alone
    assert urls(request) == [("HTTPS%3A%2F%2Fexample.com%2Fa%2Cb+c.mp4", "HTTPS://example.com/a,b+c.mp4")]


def test_text_duplicates_are_dropped_keeping_first_original():
    """Duplicate job IDs and URLs (same decoded URL) count once, first spelling kept."""
    # GIVEN repeats of a job ID and of one URL in plain and encoded form
    payload = "a\nhttp://h/x y\nb\na\nhttp%3A//h/x%20y\nhttp://h/x y\n"
    # WHEN parsed
    request = parse_cancel_request(payload)
    # THEN each appears once, in first-seen order, with the first original text
    assert request.job_ids == ("a", "b")
    assert urls(request) == [("http://h/x y", "http://h/x y")]


def test_text_error_names_line_number_counting_blank_and_comment_lines():
    """The position of a bad item is its physical line number."""
    # GIVEN a bad item on line 4 after a comment and a blank line / WHEN parsed
    error = rejected("good\n# note\n\nbad item\n")
    # THEN the error names line 4 and the item
    assert error.code == "InvalidJobId"
    assert "line 4" in error.message and "'bad item'" in error.message


# ---------------------------------------------------------------- JSON payloads


@pytest.mark.parametrize("field", JOB_ID_FIELDS)
def test_json_accepts_every_job_id_spelling(field):
    """Every accepted spelling of the job-ID field works, as a list and as a comma-separated string."""
    # GIVEN the field as a list and as a string / WHEN parsed / THEN both give the same IDs
    assert parse_cancel_request(json.dumps({field: ["a", "b"]})).job_ids == ("a", "b")
    assert parse_cancel_request(json.dumps({field: " a, b ,"})).job_ids == ("a", "b")


@pytest.mark.parametrize("field", UPLOAD_URL_FIELDS)
def test_json_accepts_every_upload_url_spelling(field):
    """Every accepted spelling of the upload-URL field works, as a list and as a comma-separated string."""
    # GIVEN the field as a list and as a string / WHEN parsed / THEN both give the same URLs
    expected = [("http://h/a", "http://h/a"), ("https://h/b", "https://h/b")]
    assert urls(parse_cancel_request(json.dumps({field: ["http://h/a", "https://h/b"]}))) == expected
    assert urls(parse_cancel_request(json.dumps({field: "http://h/a,https://h/b"}))) == expected


def test_json_both_fields_and_unknown_keys():
    """Job IDs and URLs may come together; unknown keys are ignored."""
    # GIVEN an object with both fields and an extra key / WHEN parsed
    request = parse_cancel_request('{"JobIds": ["j1"], "UploadUrls": ["http://h/a"], "Comment": {"x": [1]}}')
    # THEN both kinds are there
    assert request.job_ids == ("j1",) and urls(request) == [("http://h/a", "http://h/a")]
    assert list(request.items()) == [RequestedItem("j1", False), RequestedItem("http://h/a", True)]


def test_json_list_urls_keep_commas_spaces_plus_and_non_ascii():
    """In list form a URL is taken whole: commas, spaces, %, + and non-ASCII stay as given."""
    # GIVEN URLs that would break a comma-separated string
    given_urls = ["http://h/a,b.mp4", "http://h/a b.mp4", "http://h/%E4%B8%AD+x.mp4", "http://h/中文.mp4"]
    # WHEN parsed / THEN each URL is sent exactly as given
    assert urls(parse_cancel_request(json.dumps({"UploadUrls": given_urls}))) == [(u, u) for u in given_urls]


def test_json_comma_string_decodes_encoded_urls_and_reports_original():
    """Comma-string form: http%3A/https%3A items (any case) are decoded once; others are taken as is."""
    # GIVEN VOD-style encoded URLs (one with an encoded comma, one with an encoded space) and a plain one
    payload = json.dumps({"UploadUrls": "http%3A//h/a%2Cb.mp4, HTTPS%3a%2F%2Fh%2Fc%20d.mp4,http://h/e+f.mp4"})
    # WHEN parsed
    request = parse_cancel_request(payload)
    # THEN encoded items are decoded for sending, originals kept for reporting, + never becomes a space
    assert urls(request) == [
        ("http%3A//h/a%2Cb.mp4", "http://h/a,b.mp4"),
        ("HTTPS%3a%2F%2Fh%2Fc%20d.mp4", "HTTPS://h/c d.mp4"),
        ("http://h/e+f.mp4", "http://h/e+f.mp4"),
    ]


def test_json_urls_dedupe_on_decoded_url():
    """A URL given plain and URL-encoded counts once; the first original text is kept."""
    # GIVEN the same URL in plain and encoded form, in the list and comma-string forms
    payload = json.dumps({"UploadUrls": "http://a/x y,http%3A//a/x%20y,http%3A%2F%2Fa%2Fx%20y"})
    # WHEN parsed / THEN only the first spelling remains
    assert urls(parse_cancel_request(payload)) == [("http://a/x y", "http://a/x y")]


def test_json_repeated_keys_elsewhere_are_ignored():
    """Only a repeated cancel field is refused; repeats inside ignored keys do not matter."""
    # GIVEN an ignored key whose object repeats a key / WHEN parsed / THEN the request is fine
    payload = '{"JobIds": ["a"], "Meta": {"JobIds": 1, "JobIds": 2}, "x": 1, "x": 2}'
    assert parse_cancel_request(payload).job_ids == ("a",)


def test_a_url_with_percent_20_and_with_a_space_is_one_item_either_way_round():
    """A plain URL with %20 and the same URL with a space name one file: one item, reported as first written.
    Only http%3A items are decoded before sending; a literal %20 is sent as written."""
    # GIVEN a plain URL with %20 and an encoded URL decoding to a space, in both orders / WHEN parsed
    forward = parse_cancel_request(json.dumps({"UploadUrls": ["http://a/x%20y", "http%3A//a/x%20y"]}))
    backward = parse_cancel_request(json.dumps({"UploadUrls": ["http%3A//a/x%20y", "http://a/x%20y", "http://A/x y"]}))
    # THEN each is one item: the first one given, sent as written (decoded once if URL-encoded whole)
    assert urls(forward) == [("http://a/x%20y", "http://a/x%20y")]
    assert urls(backward) == [("http%3A//a/x%20y", "http://a/x y")]


def test_reserved_characters_and_their_encodings_stay_different_items():
    """%2C is not a comma and %2F is not a slash (RFC 3986 2.2): those URLs stay distinct items."""
    # GIVEN URLs differing only in a reserved character or its percent-encoding / WHEN parsed
    request = parse_cancel_request("http://a/x,y\nhttp://a/x%2Cy\nhttp://a/x/y\nhttp://a/x%2fy\nhttp://a/x%2Fy\n")
    # THEN four items (the two spellings of %2F are one)
    assert [original for original, _ in urls(request)] == [
        "http://a/x,y",
        "http://a/x%2Cy",
        "http://a/x/y",
        "http://a/x%2fy",
    ]


def test_json_comma_split_url_error_hints_at_encoding():
    """A comma-string URL containing a comma splits; the error says to URL-encode such URLs."""
    # GIVEN an unencoded URL with a comma in the string form / WHEN parsed
    error = rejected('{"UploadUrls": "http://h/a,b.mp4"}')
    # THEN the second piece is rejected with its position and a hint
    assert error.code == "InvalidUrl"
    assert "UploadUrls item 2" in error.message and "URL-encode" in error.message and "'b.mp4'" in error.message


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ('{"JobIds": 5}', "JobIds must be a list of strings or a comma-separated string, got a JSON number"),
        ('{"JobIds": null}', "got a JSON null"),
        ('{"UploadUrls": {"a": 1}}', "got a JSON object"),
        ('{"JobIds": true}', "got a JSON boolean"),
        ('{"JobIds": ["a", ["b"]]}', "JobIds[1] must be a string, got a JSON array"),
        ('{"UploadUrls": ["http://h/a", null]}', "UploadUrls[1] must be a string, got a JSON null"),
        ('{"JobIds": ["a", 7]}', "JobIds[1] must be a string, got a JSON number"),
        ('["a", "b"]', "expected a JSON object with JobIds and/or UploadUrls, got a JSON array"),
        ('{"Ids": ["a"]}', "has neither JobIds/JobIDs/jobIds/job_ids nor UploadUrls"),
        ('{"JobIds": ["a"], "jobIds": ["b"]}', "fields JobIds and jobIds mean the same"),
        ('{"UploadUrls": [], "URLs": []}', "fields UploadUrls and URLs mean the same"),
        ('{"JobIds": ["a"], "JobIds": ["b"]}', "field JobIds appears more than once"),
    ],
)
def test_json_wrong_shapes_are_invalid_payload(payload, fragment):
    """Wrong JSON shapes (types, non-string items, no object, no field, field twice) are InvalidPayload."""
    # GIVEN a JSON payload of the wrong shape / WHEN parsed
    error = rejected(payload)
    # THEN the error is InvalidPayload and names the field and position
    assert error.code == "InvalidPayload"
    assert fragment in error.message


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ('{"JobIds": ["a",]}', "line 1 column"),
        ("  {\n  'JobIds': []}", "line 2 column 3"),
        ('{"JobIds": ["a"]} trailing', "Extra data"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"JobIds": [' + "9" * 5000 + "]}", "number too long"),
    ],
)
def test_json_unreadable_is_invalid_json(payload, fragment):
    """Syntax errors, deep nesting and huge numbers are InvalidJson, never a crash."""
    # GIVEN JSON that cannot be read / WHEN parsed / THEN InvalidJson says why (and where)
    error = rejected(payload)
    assert error.code == "InvalidJson" and fragment in error.message


@pytest.mark.parametrize(
    "payload", ["", "   \n\n", "# only comments\n\n#x", '{"JobIds": []}', '{"JobIds": "", "URLs": " , "}']
)
def test_nothing_requested_is_empty_request(payload):
    """A payload naming no item at all is EmptyRequest."""
    # GIVEN an empty payload / WHEN parsed / THEN EmptyRequest
    assert rejected(payload).code == "EmptyRequest"


# ---------------------------------------------------------------- item validation


def test_job_id_length_bounds():
    """Job IDs are 1-64 characters: 64 passes, 65 is rejected."""
    # GIVEN 64- and 65-character IDs / WHEN parsed / THEN only the longer fails
    assert parse_cancel_request("a" * 64).job_ids == ("a" * 64,)
    error = rejected(json.dumps({"JobIds": ["ok", "b" * 65]}))
    assert error.code == "InvalidJobId" and "JobIds[1]" in error.message and "longer than 64" in error.message


@pytest.mark.parametrize("job_id", ["a.b", "a/b", "ä", "a b", "a\x00", "id,2"])
def test_job_id_characters(job_id):
    """Job IDs may only hold A-Z a-z 0-9 _ -."""
    # GIVEN an ID with another character / WHEN parsed as a JSON item / THEN InvalidJobId
    assert rejected(json.dumps({"JobIds": [job_id]})).code == "InvalidJobId"


def test_text_line_with_other_scheme_is_explained():
    """A text line like ftp://... is neither a job ID nor an accepted URL, and the error says so."""
    # GIVEN an ftp URL line / WHEN parsed / THEN InvalidJobId with an explanation
    error = rejected("ftp://h/a.mp4")
    assert error.code == "InvalidJobId" and "neither a job ID nor an http:// or https:// URL" in error.message


def test_url_under_job_ids_gets_a_hint():
    """A URL put under JobIds is rejected with a hint to use UploadUrls."""
    # GIVEN a URL in JobIds / WHEN parsed / THEN the message points to UploadUrls
    error = rejected('{"JobIds": ["http://h/a"]}')
    assert error.code == "InvalidJobId" and "UploadUrls" in error.message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://h/a", "not an http:// or https:// URL"),
        ("h/a.mp4", "not an http:// or https:// URL"),
        ("http:///a.mp4", "no host"),
        ("http://[::1/a", "cannot be parsed"),
        ("http://h/a\x00b", "U+0000"),
        ("http://h/a\nb", "U+000A"),
        ("http://h/a\x7fb", "U+007F"),
        ("http://h/a\x85b", "U+0085"),
        ("http://h/a\x9fb", "U+009F"),
        (" http://h/a", "leading or trailing whitespace"),
        ("http://h/a\u3000", "leading or trailing whitespace"),
        ("http://h/" + "a" * 2040, "longer than 2048"),
    ],
)
def test_invalid_urls(url, fragment):
    """Other schemes, no host, control characters, edge whitespace, over-long URLs are InvalidUrl."""
    # GIVEN a bad URL as a JSON list item / WHEN parsed / THEN InvalidUrl explains the problem
    error = rejected(json.dumps({"UploadUrls": ["http://h/ok", url]}))
    assert error.code == "InvalidUrl"
    assert fragment in error.message and "UploadUrls[1]" in error.message


def test_url_of_2048_chars_is_accepted():
    """2048 characters is the longest URL allowed."""
    # GIVEN a URL of exactly 2048 characters / WHEN parsed / THEN accepted
    url = "http://h/" + "a" * (2048 - 9)
    assert len(url) == 2048 and urls(parse_cancel_request(url)) == [(url, url)]


def test_lone_surrogate_from_json_escape_is_invalid_url():
    """A \\ud800 JSON escape cannot be sent to VOD (not UTF-8), so it is InvalidUrl, not a crash later."""
    # GIVEN a URL with a lone surrogate escape / WHEN parsed / THEN InvalidUrl naming U+D800
    error = rejected('{"UploadUrls": ["http://h/\\ud800.mp4"]}')
    assert error.code == "InvalidUrl" and "U+D800" in error.message


def test_encoded_url_that_is_not_utf8_once_decoded():
    """An encoded URL whose escapes are not UTF-8 is InvalidUrl (decoding must not invent U+FFFD)."""
    # GIVEN http%3A//h/%FF / WHEN parsed / THEN InvalidUrl
    assert rejected('{"UploadUrls": "http%3A//h/%FF"}').code == "InvalidUrl"


def test_error_message_escapes_control_characters_and_truncates_item():
    """The item in a message is repr-escaped (control characters visible) and cut to about 200 characters."""
    # GIVEN a very long bad line with a control character at the start / WHEN parsed
    error = rejected("http://h/\x01" + "x" * 5000)
    # THEN the message shows \x01, is short, and says the item's full length
    assert "\\x01" in error.message and "\x01" not in error.message
    assert len(error.message) <= 300 and "(5010 chars)" in error.message


# ---------------------------------------------------------------- encoding and limits


def test_invalid_utf8_is_invalid_encoding_with_position():
    """Bytes that are not UTF-8 are InvalidEncoding, with the offset and line."""
    # GIVEN invalid UTF-8 on line 2 / WHEN parsed / THEN the error names offset 4 and line 2
    error = rejected(b"abc\n\xff\xfe\n")
    assert error.code == "InvalidEncoding" and "offset 4" in error.message and "line 2" in error.message


def test_item_limit_counts_distinct_items():
    """max_items bounds distinct items: the limit passes, one more is TooManyItems, repeats are free."""
    # GIVEN the default limit of items plus repeats
    ids = [f"job{i}" for i in range(MAX_REQUEST_ITEMS)]
    # WHEN parsed / THEN the limit passes even with repeats, one more fails
    assert parse_cancel_request("\n".join(ids + ids[:50])).item_count == MAX_REQUEST_ITEMS
    error = rejected("\n".join([*ids, "http://h/one-more"]))
    assert error.code == "TooManyItems" and "10000" in error.message


def test_item_limit_can_be_lifted():
    """max_items=None (OSS manifests) has no item limit."""
    # GIVEN more items than the request limit / WHEN parsed without a limit / THEN all are kept
    payload = "\n".join(f"j{i}" for i in range(MAX_REQUEST_ITEMS + 5))
    assert parse_cancel_request(payload, max_items=None).item_count == MAX_REQUEST_ITEMS + 5


def test_payload_size_limit_in_utf8_bytes():
    """The byte limit applies to bytes and to text measured in UTF-8, before any parsing."""
    # GIVEN payloads of exactly and just over the limit (text made of 3-byte characters)
    limit = 30
    ok_bytes = b"a" * limit
    over_text = "#" + "中" * 10  # 31 UTF-8 bytes, 11 characters
    # WHEN parsed / THEN only the oversize ones are PayloadTooLarge
    assert parse_cancel_request(ok_bytes, max_bytes=limit).job_ids == ("a" * limit,)
    assert rejected(ok_bytes + b"\n", max_bytes=limit).code == "PayloadTooLarge"
    assert rejected(over_text, max_bytes=limit).code == "PayloadTooLarge"
    assert rejected(b"x" * (MAX_REQUEST_BYTES + 1)).code == "PayloadTooLarge"


# ---------------------------------------------------------------- manifests (builder)


def test_builder_merges_manifests_with_dedupe_across_them():
    """Several manifests (text and JSON) merge into one request, duplicates across them counted once."""
    # GIVEN two text manifests and a JSON one sharing items
    builder = CancelRequestBuilder()
    builder.add_text_lines(["a", "http://h/x y", "b"], "oss://bkt/one.txt")
    builder.add_text_lines([b"\xef\xbb\xbfb\r\n", b"c\n", b"http%3A//h/x%20y\n"], "oss://bkt/two.txt")
    builder.add_json({"JobIds": ["c", "d"], "UploadUrls": ["http://h/z"]}, "oss://bkt/three.json")
    # WHEN built
    request = builder.build()
    # THEN every item appears once in first-seen order
    assert request.job_ids == ("a", "b", "c", "d")
    assert urls(request) == [("http://h/x y", "http://h/x y"), ("http://h/z", "http://h/z")]


def test_builder_errors_name_the_manifest_and_line():
    """An invalid manifest line names its source and its line within that source."""
    # GIVEN a second manifest with a bad line 3
    builder = CancelRequestBuilder()
    builder.add_text_lines(["a", "b"], "oss://bkt/one.txt")
    with pytest.raises(BadRequestError) as caught:
        builder.add_text_lines(["c", "", "http:///x"], "oss://bkt/two.txt")
    # THEN the message starts with the source and line
    assert caught.value.code == "InvalidUrl"
    assert caught.value.message.startswith("oss://bkt/two.txt line 3: URL has no host")


def test_builder_invalid_bytes_line():
    """A manifest line that is not UTF-8 is InvalidEncoding naming the line."""
    # GIVEN a bytes line with invalid UTF-8 / WHEN added / THEN InvalidEncoding at line 2
    with pytest.raises(BadRequestError) as caught:
        CancelRequestBuilder().add_text_lines([b"a", b"\xc3("], "m.txt")
    assert caught.value.code == "InvalidEncoding" and "m.txt line 2" in caught.value.message


def test_builder_json_manifest_errors_name_the_source():
    """A JSON manifest of the wrong shape names the manifest in its error."""
    # GIVEN a JSON array manifest / WHEN added / THEN InvalidPayload with the source
    with pytest.raises(BadRequestError) as caught:
        CancelRequestBuilder().add_json([1, 2], "oss://bkt/m.json")
    assert caught.value.code == "InvalidPayload" and caught.value.message.startswith("oss://bkt/m.json ")


def test_builder_limit_applies_across_manifests():
    """max_items counts distinct items across every manifest added."""
    # GIVEN a builder limited to 3 items
    builder = CancelRequestBuilder(max_items=3)
    builder.add_text_lines(["a", "b"], "one")
    # WHEN a second manifest brings a repeat and two new items / THEN the fourth distinct item is too many
    with pytest.raises(BadRequestError) as caught:
        builder.add_text_lines(["a", "c", "d"], "two")
    assert caught.value.code == "TooManyItems"


def test_builder_with_nothing_added_is_empty_request():
    """Manifests holding only comments make an EmptyRequest."""
    # GIVEN only comments / WHEN built / THEN EmptyRequest
    builder = CancelRequestBuilder()
    builder.add_text_lines(["# nothing", ""], "m")
    with pytest.raises(BadRequestError) as caught:
        builder.build()
    assert caught.value.code == "EmptyRequest"


def test_builder_streams_a_100k_line_manifest():
    """A 100,000-line manifest is consumed one line at a time from a generator (its speed: bench/memory.py)."""

    # GIVEN a generator of 100,000 lines (half URLs), never materialised as one text
    def lines():
        for i in range(100_000):
            yield f"https://cdn.example.com/videos/{i}.mp4\n" if i % 2 else f"job-{i:08d}\n"

    builder = CancelRequestBuilder()
    # WHEN added
    builder.add_text_lines(lines(), "oss://bkt/big.txt")
    request = builder.build()
    # THEN all distinct items are there
    assert len(request.job_ids) == 50_000 and len(request.upload_urls) == 50_000


# ---------------------------------------------------------------- purity


def test_pure_modules_import_no_sdk():
    """The domain modules import only the stdlib, so bad input is rejected without SDK import cost."""
    # GIVEN a fresh interpreter / WHEN the pure modules are imported
    code = (
        "import sys; import lib.errors, lib.request, lib.envelopes, lib.outcome, lib.documents, lib.decisions; "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('alibabacloud_vod20170321','alibabacloud_tea_openapi','Tea','darabonba','mns','oss2',"
        "'alibabacloud_oss_v2','fc2','requests','urllib3','lib'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    # THEN no SDK module (nor any other lib module) was loaded
    assert out.stdout.strip().split(",") == [
        "lib",
        "lib.batches",
        "lib.decisions",
        "lib.documents",
        "lib.envelopes",
        "lib.envelopes.base",
        "lib.envelopes.continuation",
        "lib.envelopes.http",
        "lib.envelopes.mns",
        "lib.envelopes.oss",
        "lib.errors",
        "lib.handoff",
        "lib.items",
        "lib.limits",
        "lib.manifest",
        "lib.objects",
        "lib.outcome",
        "lib.request",
        "lib.urls",
    ]


# ---------------------------------------------------------------- properties

_json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_field_names = st.sampled_from([*JOB_ID_FIELDS, *UPLOAD_URL_FIELDS, "Other"])
_item_text = st.text(max_size=30) | st.sampled_from(["http://h/a", "https%3A//h/b%2Cc", "job-1", "http://", ""])


def _assert_parses_or_rejects(payload: bytes | str) -> None:
    try:
        request = parse_cancel_request(payload, max_items=50, max_bytes=4096)
    except BadRequestError as error:
        assert error.code and len(error.message) <= 300
    else:
        assert 0 < request.item_count <= 50
        for upload_url in request.upload_urls:
            upload_url.url.encode("utf-8")  # every URL is sendable


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(payload):
    """Random bytes either parse or raise BadRequestError, nothing else."""
    # GIVEN / WHEN random bytes are parsed / THEN the outcome is a request or a bad request
    _assert_parses_or_rejects(payload)


@settings(max_examples=300)
@given(st.lists(_item_text, max_size=8).map("\n".join))
def test_random_text_never_crashes(payload):
    """Random text lines either parse or raise BadRequestError, nothing else."""
    # GIVEN / WHEN random lines are parsed / THEN the outcome is a request or a bad request
    _assert_parses_or_rejects(payload)


@settings(max_examples=300)
@given(_json | st.dictionaries(_field_names, _json | st.lists(_item_text, max_size=4) | _item_text, max_size=3))
def test_random_json_never_crashes(document):
    """Random JSON (any shape, accepted field names included) either parses or raises BadRequestError."""
    # GIVEN / WHEN random JSON is parsed / THEN the outcome is a request or a bad request
    _assert_parses_or_rejects(json.dumps(document))


@settings(max_examples=200)
@given(st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), min_size=1, max_size=20))
def test_valid_job_ids_round_trip_deduplicated(job_ids):
    """Valid job IDs in any form come back once each, in first-seen order."""
    # GIVEN valid IDs (maybe repeated) / WHEN parsed as text, list and comma string
    expected = tuple(dict.fromkeys(job_ids))
    # THEN all three forms agree with the deduplicated input
    assert parse_cancel_request("\n".join(job_ids)).job_ids == expected
    assert parse_cancel_request(json.dumps({"JobIds": job_ids})).job_ids == expected
    assert parse_cancel_request(json.dumps({"job_ids": ",".join(job_ids)})).job_ids == expected


def test_upload_url_is_a_value():
    """UploadUrl and CancelRequest are immutable values (safe to share between threads)."""
    # GIVEN a request / WHEN a field is assigned / THEN it refuses
    request = CancelRequest(("a",), (UploadUrl("http%3A//h/a", "http://h/a"),))
    with pytest.raises(AttributeError):
        request.job_ids = ()  # type: ignore[misc]
    assert request.item_count == 2


# ---------------------------------------------------------------- comma-separated lists where one item is expected


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("job-1,job-2,job-3", "InvalidJobId"),
        ("a1b2c3d4e5f60718293a4b5c6d7e8f90, e5f60718293a4b5c6d7e8f90a1b2c3d4", "InvalidJobId"),
        ("job-1\njob-2,https://h/a.mp4\n", "InvalidJobId"),
        ("job-1,", "InvalidJobId"),
        ("https://h/a.mp4,https://h/b.mp4", "InvalidUrl"),
        ("https://h/a.mp4, HTTP://h/b.mp4", "InvalidUrl"),
    ],
)
def test_a_text_line_that_is_a_comma_separated_list_says_one_item_per_line(payload, code):
    """A text line holding several items joined by commas is refused with what to do instead."""
    # GIVEN a text payload with a comma-separated line / WHEN parsed
    error = rejected(payload)
    # THEN the error names the line, says it is a list, and says: one item per line, or JSON
    assert error.code == code
    assert "comma-separated list" in error.message and "one item per line" in error.message
    assert "JSON" in error.message and "line " in error.message


def test_a_json_list_entry_that_is_a_comma_separated_list_says_one_entry_each():
    """In a JSON list, an entry holding several items says to give each its own entry."""
    # GIVEN list entries joined by commas / WHEN parsed / THEN each says so
    error = rejected(json.dumps({"JobIds": ["job-1", "job-2,job-3"]}))
    assert error.code == "InvalidJobId" and "JobIds[1]" in error.message and "own entry" in error.message
    error = rejected(json.dumps({"UploadUrls": ["https://h/a.mp4,https://h/b.mp4"]}))
    assert error.code == "InvalidUrl" and "comma-separated list" in error.message


@pytest.mark.parametrize("line", ["https://h/clip,take2.mp4", "https://h/a, b.mp4", "http%3A//h/x%2Chttp%3A//y"])
def test_a_url_with_commas_is_still_one_url(line):
    """Commas inside a URL are fine on a text line; only a comma followed by another URL makes a list."""
    # GIVEN a URL containing commas / WHEN parsed / THEN it is one URL item
    assert parse_cancel_request(line).item_count == 1


def test_ids_with_an_invalid_piece_keep_the_plain_job_id_message():
    """A line with a comma but pieces that are not items is an ordinary invalid job ID."""
    # GIVEN a line that is not a list of items / WHEN parsed / THEN the usual message
    error = rejected("bad id, x")
    assert error.code == "InvalidJobId" and "comma-separated" not in error.message
