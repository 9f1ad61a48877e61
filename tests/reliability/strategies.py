"""Hypothesis strategies for bad input: each draws a :class:`BadCase` that is invalid *by construction* and knows
the error code(s) the function must answer with, plus "anything at all" strategies for crash hunting.

The expected codes come from the documented rules (README "Sending a cancel request" and "Limits"), not from the
function's parser, so a parser bug shows up as a mismatch instead of being copied into the oracle.
"""

from __future__ import annotations

import base64
import binascii
import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MAX_ITEMS = 10_000
JOB_ID_FIELDS = ("JobIds", "JobIDs", "jobIds", "job_ids")
URL_FIELDS = ("UploadUrls", "UploadURLs", "uploadUrls", "upload_urls", "URLs")
JOB_ALPHABET = string.ascii_letters + string.digits + "_-"
EXTRA_KEYS = ("note", "Priority", "callback", "requestedBy")


@dataclass(frozen=True)
class BadCase:
    """A request payload that must be refused, the codes that may refuse it, and what makes it bad."""

    payload: bytes
    codes: frozenset[str]
    label: str

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep them readable
        head = self.payload[:160]
        more = f"…(+{len(self.payload) - 160} bytes)" if len(self.payload) > 160 else ""
        return f"BadCase({self.label}, codes={sorted(self.codes)}, payload={head!r}{more})"


def _case(payload: str | bytes, codes: str | set[str], label: str) -> BadCase:
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    return BadCase(data, frozenset({codes} if isinstance(codes, str) else codes), label)


def _dumps(document: Any, draw: Any) -> str:
    return json.dumps(document, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))


# -- valid building blocks -------------------------------------------------------------------------------------
job_ids = st.text(JOB_ALPHABET, min_size=1, max_size=64)
hosts = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True)
url_paths = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n\r,"), max_size=40
)  # spaces, %, +, non-ASCII all allowed; commas left out so the comma-string form stays unambiguous
valid_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}.mp4",
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    hosts,
    url_paths,
)


@st.composite
def valid_documents(draw: Any) -> dict[str, Any]:
    """A valid JSON request: JobIds and/or UploadUrls (any accepted spelling), at least one item."""
    ids = draw(st.lists(job_ids, max_size=6))
    urls = draw(st.lists(valid_urls, max_size=4, min_size=0 if ids else 1))
    document: dict[str, Any] = {}
    if ids:
        document[draw(st.sampled_from(JOB_ID_FIELDS))] = ids
    if urls:
        document[draw(st.sampled_from(URL_FIELDS))] = urls
    return document


def _insert(draw: Any, items: list[Any], bad: Any) -> list[Any]:
    position = draw(st.integers(0, len(items)))
    return [*items[:position], bad, *items[position:]]


# -- invalid by construction -------------------------------------------------------------------------------------
@st.composite
def invalid_utf8(draw: Any) -> BadCase:
    bad = draw(st.sampled_from([b"\xff", b"\xfe", b"\xc0\xaf", b"\xe6\x98", b"\xed\xa0\x80", b"\x80"]))
    before = draw(st.binary(max_size=200))
    after = draw(st.binary(max_size=200))
    # A lead byte at the end of ``before`` could be completed by ``bad`` (b"\xc2" + b"\x80" is U+0080), and an
    # incomplete ``bad`` by ``after``: newlines on both sides keep ``bad`` invalid on its own.
    return _case(before + b"\n" + bad + b"\n" + after, "InvalidEncoding", "invalid UTF-8")


@st.composite
def truncated_json(draw: Any) -> BadCase:
    text = _dumps(draw(valid_documents()), draw)
    cut = draw(st.integers(1, len(text) - 1))
    return _case(text[:cut], "InvalidJson", "truncated JSON")


@st.composite
def deeply_nested(draw: Any) -> BadCase:
    depth = draw(st.one_of(st.integers(1, 50), st.integers(900, 1200), st.integers(5_000, 100_000)))
    shape = draw(st.sampled_from(["array", "in-field", "objects"]))
    if shape == "array":
        text = "[" * depth + "]" * depth
    elif shape == "in-field":
        # one level more: {"JobIds": []} is merely empty
        field = draw(st.sampled_from(JOB_ID_FIELDS + URL_FIELDS))
        text = f'{{"{field}": ' + "[" * (depth + 1) + "]" * (depth + 1) + "}"
    else:
        text = '{"JobIds": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    return _case(text, {"InvalidJson", "InvalidPayload"}, f"nested {depth} deep ({shape})")


