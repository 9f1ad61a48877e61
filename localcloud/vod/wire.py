"""VOD's wire format: the RPC parameters of a request, and the JSON or XML body of an answer.

Parameters: the legacy RPC style carries ``Action``, ``Version`` and everything else in the query, in an
``application/x-www-form-urlencoded`` POST body, or split between the two (the body wins); the V3 (ACS3) style
names the action and version in ``x-acs-action``/``x-acs-version`` headers.

Answers (VOD "Common parameters", doc-detail/44432): ``Format`` is ``JSON`` or ``XML`` (any case) and defaults to
XML. A V3 request carries no common parameters; it is answered after its ``Accept`` header, JSON by default
(tea-openapi sends ``accept: application/json``). XML is the OpenAPI gateway's shape: root ``<{Action}Response>``
(``<Error>`` for errors), the JSON fields as elements in order, a list as one repeated element per item (an item
that is an object holds its fields), an empty list as nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from werkzeug.wrappers import Request

from localcloud.core.render import compact_json, xml_elements

Format = Literal["JSON", "XML"]
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
XML_CONTENT_TYPE = "text/xml;charset=utf-8"  # the exact value tea-openapi looks for to parse an XML error
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Common RPC parameters (legacy signature): not API input, and left out of the call log.
COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "RegionId",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureType",
        "AccessKeyId",
        "SecurityToken",
        "BearerToken",
        "Signature",
    }
)


# -- request ---------------------------------------------------------------------------------------------
def rpc_parameters(request: Request) -> dict[str, str]:
    """Every parameter of the query and, if the body is a form, of the body (the body wins)."""
    params = dict(request.args.items())
    if request.mimetype == "application/x-www-form-urlencoded":
        request.get_data()  # cache the raw bytes: parsing the form would consume them, and signatures cover them
        params.update(request.form.items())
    return params


def action_name(request: Request) -> str | None:
    """V3 names the action in ``x-acs-action``; legacy RPC in the ``Action`` parameter."""
    return request.headers.get("x-acs-action") or rpc_parameters(request).get("Action")


def api_version(request: Request) -> str | None:
    return request.headers.get("x-acs-version") or rpc_parameters(request).get("Version")


def api_parameters(request: Request) -> dict[str, str]:
    """The API's own parameters: all of them but the common ones."""
    return {k: v for k, v in rpc_parameters(request).items() if k not in COMMON_PARAMS}


def response_format(request: Request) -> Format:
    """``Format`` if given (case-insensitive); else a V3 request's ``Accept``; else XML, the RPC default."""
    requested = rpc_parameters(request).get("Format", "").strip().upper()
    if requested in ("JSON", "XML"):
        return requested  # type: ignore[return-value]
    if "x-acs-action" in request.headers:
        accept = request.headers.get("Accept", "").lower()
        return "XML" if "xml" in accept and "json" not in accept else "JSON"
    return "XML"


# -- answers ---------------------------------------------------------------------------------------------
def render(root: str, body: dict[str, Any], fmt: Format) -> tuple[bytes, str]:
    """(payload, content type) of ``body`` as JSON, or as XML under ``root``."""
    if fmt == "JSON":
        return compact_json(body).encode("utf-8"), JSON_CONTENT_TYPE
    return f"{XML_DECLARATION}<{root}>{_xml_fields(body)}</{root}>".encode(), XML_CONTENT_TYPE


def _xml_fields(fields: dict[str, Any]) -> str:
    return "".join(_xml_value(name, value) for name, value in fields.items())


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml_value(name, item) for item in value)
    if isinstance(value, dict):
        return f"<{name}>{_xml_fields(value)}</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return xml_elements([(name, value)])
