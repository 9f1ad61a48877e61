"""OSS error codes: one class per code, with the real HTTP status and, where known, the EC diagnostic code.

The table at the end tells the request pipeline which error answers an injected fault, a failed signature
check, and a request for an API or sub-resource this emulator does not implement.

Sources: the OSS error-code pages (help.aliyun.com "OSS error codes", the 0002-xxxxxxxx EC pages for STS
problems), oss2's ``exceptions._OSS_ERROR_TO_EXCEPTION`` (the (status, code) pairs the SDK special-cases), and a
user report of a live ``SecurityTokenExpired`` 403 with EC 0002-00000007. Codes marked UNCONFIRMED in their
docstring are best guesses; the README lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.core.errors import ErrorTable, ServiceError


class OssError(ServiceError):
    """An OSS error: ``details`` become extra XML children (e.g. Key, BucketName); ``ec`` is OSS's diagnostic
    code (the ``<EC>`` element and ``x-oss-ec`` header), where known; ``headers`` are response headers some
    errors carry (PositionNotEqualToLength's ``x-oss-next-append-position``)."""

    message = "We encountered an internal error. Please try again."
    ec: str = ""

    def __init__(self, message: str | None = None, *, headers: Mapping[str, str] | None = None, **details: str):
        super().__init__(message, **details)
        self.headers = dict(headers or {})


class AccessDenied(OssError):
    code, status = "AccessDenied", 403
    message = "You have no right to access this object because of bucket acl."


class AccessDeniedByRam(AccessDenied):
    """No statement of the caller's RAM policy allows the request (EC 0003-00000202: the caller is not the owner
    and its RAM policies lack the permission). The message is UNCONFIRMED for this EC: it is OSS's usual one for a
    RAM user without the permission (EC page 0003-00000001)."""

    ec = "0003-00000202"


class ExplicitlyDeniedByRam(AccessDenied):
    """A Deny statement of the caller's RAM policy matches: EC 0003-00000201, with the message of that EC page's
    example response."""

    message = "Access denied by bucket policy."
    ec = "0003-00000201"


class BucketAlreadyExists(OssError):
    code, status = "BucketAlreadyExists", 409
    message = (
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
        "Please select a different name and try again."
    )


class BucketNotEmpty(OssError):
    code, status = "BucketNotEmpty", 409
    message = "The bucket you tried to delete is not empty."


class FileAlreadyExists(OssError):
    code, status = "FileAlreadyExists", 409
    message = "The object you specified already exists and can not be overwritten."


class InvalidArgument(OssError):
    code, status = "InvalidArgument", 400
    message = "Invalid argument."


class EncryptionNotAllowed(InvalidArgument):
    """An ``x-oss-server-side-encryption`` header on an operation that does not take one (EC page
    0005-00000002; oss2's SSE tests expect InvalidArgument for UploadPart and CompleteMultipartUpload)."""

    ec = "0005-00000002"
    message = "The x-oss-server-side-encryption header is not supported by this operation."


class InvalidBucketName(OssError):
    code, status = "InvalidBucketName", 400
    message = "The specified bucket is not valid."


class InvalidObjectName(OssError):
    code, status = "InvalidObjectName", 400
    message = "The Length of Object name must be less than 1023."


class InvalidDigest(OssError):
    code, status = "InvalidDigest", 400
    message = "The Content-MD5 you specified is not valid."


class EntityTooSmall(OssError):
    code, status = "EntityTooSmall", 400
    message = "Your proposed upload is smaller than the minimum allowed size."


class InvalidPart(OssError):
    code, status = "InvalidPart", 400
    message = (
        "One or more of the specified parts could not be found or the specified entity tag might not have "
        "matched the part's entity tag."
    )


class InvalidPartOrder(OssError):
    code, status = "InvalidPartOrder", 400
    message = "The list of parts was not in ascending order. Parts list must specified in order by part number."


class InvalidRange(OssError):
    code, status = "InvalidRange", 416
    message = "The requested range cannot be satisfied"


class MalformedXML(OssError):
    code, status = "MalformedXML", 400
    message = "The XML you provided was not well-formed or did not validate against our published schema."


class MethodNotAllowed(OssError):
    code, status = "MethodNotAllowed", 405
    message = "The specified method is not allowed against this resource."


class NotImplementedOss(OssError):
    """400, not S3's 501: oss2's exception table pairs NotImplemented with 400."""

    code, status = "NotImplemented", 400
    message = "A header or query you provided implies functionality that is not implemented."


class PreconditionFailed(OssError):
    code, status = "PreconditionFailed", 412
    message = "At least one of the pre-conditions you specified did not hold."


class NoSuchBucket(OssError):
    code, status = "NoSuchBucket", 404
    message = "The specified bucket does not exist."


class NoSuchKey(OssError):
    code, status, ec = "NoSuchKey", 404, "0026-00000001"
    message = "The specified key does not exist."


class NoSuchUpload(OssError):
    code, status = "NoSuchUpload", 404
    message = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed."
    )


