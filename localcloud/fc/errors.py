"""FC's API error codes: one class per code, and their table.

The 2016-08-15 API and the HTTP trigger carry them as ``{"ErrorCode", "ErrorMessage"}``, the 2023-03-30 API as
``{"Code", "Message", "RequestId"}`` (see :mod:`.wire`). Codes, statuses and message templates are FC's documented
common errors (help.aliyun.com "Error codes", FC 2.0 and 2023-03-30 API lists), except where a docstring says
UNCONFIRMED. The table maps the signature verifier's failure kinds onto them, with the verifier's explanation
appended to the message.
"""

from __future__ import annotations

from localcloud.core.errors import ErrorTable, ServiceError


class InvalidArgument(ServiceError):
    code, status = "InvalidArgument", 400
    message = "invalid argument"


class MissingRequiredHeader(ServiceError):
    code, status = "MissingRequiredHeader", 400
    message = "a required HTTP header was not specified"


class PathNotSupported(ServiceError):
    """FC's answer to a path or method it has no API for (the emulator's not-implemented answer too)."""

    code, status = "PathNotSupported", 400
    message = "the requested API path is not supported"


class EntityTooLarge(ServiceError):
    code, status = "EntityTooLarge", 400
    message = "payload size exceeds maximum allowed size"


class AccessDenied(ServiceError):
    code, status = "AccessDenied", 403
    message = "the caller is not authorized to perform this operation"


class MissingAuthorization(AccessDenied):
    """An unsigned request to the API: FC answers AccessDenied."""

    message = "required HTTP header Authorization was not specified"


class SignatureNotMatch(ServiceError):
    code, status = "SignatureNotMatch", 403
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your access key and signing method"
    )


class InvalidAccessKeyID(ServiceError):
    code, status = "InvalidAccessKeyID", 403
    message = "invalid access key ID"


class RequestTimeTooSkewed(ServiceError):
    """UNCONFIRMED code name for FC (FC documents a 15-minute Date window and a 403, not the code)."""

    code, status = "RequestTimeTooSkewed", 403
    message = "the request time is too far from the server time"


class InvalidSecurityToken(ServiceError):
    """UNCONFIRMED code name for a missing, wrong or expired STS token on FC."""

    code, status = "InvalidSecurityToken", 403
    message = "invalid security token"


class ServiceNotFound(ServiceError):
    code, status = "ServiceNotFound", 404
    message = "service does not exist"


class FunctionNotFound(ServiceError):
    code, status = "FunctionNotFound", 404
    message = "function does not exist"


class AliasNotFound(ServiceError):
    code, status = "AliasNotFound", 404
    message = "alias does not exist"


class TriggerNotFound(ServiceError):
    code, status = "TriggerNotFound", 404
    message = "trigger does not exist"


class HttpTriggerNotFound(TriggerNotFound):
    """FC answers 404 (FcCommonError) for an HTTP request to a function without an HTTP trigger."""


class AsyncConfigNotExists(ServiceError):
    """GetAsyncInvokeConfig of a function without one (FC 2021-04-06 error centre's code and template
    ``AsyncConfig for %s:%s does not exist.``; the 2023-03-30 API's is UNCONFIRMED)."""

    code, status = "AsyncConfigNotExists", 404
    message = "the async invoke config does not exist"


class MethodNotAllowed(ServiceError):
    """An HTTP-trigger method outside the trigger's ``methods``: 405, the HTTP meaning; FC 2.0's doc answers
    403 FcCommonError, and FC 3.0's answer is undocumented (UNCONFIRMED)."""

    code, status = "MethodNotAllowed", 405
    message = "method not allowed"


class RequestEntityTooLarge(ServiceError):
    """HTTP-trigger request body over the 32 MB limit."""

    code, status = "EntityTooLarge", 413
    message = "payload size exceeds maximum allowed size"


class ConcurrentUpdateError(ServiceError):
    code, status = "ConcurrentUpdateError", 409
    message = "concurrent update of the same resource"


class ResourceExhausted(ServiceError):
    code, status = "ResourceExhausted", 429
    message = "the concurrency limit was exceeded"


class ClientClosedRequest(ServiceError):
    code, status = "ClientClosedRequest", 499
    message = "the client closed the connection"


class InternalServerError(ServiceError):
    code, status = "InternalServerError", 500
    message = "an internal error has occurred. Please retry."


class ResourceThrottled(ServiceError):
    code, status = "ResourceThrottled", 503
    message = "the number of instances exceeds the limit"


ERRORS = ErrorTable(
    (
        InvalidArgument,
        MissingRequiredHeader,
        PathNotSupported,
        EntityTooLarge,  # before RequestEntityTooLarge: an injected "EntityTooLarge" is the API's 400
        AccessDenied,
        SignatureNotMatch,
        InvalidAccessKeyID,
        RequestTimeTooSkewed,
        InvalidSecurityToken,
        ServiceNotFound,
        FunctionNotFound,
        AliasNotFound,
        TriggerNotFound,
        AsyncConfigNotExists,
        MethodNotAllowed,
        RequestEntityTooLarge,
        ConcurrentUpdateError,
        ResourceExhausted,
        ClientClosedRequest,
        InternalServerError,
        ResourceThrottled,
    ),
    internal=InternalServerError,
    not_implemented=PathNotSupported,
    denied=AccessDenied,
    auth={
        "missing": MissingAuthorization,
        "malformed": SignatureNotMatch,
        "unknown_key": InvalidAccessKeyID,
        "bad_signature": SignatureNotMatch,
        "expired_token": InvalidSecurityToken,
        "invalid_token": InvalidSecurityToken,
        "missing_token": InvalidSecurityToken,
        "stale_date": RequestTimeTooSkewed,
        "replayed_nonce": SignatureNotMatch,
    },
    auth_detail=True,
)
