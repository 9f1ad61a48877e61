"""FC's API error codes (body ``{"ErrorCode", "ErrorMessage"}``), one class per code.

Codes, statuses and message templates are FC's documented common errors (help.aliyun.com "Error codes",
FC 2.0 and 2023-03-30 API lists), except where a docstring says UNCONFIRMED. ``error_for_auth`` maps the
verifier's failure kinds onto them.
"""

from __future__ import annotations

from localcloud.auth.errors import AuthFailure


class FcApiError(Exception):
    """An FC API error: the HTTP status plus the JSON body's ErrorCode / ErrorMessage."""

    code = "InternalServerError"
    status = 500
    message = "an internal error has occurred. Please retry."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidArgument(FcApiError):
    code, status = "InvalidArgument", 400


class MissingRequiredHeader(FcApiError):
    code, status = "MissingRequiredHeader", 400


class PathNotSupported(FcApiError):
    code, status = "PathNotSupported", 400


class EntityTooLarge(FcApiError):
    code, status = "EntityTooLarge", 400


class AccessDenied(FcApiError):
    code, status = "AccessDenied", 403


class SignatureNotMatch(FcApiError):
    code, status = "SignatureNotMatch", 403
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your access key and signing method"
    )


class InvalidAccessKeyID(FcApiError):
    code, status = "InvalidAccessKeyID", 403


class RequestTimeTooSkewed(FcApiError):
    """UNCONFIRMED code name for FC (FC documents a 15-minute Date window and a 403, not the code)."""

    code, status = "RequestTimeTooSkewed", 403


class InvalidSecurityToken(FcApiError):
    """UNCONFIRMED code name for a missing, wrong or expired STS token on FC."""

    code, status = "InvalidSecurityToken", 403


class ServiceNotFound(FcApiError):
    code, status = "ServiceNotFound", 404


class FunctionNotFound(FcApiError):
    code, status = "FunctionNotFound", 404


class AliasNotFound(FcApiError):
    code, status = "AliasNotFound", 404


class HttpTriggerNotFound(FcApiError):
    """FC answers 404 (FcCommonError) for an HTTP request to a function without an HTTP trigger."""

    code, status = "TriggerNotFound", 404


class MethodNotAllowed(FcApiError):
    """HTTP-trigger method outside the trigger's ``methods``: 405 per the brief (FC 2.0's doc says 403)."""

    code, status = "MethodNotAllowed", 405


class RequestEntityTooLarge(FcApiError):
    """HTTP-trigger request body over the 32 MB limit."""

    code, status = "EntityTooLarge", 413


class ConcurrentUpdateError(FcApiError):
    code, status = "ConcurrentUpdateError", 409


class ResourceExhausted(FcApiError):
    code, status = "ResourceExhausted", 429


class ClientClosedRequest(FcApiError):
    code, status = "ClientClosedRequest", 499


class InternalServerError(FcApiError):
    code, status = "InternalServerError", 500


class ResourceThrottled(FcApiError):
    code, status = "ResourceThrottled", 503


CATALOGUE: dict[str, type[FcApiError]] = {}
for _cls in (
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
    HttpTriggerNotFound,
    MethodNotAllowed,
    RequestEntityTooLarge,
    ConcurrentUpdateError,
    ResourceExhausted,
    ClientClosedRequest,
    InternalServerError,
    ResourceThrottled,
):
    CATALOGUE.setdefault(_cls.code, _cls)


def error_for_code(code: str, message: str | None = None) -> FcApiError:
    """The error for an (injected) code; an unknown code answers 500 with that code (brief's fault rule)."""
    cls = CATALOGUE.get(code)
    if cls is not None:
        return cls(message or f"injected fault: {code}")
    error = FcApiError(message or f"injected fault: {code}")
    error.code = code
    return error


def error_for_auth(failure: AuthFailure) -> FcApiError:
    """Map a verifier failure to FC's code (missing/invalid Authorization is a 403 on FC)."""
    kind = failure.kind
    if kind == "missing":
        return AccessDenied(f"required HTTP header Authorization was not specified ({failure.detail})")
    if kind == "unknown_key":
        return InvalidAccessKeyID(f"invalid access key ID ({failure.detail})")
    if kind == "stale_date":
        return RequestTimeTooSkewed(f"the request time is too far from the server time ({failure.detail})")
    if kind in ("expired_token", "invalid_token", "missing_token"):
        return InvalidSecurityToken(f"invalid security token ({failure.detail})")
    return SignatureNotMatch(f"{SignatureNotMatch.message} ({failure.detail})")