class InvalidAccessKeyId(OssError):
    code, status = "InvalidAccessKeyId", 403
    message = "The OSS Access Key Id you provided does not exist in our records."


class MissingSecurityToken(InvalidAccessKeyId):
    """An STS AccessKey without its token: OSS answers InvalidAccessKeyId (EC 0002-00000003)."""

    ec = "0002-00000003"


class SignatureDoesNotMatch(OssError):
    code, status = "SignatureDoesNotMatch", 403
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )


class RequestTimeTooSkewed(OssError):
    code, status = "RequestTimeTooSkewed", 403
    message = "The difference between the request time and the current time is too large."


class SecurityTokenExpired(OssError):
    code, status, ec = "SecurityTokenExpired", 403, "0002-00000007"
    message = "The security token you provided has expired."


class InvalidSecurityToken(OssError):
    """The name is UNCONFIRMED; the EC 0002-00000008 page documents the condition ("token is invalid")."""

    code, status, ec = "InvalidSecurityToken", 403, "0002-00000008"
    message = "The security token you provided is invalid."


class RequestExpired(OssError):
    """A presigned URL used after its expiry; the body carries ``Expires`` and ``ServerTime``."""

    code, status, ec = "AccessDenied", 403, "0002-00000069"
    message = "Request has expired."


class PresignExpiresInvalid(OssError):
    """A presigned URL whose expiry is missing or not a number (EC 0002-00000067/68/70). The code is
    UNCONFIRMED: the EC pages describe the condition, not the answer."""

    code, status, ec = "AccessDenied", 403, "0002-00000070"
    message = "Invalid expiration time in the signed URL."


class SigningRegionInvalid(OssError):
    """A V4 credential scope naming another region; code, message and EC as OSS answers them."""

    code, status, ec = "InvalidArgument", 400, "0002-00000226"
    message = "Invalid signing region in Authorization header."


class BucketNotOwned(OssError):
    """Any request (but PutBucket) on a bucket another account owns."""

    code, status = "AccessDenied", 403
    message = "The bucket you access does not belong to you."


class InvalidObjectState(OssError):
    """Reading an Archive/ColdArchive/DeepColdArchive object that has not been restored."""

    code, status, ec = "InvalidObjectState", 403, "0016-00000404"
    message = "The operation is not valid for the object's state"


class InvalidTag(OssError):
    """An object tag breaking the documented limits (EC 0010-00000217); the code is UNCONFIRMED."""

    code, status, ec = "InvalidTag", 400, "0010-00000217"
    message = "The tag provided was not a valid tag."


class InvalidEncryptionAlgorithmError(OssError):
    """An ``x-oss-server-side-encryption`` other than AES256, KMS or SM4 (oss2 pairs the code with 400)."""

    code, status = "InvalidEncryptionAlgorithmError", 400
    message = "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4"


class PositionNotEqualToLength(OssError):
    code, status, ec = "PositionNotEqualToLength", 409, "0026-00000016"
    message = "Position is not equal to file length"


class ObjectNotAppendable(OssError):
    code, status, ec = "ObjectNotAppendable", 409, "0026-00000017"
    message = "The object is not appendable"


class SymlinkTargetMissing(NoSuchKey):
    """GET/HEAD through a symlink whose target does not exist."""

    ec = "0026-00000012"
    message = "The symlink target object does not exist."


class NotSymlink(OssError):
    """GetSymlink on an object that is not a symlink (EC 0043-00000101); the code is UNCONFIRMED."""

    code, status, ec = "NotSymlink", 400, "0043-00000101"
    message = "The specified object is not a symlink."


class InternalError(OssError):
    code, status = "InternalError", 500


class ServiceUnavailable(OssError):
    code, status = "ServiceUnavailable", 503
    message = "Please reduce your request rate."


ERRORS = ErrorTable(
    (
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
        InvalidObjectState,
        InvalidTag,
        InvalidEncryptionAlgorithmError,
        PositionNotEqualToLength,
        ObjectNotAppendable,
        NotSymlink,
        InternalError,
        ServiceUnavailable,
    ),
    internal=InternalError,
    not_implemented=NotImplementedOss,
    denied=AccessDeniedByRam,
    explicitly_denied=ExplicitlyDeniedByRam,
    auth={
        "missing": AccessDenied,
        "malformed": InvalidArgument,
        "unknown_key": InvalidAccessKeyId,
        "bad_signature": SignatureDoesNotMatch,
        "expired_token": SecurityTokenExpired,
        "invalid_token": InvalidSecurityToken,
        "missing_token": MissingSecurityToken,
        "stale_date": RequestTimeTooSkewed,
        "replayed_nonce": AccessDenied,
    },
)
