"""OSS's HTTP face: the level addressed (service, bucket, object), the method and the sub-resources name the action.

A sub-resource is a query parameter that selects an API (``?acl``, ``?uploads``, ``?uploadId``…): the ones OSS
clients sign (:data:`SUBRESOURCES`, from both SDKs' lists) minus those that only modify an action (``response-*``
overrides, the ListObjectsV2 ``continuation-token``, a ``security-token``). A request is routed only when its
level, method and exact set of sub-resources (plus ``x-oss-copy-source`` for the copy APIs) name an action this
emulator implements; anything else — an API it does not emulate, a sub-resource it does not know how to honour,
or a header asking for a feature it does not have (an upload callback) — is answered ``NotImplemented``, never
reinterpreted as another operation. A method no OSS API uses (e.g. PATCH) is ``MethodNotAllowed``.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from localcloud.auth.oss import OSS2_SUBRESOURCES, OSS_V2_SUBRESOURCES
from localcloud.core.gateway import Gateway
from localcloud.core.responses import Route, ServiceApp
from localcloud.oss import errors as e
from localcloud.oss.addressing import locate
from localcloud.oss.models import OssBackend
from localcloud.oss.responses import OssResponse

_MODIFIERS = frozenset(
    """response-cache-control response-content-disposition response-content-encoding response-content-language
    response-content-type response-expires continuation-token security-token""".split()  # noqa: SIM905
)
SUBRESOURCES = (OSS2_SUBRESOURCES | OSS_V2_SUBRESOURCES) - _MODIFIERS
COPY_SOURCE = "x-oss-copy-source"
"""The header that makes a PUT a CopyObject (or UploadPartCopy); routed as if it were a sub-resource."""
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"})

ROUTES: dict[tuple[str, str, frozenset[str]], str] = {
    ("service", "GET", frozenset()): "ListBuckets",
    ("bucket", "PUT", frozenset()): "PutBucket",
    ("bucket", "DELETE", frozenset()): "DeleteBucket",
    ("bucket", "GET", frozenset()): "ListObjects",
    ("bucket", "GET", frozenset({"location"})): "GetBucketLocation",
    ("bucket", "GET", frozenset({"acl"})): "GetBucketAcl",
    ("bucket", "PUT", frozenset({"acl"})): "PutBucketAcl",
    ("bucket", "GET", frozenset({"uploads"})): "ListMultipartUploads",
    ("bucket", "POST", frozenset({"delete"})): "DeleteMultipleObjects",
    ("object", "PUT", frozenset()): "PutObject",
    ("object", "PUT", frozenset({COPY_SOURCE})): "CopyObject",
    ("object", "GET", frozenset()): "GetObject",
    ("object", "HEAD", frozenset()): "HeadObject",
    ("object", "HEAD", frozenset({"objectMeta"})): "GetObjectMeta",
    ("object", "DELETE", frozenset()): "DeleteObject",
    ("object", "POST", frozenset({"append"})): "AppendObject",
    ("object", "POST", frozenset({"append", "position"})): "AppendObject",
    ("object", "GET", frozenset({"acl"})): "GetObjectAcl",
    ("object", "PUT", frozenset({"acl"})): "PutObjectAcl",
    ("object", "GET", frozenset({"tagging"})): "GetObjectTagging",
    ("object", "PUT", frozenset({"tagging"})): "PutObjectTagging",
    ("object", "DELETE", frozenset({"tagging"})): "DeleteObjectTagging",
    ("object", "PUT", frozenset({"symlink"})): "PutSymlink",
    ("object", "GET", frozenset({"symlink"})): "GetSymlink",
    ("object", "POST", frozenset({"uploads"})): "InitiateMultipartUpload",
    ("object", "PUT", frozenset({"uploadId", "partNumber"})): "UploadPart",
    ("object", "PUT", frozenset({"uploadId", "partNumber", COPY_SOURCE})): "UploadPartCopy",
    ("object", "POST", frozenset({"uploadId"})): "CompleteMultipartUpload",
    ("object", "DELETE", frozenset({"uploadId"})): "AbortMultipartUpload",
    ("object", "GET", frozenset({"uploadId"})): "ListParts",
}

RAM_ACTIONS = {
    "HeadObject": "GetObject",
    "GetObjectMeta": "GetObject",
    "ListObjectsV2": "ListObjects",
    "InitiateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
}
"""APIs whose RAM action is another's (OSS's RAM policy doc: reading metadata needs oss:GetObject; the multipart
steps of an upload need oss:PutObject)."""


NOT_EMULATED_HEADERS = frozenset({"x-oss-callback", "x-oss-callback-var"})
"""Headers that ask OSS to do more than the API does (call back a server after an upload): such requests are
refused, never served without the extra behaviour."""


def selectors(request: Request) -> frozenset[str]:
    """The sub-resources of the request (and the copy header), which together with level and method name the API."""
    names = {name for name in request.args if name in SUBRESOURCES}
    if COPY_SOURCE in request.headers:
        names.add(COPY_SOURCE)
    return frozenset(names)


def route(request: Request) -> Route | None:
    if request.method not in METHODS:
        raise e.MethodNotAllowed()
    if NOT_EMULATED_HEADERS.intersection(name.lower() for name, _ in request.headers.items()):
        return None
    bucket, key = locate(request)
    level = "object" if key else "bucket" if bucket else "service"
    action = ROUTES.get((level, request.method, selectors(request)))
    if action is None:
        return None
    if action == "ListObjects" and request.args.get("list-type") == "2":
        action = "ListObjectsV2"
    resource = f"{bucket}/{key}" if key else bucket or "*"
    return Route(action, resource, {"bucket": bucket, "key": key}, RAM_ACTIONS.get(action, ""))


def make_app(backend: OssBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(OssResponse, route, backend, gateway)
