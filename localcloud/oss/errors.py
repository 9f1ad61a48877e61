"""OSS error codes: one class per code, with the real HTTP status and, where known, the EC diagnostic code.

Sources: the OSS error-code pages (help.aliyun.com "OSS error codes", the 0002-xxxxxxxx EC pages for STS
problems), oss2's ``exceptions._OSS_ERROR_TO_EXCEPTION`` (the (status, code) pairs the SDK special-cases), and a
user report of a live ``SecurityTokenExpired`` 403 with EC 0002-00000007. Codes marked UNCONFIRMED in their
docstring are best guesses; the README lists them.
"""

from __future__ import annotations

from typing import ClassVar


class OssError(Exception):
    """Base of every OSS error; ``details`` become extra XML children (e.g. Key, BucketName)."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "We encountered an internal error. Please try again."
    ec: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **details: str) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(f"{self.code}: {self.message}")


class AccessDenied(OssError):
    code, status = "AccessDenied", 403
    default_message = "You have no right to access this object because of bucket acl."


class BucketAlreadyExists(OssError):
    code, status = "BucketAlreadyExists", 409
    default_message = (
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
        "Please select a different name and try again."
    )


class BucketNotEmpty(OssError):
    code, status = "BucketNotEmpty", 409
    default_message = "The bucket you tried to delete is not empty."


class FileAlreadyExists(OssError):
    code, status = "FileAlreadyExists", 409
    default_message = "The object you specified already exists and can not be overwritten."


class InvalidArgument(OssError):
    code, status = "InvalidArgument", 400
    default_message = "Invalid argument."


class InvalidBucketName(OssError):
    code, status = "InvalidBucketName", 400
    default_message = "The specified bucket is not valid."


class InvalidObjectName(OssError):
    code, status = "InvalidObjectName", 400
    default_message = "The Length of Object name must be less than 1023."


class InvalidDigest(OssError):
    code, status = "InvalidDigest", 400
    default_message = "The Content-MD5 you specified is not valid."


class EntityTooSmall(OssError):
    code, status = "EntityTooSmall", 400
    default_message = "Your proposed upload is smaller than the minimum allowed size."


class InvalidPart(OssError):
    code, status = "InvalidPart", 400
    default_message = (
        "One or more of the specified parts could not be found or the specified entity tag might not have "
        "matched the part's entity tag."
    )


class InvalidPartOrder(OssError):
    code, status = "InvalidPartOrder", 400
    default_message = "The list of parts was not in ascending order. Parts list must specified in order by part number."


class InvalidRange(OssError):
    code, status = "InvalidRange", 416
    default_message = "The requested range cannot be satisfied"


class MalformedXML(OssError):
    code, status = "MalformedXML", 400
    default_message = "The XML you provided was not well-formed or did not validate against our published schema."


class MethodNotAllowed(OssError):
    code, status = "MethodNotAllowed", 405
    default_message = "The specified method is not allowed against this resource."


class NotImplementedOss(OssError):
    """400, not S3's 501: oss2's exception table pairs NotImplemented with 400."""

    code, status = "NotImplemented", 400
    default_message = "A header or query you provided implies functionality that is not implemented."


class PreconditionFailed(OssError):
    code, status = "PreconditionFailed", 412
    default_message = "At least one of the pre-conditions you specified did not hold."


class NoSuchBucket(OssError):
    code, status = "NoSuchBucket", 404
    default_message = "The specified bucket does not exist."


class NoSuchKey(OssError):
    code, status, ec = "NoSuchKey", 404, "0026-00000001"
    default_message = "The specified key does not exist."


class NoSuchUpload(OssError):
    code, status = "NoSuchUpload", 404
    default_message = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed."
    )


class InvalidAccessKeyId(OssError):
    code, status = "InvalidAccessKeyId", 403
    default_message = "The OSS Access Key Id you provided does not exist in our records."


class MissingSecurityToken(InvalidAccessKeyId):
    """An STS AccessKey without its token: OSS answers InvalidAccessKeyId (EC 0002-00000003)."""

    ec = "0002-00000003"


class SignatureDoesNotMatch(OssError):
    code, status = "SignatureDoesNotMatch", 403
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )


class RequestTimeTooSkewed(OssError):
    code, status = "RequestTimeTooSkewed", 403
    default_message = "The difference between the request time and the current time is too large."


class SecurityTokenExpired(OssError):
    code, status, ec = "SecurityTokenExpired", 403, "0002-00000007"
    default_message = "The security token you provided has expired."


class InvalidSecurityToken(OssError):
    """The name is UNCONFIRMED; the EC 0002-00000008 page documents the condition ("token is invalid")."""

    code, status, ec = "InvalidSecurityToken", 403, "0002-00000008"
    default_message = "The security token you provided is invalid."


class InternalError(OssError):
    code, status = "InternalError", 500


class ServiceUnavailable(OssError):
    code, status = "ServiceUnavailable", 503
    default_message = "Please reduce your request rate."


CATALOGUE: dict[str, type[OssError]] = {
    cls.code: cls
    for cls in (
        AccessDenied,
        BucketAlreadyExists,
        BucketNotEmpty,
        FileAlreadyExists,
        EntityTooSmall,
        InvalidArgument,
        InvalidBucketName,
        InvalidObjectName,
        InvalidDigest,
        InvalidPart,
        InvalidPartOrder,
        InvalidRange,
        MalformedXML,
        MethodNotAllowed,
        NotImplementedOss,
        PreconditionFailed,
        NoSuchBucket,
        NoSuchKey,
        NoSuchUpload,
        InvalidAccessKeyId,
        SignatureDoesNotMatch,
        RequestTimeTooSkewed,
        SecurityTokenExpired,
        InvalidSecurityToken,
        InternalError,
        ServiceUnavailable,
    )
}

# AuthFailure.kind -> the OSS error a real endpoint answers with.
AUTH_FAILURES: dict[str, type[OssError]] = {
    "missing": AccessDenied,
    "malformed": InvalidArgument,
    "unknown_key": InvalidAccessKeyId,
    "bad_signature": SignatureDoesNotMatch,
    "expired_token": SecurityTokenExpired,
    "invalid_token": InvalidSecurityToken,
    "missing_token": MissingSecurityToken,
    "stale_date": RequestTimeTooSkewed,
    "replayed_nonce": AccessDenied,
}


def error_for_code(code: str, message: str | None = None) -> OssError:
    """An error instance for an injected fault code; unknown codes keep their name and answer 500."""
    cls = CATALOGUE.get(code)
    if cls is not None:
        return cls(message)
    unknown = type(code, (InternalError,), {"code": code})
    return unknown(message or "Injected fault.")
