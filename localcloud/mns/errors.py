"""MNS error codes: one class per code, with the real HTTP status.

Sources: the MNS error-code table (help doc 27501, "Error codes"), the API pages of each operation, and
responses recorded against the live service (salesforce/multicloudj WireMock mappings: ``MessageNotExist`` 404,
``Message not exist.``). Codes marked UNCONFIRMED in their docstring are our best guess; the README lists them.
"""

from __future__ import annotations

from typing import ClassVar


class MnsError(Exception):
    """Base of every MNS error: ``code`` and ``status`` are the wire values, ``message`` the human text."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(f"{self.code}: {self.message}")


class AccessDenied(MnsError):
    code, status = "AccessDenied", 403
    default_message = "The OwnerId that your Access Key Id associated to is forbidden for this operation."


class InvalidAccessKeyId(MnsError):
    code, status = "InvalidAccessKeyId", 403
    default_message = "The AccessKey Id you provided is not exist."


class InternalError(MnsError):
    code, status = "InternalError", 500
    default_message = "Internal error."


class InvalidAuthorizationHeader(MnsError):
    code, status = "InvalidAuthorizationHeader", 400
    default_message = "The Authorization header format is invalid."


class InvalidDateHeader(MnsError):
    code, status = "InvalidDateHeader", 400
    default_message = "The Date header format is invalid."


class InvalidArgument(MnsError):
    code, status = "InvalidArgument", 400
    default_message = "The XML you provided did not validate against our published schema."


class InvalidDigest(MnsError):
    # The real code is spelled "InvalidDegist" (sic) in the MNS error table.
    code, status = "InvalidDegist", 400
    default_message = "The Content-MD5 you specified is invalid."


class InvalidRequestURL(MnsError):
    code, status = "InvalidRequestURL", 400
    default_message = "Http request URL format invalid."


class InvalidQueryString(MnsError):
    code, status = "InvalidQueryString", 400
    default_message = "Http request URL contains invalid querystring item."


class MalformedXML(MnsError):
    code, status = "MalformedXML", 400
    default_message = "The XML you provided was not well-formed."


class MissingAuthorizationHeader(MnsError):
    code, status = "MissingAuthorizationHeader", 400
    default_message = "Authorization header is required."


class MissingDateHeader(MnsError):
    code, status = "MissingDateHeader", 400
    default_message = "Date header is required."


class MissingReceiptHandle(MnsError):
    code, status = "MissingReceiptHandle", 400
    default_message = "ReceiptHandle is required."


class MissingVisibilityTimeout(MnsError):
    code, status = "MissingVisibilityTimeout", 400
    default_message = "VisibilityTimeout is required."


class SignatureDoesNotMatch(MnsError):
    code, status = "SignatureDoesNotMatch", 403
    default_message = "The request signature we calculated does not match the signature you provided."


class TimeExpired(MnsError):
    code, status = "TimeExpired", 408
    default_message = "The http request you sent is expired."


class SecurityTokenExpired(MnsError):
    """UNCONFIRMED for MNS (name borrowed from OSS, which documents it)."""

    code, status = "SecurityTokenExpired", 403
    default_message = "The security token you provided has expired."


class InvalidSecurityToken(MnsError):
    """UNCONFIRMED for MNS."""

    code, status = "InvalidSecurityToken", 403
    default_message = "The security token you provided is invalid."


class QpsLimitExceeded(MnsError):
    """Throttling; the 403 status is UNCONFIRMED (the table lists the code without a status we could read)."""

    code, status = "QpsLimitExceeded", 403
    default_message = "The Qps of your request is greater than the limit."


class TopicNotExist(MnsError):
    code, status = "TopicNotExist", 404
    default_message = "The topic you provided does not exist."


class TopicAlreadyExist(MnsError):
    code, status = "TopicAlreadyExist", 409
    default_message = "The topic you created already exist."


class QueueNotExist(MnsError):
    code, status = "QueueNotExist", 404
    default_message = "The queue name you provided is not exist."


class QueueAlreadyExist(MnsError):
    code, status = "QueueAlreadyExist", 409
    default_message = "The queue you want to create already exist."


class SubscriptionNotExist(MnsError):
    code, status = "SubscriptionNotExist", 404
    default_message = "The subscription you provided does not exist."


class SubscriptionAlreadyExist(MnsError):
    code, status = "SubscriptionAlreadyExist", 409
    default_message = "The subscription you created already exist."


class MessageNotExist(MnsError):
    code, status = "MessageNotExist", 404
    default_message = "Message not exist."


class ReceiptHandleError(MnsError):
    """The 400 status is UNCONFIRMED (one third-party emulator answers 403)."""

    code, status = "ReceiptHandleError", 400
    default_message = "The receipt handle you provide is not valid."


CATALOGUE: dict[str, type[MnsError]] = {
    cls.code: cls
    for cls in (
        AccessDenied,
        InvalidAccessKeyId,
        InternalError,
        InvalidAuthorizationHeader,
        InvalidDateHeader,
        InvalidArgument,
        InvalidDigest,
        InvalidRequestURL,
        InvalidQueryString,
        MalformedXML,
        MissingAuthorizationHeader,
        MissingDateHeader,
        MissingReceiptHandle,
        MissingVisibilityTimeout,
        SignatureDoesNotMatch,
        TimeExpired,
        SecurityTokenExpired,
        InvalidSecurityToken,
        QpsLimitExceeded,
        TopicNotExist,
        TopicAlreadyExist,
        QueueNotExist,
        QueueAlreadyExist,
        SubscriptionNotExist,
        SubscriptionAlreadyExist,
        MessageNotExist,
        ReceiptHandleError,
    )
}
CATALOGUE["InternalServerError"] = InternalError

# AuthFailure.kind -> the MNS error a real endpoint answers with.
AUTH_FAILURES: dict[str, type[MnsError]] = {
    "missing": MissingAuthorizationHeader,
    "malformed": InvalidAuthorizationHeader,
    "unknown_key": InvalidAccessKeyId,
    "bad_signature": SignatureDoesNotMatch,
    "expired_token": SecurityTokenExpired,
    "invalid_token": InvalidSecurityToken,
    "missing_token": InvalidAccessKeyId,
    "stale_date": TimeExpired,
    "replayed_nonce": SignatureDoesNotMatch,
}


def error_for_code(code: str, message: str | None = None) -> MnsError:
    """An error instance for an injected fault code; unknown codes keep their name and answer 500."""
    cls = CATALOGUE.get(code)
    if cls is not None:
        return cls(message)
    unknown = type(code, (InternalError,), {"code": code})
    return unknown(message or "Injected fault.")
