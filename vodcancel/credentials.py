"""The caller's credentials: the local cloud's demo key, or Alibaba Cloud's official default chain.

The chain (``alibabacloud-credentials``) tries, in order: ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``
(``_SECURITY_TOKEN`` for STS), OIDC role, the ``aliyun`` CLI's ``~/.aliyun/config.json`` profile (``--profile`` or
``ALIBABA_CLOUD_PROFILE``, else its current one), ``~/.alibabacloud/credentials.ini``, the ECS instance's RAM role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vodcancel.errors import CliError


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(default="", repr=False)


def from_default_chain(profile: str | None = None) -> Credential:
    """Resolve credentials once (a command runs for minutes at most, well inside an STS token's life)."""
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.provider import CLIProfileCredentialsProvider

    client = Client(provider=CLIProfileCredentialsProvider(profile_name=profile)) if profile else Client()
    try:
        model = client.get_credential()
    except Exception as exc:  # the chain raises CredentialException, or whatever a provider hit
        where = f"profile {profile!r} of ~/.aliyun/config.json" if profile else "the default credential chain"
        raise CliError(
            f"no Alibaba Cloud credentials from {where} ({type(exc).__name__})",
            "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, run `aliyun configure`, "
            "or start the local cloud with `make up`",
        ) from None
    return Credential(
        model.get_access_key_id() or "", model.get_access_key_secret() or "", model.get_security_token() or ""
    )
