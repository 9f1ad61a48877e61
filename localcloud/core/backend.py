"""What every service's state object shares: reset by re-initialising, and how it hands events to a function.

As moto's ``BaseBackend``, a backend remembers the arguments it was built with and :meth:`BaseBackend.reset`
runs ``__init__`` again on a cleared object, so every field, knob included, is back at its default and nothing a
test changed outlives the test.
"""

from __future__ import annotations

from typing import Any, Protocol


class DeliverEvent(Protocol):
    """Hand an event to a function asynchronously (the FC side of MNS subscriptions and OSS notifications)."""

    def __call__(
        self, function_arn: str, event: bytes, *, source: str, retry_strategy: str | None = None
    ) -> object: ...


class BaseBackend:
    """Base of the service backends: plain state, no HTTP, reset by re-initialising."""

    _init_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        backend = super().__new__(cls)
        backend._init_args = (args, kwargs)
        return backend

    def reset(self) -> None:
        """Forget all state and restore every default, as a freshly built backend."""
        args, kwargs = self._init_args
        self.__dict__.clear()
        self._init_args = (args, kwargs)
        self.__init__(*args, **kwargs)  # type: ignore[misc]
