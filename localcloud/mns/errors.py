"""MNS error codes: one class per code, with the real HTTP status, and their table.

Sources: the MNS error-code table (help doc 27501, "Error codes"), the API pages of each operation, and
responses recorded against the live service (salesforce/multicloudj WireMock mappings: ``MessageNotExist`` 404,
``Message not exist.``). Codes marked UNCONFIRMED in their docstring are our best guess; the README lists them.
"""

from __future__ import annotations

from localcloud.core.errors import ErrorTable, ServiceError


class AccessDenied(ServiceError):
    code, status = "AccessDenied", 403
    message = "The OwnerId that your Access Key Id associated to is forbidden for this operation."


class InvalidAccessKeyId(ServiceError):
    code, status = "InvalidAccessKeyId", 403
    message = "The AccessKey Id you provided is not exist."


class InternalError(ServiceError):
    code, status = "InternalError", 500
    message = "Internal error."


class InvalidAuthorizationHeader(ServiceError):
    code, status = "InvalidAuthorizationHeader", 400
    message = "The Authorization header format is invalid."


class InvalidDateHeader(ServiceError):
    code, status = "InvalidDateHeader", 400
    message = "The Date header format is invalid."


class InvalidArgument(ServiceError):
    code, status = "InvalidArgument", 400
    message = "The XML you provided did not validate against our published schema."


class InvalidDigest(ServiceError):
    # The real code is spelled "InvalidDegist" (sic) in the MNS error table.
    code, status = "InvalidDegist", 400
    message = "The Content-MD5 you specified is invalid."


class InvalidRequestURL(ServiceError):
    code, status = "InvalidRequestURL", 400
    message = "Http request URL format invalid."


class InvalidQueryString(ServiceError):
    code, status = "InvalidQueryString", 400
    message = "Http request URL contains invalid querystring item."


class MalformedXML(ServiceError):
    code, status = "MalformedXML", 400
    message = "The XML you provided was not well-formed."


class MissingAuthorizationHeader(ServiceError):
    code, status = "MissingAuthorizationHeader", 400
    message = "Authorization header is required."


class MissingDateHeader(ServiceError):
    code, status = "MissingDateHeader", 400
    message = "Date header is required."


class MissingReceiptHandle(ServiceError):
    code, status = "MissingReceiptHandle", 400
    message = "ReceiptHandle is required."


class MissingVisibilityTimeout(ServiceError):
    code, status = "MissingVisibilityTimeout", 400
    message = "VisibilityTimeout is required."


class SignatureDoesNotMatch(ServiceError):
    code, status = "SignatureDoesNotMatch", 403
    message = "The request signature we calculated does not match the signature you provided."


class TimeExpired(ServiceError):
    code, status = "TimeExpired", 408
    message = "The http request you sent is expired."


class SecurityTokenExpired(ServiceError):
    """UNCONFIRMED for MNS (name borrowed from OSS, which documents it)."""

    code, status = "SecurityTokenExpired", 403
    message = "The security token you provided has expired."


class InvalidSecurityToken(ServiceError):
    """UNCONFIRMED for MNS."""

    code, status = "InvalidSecurityToken", 403
    message = "The security token you provided is invalid."


class QpsLimitExceeded(ServiceError):
    """Throttling; the 403 status is UNCONFIRMED (the table lists the code without a status we could read)."""

    code, status = "QpsLimitExceeded", 403
    message = "The Qps of your request is greater than the limit."


class TopicNotExist(ServiceError):
    code, status = "TopicNotExist", 404
    message = "The topic you provided does not exist."


class TopicAlreadyExist(ServiceError):
    """CreateTopic's own error table (409)."""

    code, status = "TopicAlreadyExist", 409
    message = "The topic you want to create is already exists."


class QueueNotExist(ServiceError):
    code, status = "QueueNotExist", 404
    message = "The queue name you provided is not exist."


class QueueAlreadyExist(ServiceError):
    """CreateQueue's own error table (409)."""

    code, status = "QueueAlreadyExist", 409
    message = "The queue you want to create is already exist."


class SubscriptionNotExist(ServiceError):
    code, status = "SubscriptionNotExist", 404
    message = "The subscription you provided does not exist."


class SubscriptionAlreadyExist(ServiceError):
    code, status = "SubscriptionAlreadyExist", 409
    message = "The subscription you created already exist."


class MessageNotExist(ServiceError):
    code, status = "MessageNotExist", 404
    message = "Message not exist."


class ReceiptHandleError(ServiceError):
    """The 400 status is UNCONFIRMED (one third-party emulator answers 403)."""

    code, status = "ReceiptHandleError", 400
    message = "The receipt handle you provide is not valid."


ERRORS = ErrorTable(
    (
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
    ),
    internal=InternalError,
    not_implemented=InvalidRequestURL,
    denied=AccessDenied,
    aliases={"InternalServerError": InternalError},
    auth={
        "missing": MissingAuthorizationHeader,
        "malformed": InvalidAuthorizationHeader,
        "unknown_key": InvalidAccessKeyId,
        "bad_signature": SignatureDoesNotMatch,
        "expired_token": SecurityTokenExpired,
        "invalid_token": InvalidSecurityToken,
        "missing_token": InvalidAccessKeyId,
        "stale_date": TimeExpired,
        "replayed_nonce": SignatureDoesNotMatch,
    },
)
