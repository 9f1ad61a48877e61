"""One FC instance: a warm Python process that imports the handler once and runs one invocation at a time.

Started as a script, ``python -I [-S] -u .../worker.py IN_FD OUT_FD [PATH...]``, with cwd = the code directory
and the instance's environment already set (FC_*, credentials, s.yaml variables): the PATHs (the code directory,
then PYTHONPATH's) go first on ``sys.path``, and nothing of the local cloud is importable by the function. It reads
``invoke`` frames from IN_FD and answers on OUT_FD. During each call fd 1 and fd 2 point at that request's log
file, so ``print``, ``logging`` and output of C extensions or subprocesses all land in the request's log, as in
FC's log store. Stdlib only and Python 3.10-compatible: it runs under the function's runtime interpreter.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

_current = threading.local()


def _load_protocol() -> Any:
    """``protocol.py`` beside this file, loaded by path under a private name (the local cloud is not on sys.path)."""
    spec = importlib.util.spec_from_file_location(
        "_localcloud_fc_protocol", os.path.join(os.path.dirname(__file__), "protocol.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Credentials:
    """``context.credentials`` of FC's python3.10 runtime; both spellings, as FC samples use both."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        self.access_key_id = self.accessKeyId = access_key_id
        self.access_key_secret = self.accessKeySecret = access_key_secret
        self.security_token = self.securityToken = security_token

    def __repr__(self) -> str:  # never print secrets into a log
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret=***, security_token=***)"


class FunctionMeta:
    def __init__(self, name: str, handler: str, memory: int, timeout: int) -> None:
        self.name, self.handler, self.memory, self.timeout = name, handler, memory, timeout


class ServiceMeta:
    def __init__(self, name: str, log_project: str, log_store: str, qualifier: str, version_id: str) -> None:
        self.name, self.log_project, self.log_store = name, log_project, log_store
        self.qualifier, self.version_id = qualifier, version_id


class Tracing:
    """Tracing is not emulated: every field is empty, as on a function without tracing enabled."""

    def __init__(self) -> None:
        self.span_context = self.jaeger_endpoint = self.span_baggages = self.parent_span_id = ""


class FCContext:
    def __init__(self, meta: dict[str, Any]) -> None:
        self.request_id: str = meta["request_id"]
        self.credentials = Credentials(**meta["credentials"])
        self.function = FunctionMeta(**meta["function"])
        self.service = ServiceMeta(**meta["service"])
        self.region: str = meta["region"]
        self.account_id: str = meta["account_id"]
        self.tracing = Tracing()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(_current, "request_id", "")
        return True


def _setup_logging() -> None:
    """FC's python runtime gives the root logger an INFO handler whose lines carry the request id."""
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(request_id)s [%(levelname)s] %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _error(exc: BaseException) -> dict[str, Any]:
    """FC's body for an unhandled exception: errorMessage, errorType, stackTrace [file, line, func, code]."""
    frames = [
        [f'File "{frame.filename}"', f"line {frame.lineno}", f"in {frame.name}", frame.line or ""]
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename != __file__
    ]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": frames}


def _encode(result: Any) -> bytes:
    """Bytes as-is, str as UTF-8, None as empty, JSON-able values as JSON, anything else as ``str()``."""
    if result is None:
        return b""
    if isinstance(result, (bytes, bytearray, memoryview)):
        return bytes(result)
    if isinstance(result, str):
        return result.encode("utf-8")
    try:
        return json.dumps(result, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        return str(result).encode("utf-8")


def _flush_c_stdio() -> None:
    """Flush C-level stdio buffers (``printf`` in extensions) into this request's log, not the next one's."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no libc symbol table (non-glibc platforms): best effort
        pass


def _reset_peak_memory() -> None:
    """Start this invocation's peak RSS from the current RSS (Linux ≥ 4.0: ``5`` in ``clear_refs``), so each
    invocation reports its own peak, as FC's "max memory used" does, not the instance's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:  # not Linux, or not allowed: the instance's peak is reported instead
        pass


def _peak_memory_mb() -> float:
    """The peak RSS of this process's own memory (``VmHWM``). ``ru_maxrss`` is not used where VmHWM exists: Linux
    carries the parent's high-water mark across fork and exec into it, so a worker started by a large process would
    report that process's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Worker:
    def __init__(self, handler_spec: str) -> None:
        self.handler_spec = handler_spec
        self.handler: Callable[[bytes, FCContext], Any] | None = None

    def _load(self) -> Callable[[bytes, FCContext], Any]:
        module_name, _, func_name = self.handler_spec.rpartition(".")
        module = importlib.import_module(module_name)
        handler = getattr(module, func_name)
        if not callable(handler):
            raise TypeError(f"handler {self.handler_spec!r} is not callable")
        return handler

    def invoke(self, meta: dict[str, Any], event: bytes) -> tuple[dict[str, Any], bytes]:
        log_fd = os.open(meta["log_path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        _current.request_id = meta["context"]["request_id"]
        _reset_peak_memory()
        cold_start = self.handler is None
        started = time.monotonic()
        reply: dict[str, Any] = {"cold_start": cold_start}
        payload = b""
        try:
            if self.handler is None:
                self.handler = self._load()
            payload = _encode(self.handler(event, FCContext(meta["context"])))
            reply["status"] = "ok"
        except Exception as exc:
            traceback.print_exc()
            reply.update(status="error", error=_error(exc))
        finally:  # SystemExit / KeyboardInterrupt still restore the fds, then end the process as FC's would
            sys.stdout.flush()
            sys.stderr.flush()
            _flush_c_stdio()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            _current.request_id = ""
        reply["duration_ms"] = (time.monotonic() - started) * 1000
        reply["max_memory_mb"] = _peak_memory_mb()
        return reply, payload


def main(argv: list[str]) -> int:
    in_fd, out_fd = int(argv[1]), int(argv[2])
    sys.path[:0] = argv[3:]
    protocol = _load_protocol()
    _setup_logging()
    worker = Worker(os.environ["FC_FUNCTION_HANDLER"])
    reader, write_frame = protocol.FrameReader(in_fd), protocol.write_frame
    while True:
        try:
            meta, event = reader.read()
        except EOFError:
            return 0
        if meta.get("op") != "invoke":
            continue
        reply, payload = worker.invoke(meta, event)
        write_frame(out_fd, reply, payload)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
