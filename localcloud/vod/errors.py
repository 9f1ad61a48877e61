"""VOD / OpenAPI-gateway error catalogue: one class per error code, with the real message and HTTP status.

Sources: VOD common errors (help doc 52841: MissingParameter, InvalidParameter, Forbidden, InternalError,
ServiceUnavailable), the OpenAPI gateway's public error list (help doc 48054/53438 and error-center "Public":
InvalidApi.NotFound 404, InvalidTimeStamp.Expired, SignatureNonceUsed, SignatureDoesNotMatch, Throttling.User,
InvalidSecurityToken.*, MissingSecurityToken, IncompleteSignature) and SDK issue threads (InvalidVersion,
InvalidAction.NotFound). Unconfirmed: the HTTP status of InvalidAccessKeyId.NotFound (docs say 400, SDK
error traces show 404; we use 404), the status of InvalidVersion (400 assumed), the message of
InvalidAction.NotFound (taken from InvalidApi.NotFound), which STS error a bad token gets (we use .Malformed),
and the code for an unparsable signature (we use IncompleteSignature; a missing one is MissingParameter, as
the gateway's public list says for a missing AccessKeyId/Signature/Timestamp).
"""

from __future__ import annotations

from typing import ClassVar


class VodError(Exception):
    """An error the service answers with: ``{"RequestId","HostId","Code","Message","Recommend"}`` + status."""

    code: ClassVar[str] = "InternalError"
    message: ClassVar[str] = "The request processing has failed due to some unknown error."
    status: ClassVar[int] = 500

    def __init__(self, message: str | None = None) -> None:
        self.text = message or self.message
        super().__init__(self.text)


class MissingParameter(VodError):
    code = "MissingParameter"
    message = "The input parameter that is mandatory for processing this request is not supplied."
    status = 400

    @classmethod
    def named(cls, name: str) -> MissingParameter:
        text = f'The input parameter "{name}" that is mandatory for processing this request is not supplied.'
        return cls(text)


class InvalidParameter(VodError):
    code = "InvalidParameter"
    message = "The specified parameter is not valid."
    status = 400

    @classmethod
    def named(cls, name: str, why: str = "") -> InvalidParameter:
        suffix = f" {why}" if why else ""
        return cls(f'The specified parameter "{name}" is not valid.{suffix}')


class Forbidden(VodError):
    code = "Forbidden"
    message = "User not authorized to operate on the specified resource."
    status = 403


class Throttling(VodError):
    code = "Throttling"
    message = "Request was denied due to request throttling."
    status = 400


class ThrottlingUser(VodError):
    code = "Throttling.User"
    message = "Request was denied due to user flow control."
    status = 400


class ThrottlingApi(VodError):
    code = "Throttling.Api"
    message = "Request was denied due to api flow control."
    status = 400


class ServiceUnavailable(VodError):
    code = "ServiceUnavailable"
    message = "The request has failed due to a temporary failure of the server."
    status = 503


class InternalError(VodError):
    code = "InternalError"
    message = "The request processing has failed due to some unknown error."
    status = 500


class InvalidActionNotFound(VodError):
    code = "InvalidAction.NotFound"
    message = "Specified api is not found, please check your url and method."
    status = 404


class InvalidVersion(VodError):
    code = "InvalidVersion"
    message = "Specified parameter Version is not valid."
    status = 400


class IncompleteSignature(VodError):
    code = "IncompleteSignature"
    message = "The request signature does not conform to Aliyun standards."
    status = 400


class SignatureDoesNotMatch(VodError):
    code = "SignatureDoesNotMatch"
    message = "Specified signature is not matched with our calculation."
    status = 400


class InvalidAccessKeyIdNotFound(VodError):
    code = "InvalidAccessKeyId.NotFound"
    message = "Specified access key is not found."
    status = 404


class InvalidTimeStampExpired(VodError):
    code = "InvalidTimeStamp.Expired"
    message = "Specified time stamp or date value is expired."
    status = 400


class SignatureNonceUsed(VodError):
    code = "SignatureNonceUsed"
    message = "Specified signature nonce was used already."
    status = 400


class InvalidSecurityTokenExpired(VodError):
    code = "InvalidSecurityToken.Expired"
    message = "Specified SecurityToken is expired."
    status = 400


class InvalidSecurityTokenMalformed(VodError):
    code = "InvalidSecurityToken.Malformed"
    message = "Specified SecurityToken is malformed."
    status = 400


class InvalidSecurityTokenMismatch(VodError):
    code = "InvalidSecurityToken.MismatchWithAccessKey"
    message = "Specified SecurityToken mismatch with the AccessKey."
    status = 400


class MissingSecurityToken(VodError):
    code = "MissingSecurityToken"
    message = "SecurityToken is mandatory for this action."
    status = 400


ERRORS_BY_CODE: dict[str, type[VodError]] = {
    cls.code: cls
    for cls in (
        MissingParameter,
        InvalidParameter,
        Forbidden,
        Throttling,
        ThrottlingUser,
        ThrottlingApi,
        ServiceUnavailable,
        InternalError,
        InvalidActionNotFound,
        InvalidVersion,
        IncompleteSignature,
        SignatureDoesNotMatch,
        InvalidAccessKeyIdNotFound,
        InvalidTimeStampExpired,
        SignatureNonceUsed,
        InvalidSecurityTokenExpired,
        InvalidSecurityTokenMalformed,
        InvalidSecurityTokenMismatch,
        MissingSecurityToken,
    )
}
# The VOD error page spells it "ServiceUnAvailable"; accept both spellings when a fault names it.
ERRORS_BY_CODE["ServiceUnAvailable"] = ServiceUnavailable

# localcloud.auth.AuthFailure.kind -> the gateway's error for it.
AUTH_FAILURES: dict[str, type[VodError]] = {
    "missing": MissingParameter,
    "malformed": IncompleteSignature,
    "unknown_key": InvalidAccessKeyIdNotFound,
    "bad_signature": SignatureDoesNotMatch,
    "expired_token": InvalidSecurityTokenExpired,
    "invalid_token": InvalidSecurityTokenMalformed,
    "missing_token": MissingSecurityToken,
    "stale_date": InvalidTimeStampExpired,
    "replayed_nonce": SignatureNonceUsed,
}


def error_for_code(code: str) -> VodError:
    """The error a fault rule names; an unknown code still answers with that code, as a 500."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is not None:
        return cls()
    return type("UnknownFaultError", (InternalError,), {"code": code})()


def error_for_auth_failure(kind: str) -> VodError:
    return AUTH_FAILURES.get(kind, SignatureDoesNotMatch)()
