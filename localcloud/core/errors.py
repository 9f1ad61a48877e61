"""The one error base every local service raises, and the per-service table that looks errors up by code.

An error is ``(code, message, status)`` plus optional ``details`` (extra fields some wire formats carry, such as
OSS's ``<Key>``). Each service renders it in its own format (see its ``responses.py``); the table answers the
three questions the request pipeline asks of every service alike: which error does an injected fault code name,
which error answers a failed signature check, and which answers a request for something the service does not
emulate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from localcloud.auth.errors import KINDS, AuthFailure, FailureKind


class ServiceError(Exception):
    """An error a service answers with: a wire ``code``, a human ``message`` and an HTTP ``status``.

    Subclasses set the three as class attributes (the message is the default text); an instance may replace the
    message, and ``details`` become extra fields where the service's format has them.
    """

    code: str = "InternalError"
    status: int = 500
    message: str = "An internal error occurred."

    def __init__(self, message: str | None = None, **details: str) -> None:
        self.message = message or type(self).message
        self.details = details
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ErrorTable:
    """One service's errors by code, and the errors its pipeline answers with.

    ``internal`` answers unexpected exceptions (and names the status of unknown injected codes);
    ``not_implemented`` a path, method or sub-resource the service does not emulate; ``unknown_action`` an
    action name it does not know (RPC services tell the two apart); ``denied`` a request the authorizer refused
    (``explicitly_denied`` one a ``Deny`` statement refused, where the service tells the two apart);
    ``auth`` maps each :data:`~localcloud.auth.FailureKind` to the error the service answers it with.
    ``auth_detail`` appends the verifier's explanation to the message (never a secret: see AuthFailure).
    """

    def __init__(
        self,
        errors: Iterable[type[ServiceError]],
        *,
        internal: type[ServiceError],
        not_implemented: type[ServiceError],
        denied: type[ServiceError],
        auth: Mapping[FailureKind, type[ServiceError]],
        explicitly_denied: type[ServiceError] | None = None,
        unknown_action: type[ServiceError] | None = None,
        aliases: Mapping[str, type[ServiceError]] | None = None,
        auth_detail: bool = False,
    ) -> None:
        self._by_code: dict[str, type[ServiceError]] = {}
        for cls in errors:
            self._by_code.setdefault(cls.code, cls)  # the first class listed for a code is the one looked up
        self._by_code.update(aliases or {})
        self.internal = internal
        self.not_implemented = not_implemented
        self.unknown_action = unknown_action or not_implemented
        self.denied = denied
        self.explicitly_denied = explicitly_denied or denied
        missing = KINDS - set(auth)
        if missing:
            raise ValueError(f"no error for authentication failures {sorted(missing)}")
        self._auth = dict(auth)
        self._auth_detail = auth_detail

    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def from_code(self, code: str) -> ServiceError:
        """The error an injected fault names; an unknown code keeps its name and answers as an internal error."""
        cls = self._by_code.get(code)
        if cls is not None:
            return cls()
        error = self.internal()
        error.code = code
        return error

    def from_auth(self, failure: AuthFailure) -> ServiceError:
        """The error that answers a failed signature check of this kind."""
        cls = self._auth[failure.kind]
        return cls(f"{cls.message} ({failure.detail})") if self._auth_detail else cls()
