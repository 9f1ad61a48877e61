"""The core every local service is built on, after moto's ``moto/core``.

- :mod:`~localcloud.core.errors`: :class:`ServiceError` ``(code, message, status)``, the one error base, and
  :class:`ErrorTable`, each service's errors by code (injected faults, auth failures, not-implemented);
- :mod:`~localcloud.core.responses`: the request pipeline (route → fault → authentication → authorization →
  admission → action → error rendering → record) in :class:`BaseResponse`, and :class:`ServiceApp`, its WSGI app;
- :mod:`~localcloud.core.gateway`: what every service's front door shares (clock, faults, credentials, region,
  account), the authorization hook and :class:`RamAuthorizer`, the local cloud's RAM;
- :mod:`~localcloud.core.backend`: :class:`BaseBackend`, state reset by re-initialising;
- :mod:`~localcloud.core.ids` and :mod:`~localcloud.core.render`: request ids and wire-text helpers.
"""

from localcloud.core.backend import BaseBackend, DeliverEvent
from localcloud.core.errors import ErrorTable, ServiceError
from localcloud.core.gateway import (
    ANONYMOUS,
    AuthorizationDenied,
    Authorizer,
    Gateway,
    Identity,
    RamAuthorizer,
    allow_all,
)
from localcloud.core.responses import BaseResponse, Route, Router, ServiceApp, action

__all__ = [
    "ANONYMOUS",
    "AuthorizationDenied",
    "Authorizer",
    "BaseBackend",
    "BaseResponse",
    "DeliverEvent",
    "ErrorTable",
    "Gateway",
    "Identity",
    "RamAuthorizer",
    "Route",
    "Router",
    "ServiceApp",
    "ServiceError",
    "action",
    "allow_all",
]