non_string_scalars = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def wrong_types(draw: Any) -> BadCase:
    """Every field, every wrong JSON type: the value itself, an item inside the list, or the document."""
    document = draw(valid_documents())
    variant = draw(st.sampled_from(["value", "item", "nested-list", "top-level", "two-spellings", "repeated-key"]))
    if variant == "top-level":
        return _case(
            json.dumps(draw(st.lists(st.one_of(job_ids, non_string_scalars), max_size=4))),
            "InvalidPayload",
            "array instead of object",
        )
    if variant == "two-spellings":
        names = draw(st.sampled_from([JOB_ID_FIELDS, URL_FIELDS]))
        first, second = draw(st.permutations(names))[:2]
        items = ["abc"] if names is JOB_ID_FIELDS else ["https://h.example/a.mp4"]
        return _case(json.dumps({first: items, second: items}), "InvalidPayload", f"{first} and {second}")
    if variant == "repeated-key":
        name = draw(st.sampled_from(JOB_ID_FIELDS + URL_FIELDS))
        return _case(f'{{"{name}": [], "{name}": []}}', "InvalidPayload", f"{name} twice")
    name = draw(st.sampled_from(JOB_ID_FIELDS + URL_FIELDS))
    valid = draw(st.lists(job_ids if name in JOB_ID_FIELDS else valid_urls, max_size=4))
    if variant == "value":
        value: Any = draw(non_string_scalars)
    elif variant == "item":
        value = _insert(draw, valid, draw(non_string_scalars))
    else:
        value = _insert(draw, valid, draw(st.lists(st.text(max_size=5), max_size=2)))
    for other in JOB_ID_FIELDS + URL_FIELDS:  # the wrong field replaces any spelling of itself
        if (other in JOB_ID_FIELDS) == (name in JOB_ID_FIELDS):
            document.pop(other, None)
    document[name] = value
    if draw(st.booleans()):
        document[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.text(max_size=10))
    return _case(json.dumps(document), "InvalidPayload", f"wrong type ({variant}) in {name}")


@st.composite
def empty_requests(draw: Any) -> BadCase:
    blank = st.lists(st.sampled_from([" ", "\t", "\n", "\r\n", "\u3000", "\u00a0"]), max_size=10).map("".join)
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return _case(draw(blank), "EmptyRequest", "blank")
    if choice == 1:
        comments = draw(
            st.lists(
                st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
                max_size=5,
            )
        )
        return _case(
            "\ufeff" * draw(st.booleans()) + "\n".join(f"# {c}" for c in comments), "EmptyRequest", "comments only"
        )
    if choice == 2:
        return _case("{}", "InvalidPayload", "empty object")
    if choice == 3:
        extras = {key: draw(st.text(max_size=5)) for key in draw(st.lists(st.sampled_from(EXTRA_KEYS), max_size=2))}
        return _case(json.dumps(extras), "InvalidPayload", "object with neither field")
    names = draw(st.lists(st.sampled_from(JOB_ID_FIELDS[:1] + URL_FIELDS[:1]), min_size=1, max_size=2, unique=True))
    empty = st.one_of(st.just([]), st.text(st.sampled_from(" ,"), max_size=8))
    return _case(json.dumps({name: draw(empty) for name in names}), "EmptyRequest", "empty lists")


@st.composite
def too_many_items(draw: Any) -> BadCase:
    count = draw(st.integers(MAX_ITEMS + 1, MAX_ITEMS + 50))
    urls = draw(st.booleans())
    items = [f"https://h.example/v/{i}.mp4" if urls else f"job-{i:05d}" for i in range(count)]
    form = draw(st.sampled_from(["list", "comma", "text"]))
    if form == "text":
        return _case("\n".join(items), "TooManyItems", f"{count} items as text")
    field = "UploadUrls" if urls else "JobIds"
    value: Any = items if form == "list" else ",".join(items)
    return _case(json.dumps({field: value}), "TooManyItems", f"{count} items ({form})")


_FORBIDDEN_ID_CHARS = st.characters(blacklist_characters=JOB_ALPHABET + "\r\n,", blacklist_categories=("Cs",))


@st.composite
def invalid_job_ids(draw: Any) -> BadCase:
    kind = draw(st.sampled_from(["char", "long", "url-in-ids", "unicode"]))
    if kind == "char":
        bad = draw(job_ids) + draw(_FORBIDDEN_ID_CHARS) + draw(job_ids)
    elif kind == "long":
        bad = draw(st.text(JOB_ALPHABET, min_size=65, max_size=300))
    elif kind == "unicode":
        bad = draw(job_ids) + draw(st.sampled_from(["é", "Ａ", "١", "\u200b", "\u202e", "\ufeff", "ß", "🎬"]))
    else:
        bad = draw(valid_urls)
    form = draw(st.sampled_from(["list", "comma", "text"]))
    if kind == "url-in-ids" and form == "text":
        form = "list"  # in a text payload a URL line is simply a URL
    valid = draw(st.lists(job_ids, max_size=5))
    items = _insert(draw, valid, bad)
    if form == "text":
        return _case("\n".join(items), "InvalidJobId", f"invalid job ID ({kind}, text)")
    value: Any = items if form == "list" else ", ".join(items)
    return _case(json.dumps({draw(st.sampled_from(JOB_ID_FIELDS)): value}), "InvalidJobId", f"invalid job ID ({kind})")


