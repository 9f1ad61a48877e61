"""Server-side authentication for the local cloud: one credential store, one verifier per signature scheme.

Every verifier takes the werkzeug Request as received and returns the caller's AccessKeyId, or raises
:class:`AuthFailure` whose ``kind`` each service maps to its own real error code and HTTP status.
"""

from localcloud.auth.credentials import MAX_SKEW_SECONDS, NONCE_TTL_SECONDS, CredentialStore, StsCredential
from localcloud.auth.errors import KINDS, AuthFailure, FailureKind
from localcloud.auth.fc import verify_fc
from localcloud.auth.fc_trigger import verify_http_trigger
from localcloud.auth.mns import verify_mns
from localcloud.auth.oss import verify_oss
from localcloud.auth.vod import verify_vod

__all__ = [
    "KINDS",
    "MAX_SKEW_SECONDS",
    "NONCE_TTL_SECONDS",
    "AuthFailure",
    "CredentialStore",
    "FailureKind",
    "StsCredential",
    "verify_fc",
    "verify_http_trigger",
    "verify_mns",
    "verify_oss",
    "verify_vod",
]
