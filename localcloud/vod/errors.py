"""VOD / OpenAPI-gateway errors: one class per error code, with the real message and HTTP status, and their table.

Sources: VOD common errors (help doc 52841: MissingParameter, InvalidParameter, Forbidden, InternalError,
ServiceUnAvailable), the OpenAPI gateway's public error list (help doc 48054/53438 and error-center "Public":
ServiceUnavailable, InvalidApi.NotFound 404, InvalidTimeStamp.Expired, SignatureNonceUsed, SignatureDoesNotMatch,
Throttling.User, InvalidSecurityToken.*, MissingSecurityToken, IncompleteSignature) and SDK issue threads
(InvalidVersion, InvalidAction.NotFound; SignatureDoesNotMatch's "server string to sign is:" message). Messages
are the gateway's exact texts, with no detail appended (the verifier's explanation goes to the log).
Unconfirmed: the HTTP status of InvalidAccessKeyId.NotFound (docs say 400, SDK error traces show 404; we use 404),
the status of InvalidVersion (400 assumed), the message of InvalidAction.NotFound (taken from InvalidApi.NotFound),
which STS error a bad token gets (we use .Malformed), and the code for an unparsable signature (we use
IncompleteSignature; a missing one is MissingParameter, as the gateway's public list says for a missing
AccessKeyId/Signature/Timestamp).
"""

from __future__ import annotations

from localcloud.core.errors import ErrorTable, ServiceError


class MissingParameter(ServiceError):
    code = "MissingParameter"
    message = "The input parameter that is mandatory for processing this request is not supplied."
    status = 400

    @classmethod
    def named(cls, name: str) -> MissingParameter:
        text = f'The input parameter "{name}" that is mandatory for processing this request is not supplied.'
        return cls(text)


class InvalidParameter(ServiceError):
    code = "InvalidParameter"
    message = "The specified parameter is not valid."
    status = 400

    @classmethod
    def named(cls, name: str, why: str = "") -> InvalidParameter:
        suffix = f" {why}" if why else ""
        return cls(f'The specified parameter "{name}" is not valid.{suffix}')


class Forbidden(ServiceError):
    code = "Forbidden"
    message = "User not authorized to operate on the specified resource."
    status = 403


class ForbiddenRam(ServiceError):
    """The OpenAPI gateway's answer when RAM does not allow the caller the action (its public error list)."""

    code = "Forbidden.RAM"
    message = "User not authorized to operate on the specified resource, or this API doesn't support RAM."
    status = 403


class Throttling(ServiceError):
    code = "Throttling"
    message = "Request was denied due to request throttling."
    status = 400


class ThrottlingUser(ServiceError):
    code = "Throttling.User"
    message = "Request was denied due to user flow control."
    status = 400


class ThrottlingApi(ServiceError):
    code = "Throttling.Api"
    message = "Request was denied due to api flow control."
    status = 400


class ServiceUnAvailable(ServiceError):
    """VOD's own spelling (its error-code table); the gateway's is :class:`ServiceUnavailable`."""

    code = "ServiceUnAvailable"
    message = "The request has failed due to a temporary failure of the server."
    status = 503


class ServiceUnavailable(ServiceError):
    """The OpenAPI gateway's spelling of the same 503."""

    code = "ServiceUnavailable"
    message = "The request has failed due to a temporary failure of the server."
    status = 503


class InternalError(ServiceError):
    code = "InternalError"
    message = "The request processing has failed due to some unknown error."
    status = 500


class InvalidActionNotFound(ServiceError):
    code = "InvalidAction.NotFound"
    message = "Specified api is not found, please check your url and method."
    status = 404


class InvalidVersion(ServiceError):
    code = "InvalidVersion"
    message = "Specified parameter Version is not valid."
    status = 400


class IncompleteSignature(ServiceError):
    code = "IncompleteSignature"
    message = "The request signature does not conform to Aliyun standards."
    status = 400


class SignatureDoesNotMatch(ServiceError):
    code = "SignatureDoesNotMatch"
    message = "Specified signature is not matched with our calculation."
    status = 400

    @classmethod
    def echoing(cls, string_to_sign: str) -> SignatureDoesNotMatch:
        """The gateway's message, which ends with its string-to-sign after a single ``:`` (aliyun-python-sdk-core
        splits the message on ``:`` and compares the second part with its own string-to-sign)."""
        return cls(f"{cls.message} server string to sign is:{string_to_sign}")


class InvalidAccessKeyIdNotFound(ServiceError):
    code = "InvalidAccessKeyId.NotFound"
    message = "Specified access key is not found."
    status = 404


class InvalidTimeStampExpired(ServiceError):
    code = "InvalidTimeStamp.Expired"
    message = "Specified time stamp or date value is expired."
    status = 400


class SignatureNonceUsed(ServiceError):
    code = "SignatureNonceUsed"
    message = "Specified signature nonce was used already."
    status = 400


class InvalidSecurityTokenExpired(ServiceError):
    code = "InvalidSecurityToken.Expired"
    message = "Specified SecurityToken is expired."
    status = 400


class InvalidSecurityTokenMalformed(ServiceError):
    code = "InvalidSecurityToken.Malformed"
    message = "Specified SecurityToken is malformed."
    status = 400


class InvalidSecurityTokenMismatch(ServiceError):
    code = "InvalidSecurityToken.MismatchWithAccessKey"
    message = "Specified SecurityToken mismatch with the AccessKey."
    status = 400


class MissingSecurityToken(ServiceError):
    code = "MissingSecurityToken"
    message = "SecurityToken is mandatory for this action."
    status = 400


class InvalidApiNotFound(ServiceError):
    """A path or method the gateway has no API for."""

    code = "InvalidApi.NotFound"
    message = "Specified api is not found, please check your url and method."
    status = 404


ERRORS = ErrorTable(
    (
        MissingParameter,
        InvalidParameter,
        Forbidden,
        ForbiddenRam,
        Throttling,
        ThrottlingUser,
        ThrottlingApi,
        ServiceUnAvailable,
        ServiceUnavailable,
        InternalError,
        InvalidActionNotFound,
        InvalidApiNotFound,
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
    ),
    internal=InternalError,
    not_implemented=InvalidApiNotFound,
    unknown_action=InvalidActionNotFound,
    denied=ForbiddenRam,
    auth={
        "missing": MissingParameter,
        "malformed": IncompleteSignature,
        "unknown_key": InvalidAccessKeyIdNotFound,
        "bad_signature": SignatureDoesNotMatch,
        "expired_token": InvalidSecurityTokenExpired,
        "invalid_token": InvalidSecurityTokenMalformed,
        "missing_token": MissingSecurityToken,
        "stale_date": InvalidTimeStampExpired,
        "replayed_nonce": SignatureNonceUsed,
    },
)