@st.composite
def invalid_urls(draw: Any) -> BadCase:
    kind = draw(st.sampled_from(["scheme", "no-host", "control", "surrogate", "long", "whitespace"]))
    host, path = draw(hosts), draw(url_paths)
    if kind == "scheme":
        scheme = draw(
            st.one_of(
                st.sampled_from(["ftp", "file", "rtmp", "ws", "data", "s3", "oss"]),
                st.from_regex(r"[a-z][a-z0-9+.-]{0,8}", fullmatch=True),
            )
        )
        if scheme.lower() in ("http", "https"):
            scheme = "gopher"
        bad = draw(
            st.sampled_from(
                [
                    f"{scheme}://{host}/{path}",
                    f"javascript:alert({len(path)})",
                    f"//{host}/a",
                    f"{host}/{path}.mp4",
                    f"http:/{host}/a",
                    "",
                ]
            )
        )
    elif kind == "no-host":
        bad = draw(st.sampled_from(["http://", "https:///path.mp4", "http://:80/a.mp4", "https://?q=1"]))
    elif kind == "control":
        control = draw(
            st.one_of(
                st.characters(min_codepoint=0, max_codepoint=0x1F),
                st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
            )
        )
        bad = f"https://{host}/{path}{control}x.mp4"
    elif kind == "surrogate":
        bad = f"https://{host}/{path}" + chr(draw(st.integers(0xD800, 0xDFFF))) + ".mp4"
    elif kind == "long":
        bad = f"https://{host}/" + "a" * draw(st.integers(2049, 4000))
    else:
        bad = draw(st.sampled_from([" ", "\t", "\u3000"])) + f"https://{host}/{path}.mp4"
    valid = draw(st.lists(valid_urls, max_size=4))
    items = _insert(draw, valid, bad)
    text = json.dumps(
        {draw(st.sampled_from(URL_FIELDS)): items}, ensure_ascii=kind == "surrogate" or draw(st.booleans())
    )
    return _case(text, "InvalidUrl", f"invalid URL ({kind})")


@st.composite
def non_url_lines(draw: Any) -> BadCase:
    """In a text payload a line that is not http(s):// is a job ID, so ``ftp://…`` is an invalid job ID."""
    scheme = draw(st.sampled_from(["ftp", "file", "rtmp", "s3", "oss", "mms"]))
    bad = f"{scheme}://{draw(hosts)}/{draw(url_paths)}.mp4"
    lines = _insert(draw, draw(st.lists(st.one_of(job_ids, valid_urls), max_size=5)), bad)
    return _case("\n".join(lines), "InvalidJobId", "non-http URL line")


def invalid_requests() -> st.SearchStrategy[BadCase]:
    """Every class of invalid HTTP / MNS request payload."""
    return st.one_of(
        invalid_utf8(),
        truncated_json(),
        deeply_nested(),
        wrong_types(),
        empty_requests(),
        too_many_items(),
        invalid_job_ids(),
        invalid_urls(),
        non_url_lines(),
    )


def invalid_manifests() -> st.SearchStrategy[BadCase]:
    """Invalid manifest contents (manifests have no item limit, so no TooManyItems)."""
    return st.one_of(
        invalid_utf8(),
        truncated_json(),
        deeply_nested(),
        wrong_types(),
        empty_requests(),
        invalid_job_ids(),
        invalid_urls(),
        non_url_lines(),
    )


# -- anything at all ---------------------------------------------------------------------------------------------
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(JOB_ID_FIELDS + URL_FIELDS), st.text(max_size=8)), children, max_size=4
        ),
    ),
    max_leaves=12,
)
arbitrary_payloads = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=600).map(lambda text: text.encode("utf-8", "surrogatepass")),
    json_values.map(lambda value: json.dumps(value).encode()),
)


# -- HTTP events the HTTP trigger could not produce, but a misbehaving gateway or test tool could -------------------
def _not_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return True
    return False


not_base64 = st.one_of(
    st.text(max_size=40).filter(_not_base64),
    st.sampled_from(["YQ=", "abc", "!!!!", "SGVsbG8=\n", "====", "a===", "eyJKb2JJZHMiOiBbXX0"]).filter(_not_base64),
)
