"""Loading the official SDKs: lazily, once per instance, without the garbage collector in the way.

The SDKs are most of a cold start, so they are imported only when a call is really made and never on the bad-input
path. Importing them creates hundreds of thousands of long-lived objects, which has two costs this module removes
(bench/README.md has the figures):

- during the import, allocation keeps triggering collections, and the full ones walk everything allocated so far:
  the collector is paused around the import;
- afterwards every full collection of a warm instance walks them all again, on every event. ``gc.freeze()``
  moves them to the permanent generation, so collections only look at what the function itself allocates.

Stdlib only, and cheap to import.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading

__all__ = ["FC", "MNS", "OSS", "VOD", "load"]

VOD = ("alibabacloud_tea_openapi.models", "alibabacloud_vod20170321.client", "alibabacloud_vod20170321.models",
       "darabonba.runtime")  # fmt: skip
"""What a VOD call needs (lib.clients and lib.vodapi import these names lazily)."""
MNS = ("mns.account", "mns.topic", "mns.mns_exception")
"""What publishing results needs (lib.clients, lib.notify)."""
OSS = ("alibabacloud_oss_v2",)
"""What reading a manifest and keeping its checkpoint need (lib.clients, lib.objects)."""
FC = ("alibabacloud_tea_openapi.models", "alibabacloud_fc20230330.client", "alibabacloud_fc20230330.models",
      "darabonba.runtime")  # fmt: skip
"""What starting a continuation needs (lib.clients, lib.continuation): only when a manifest outlasts an invocation."""

_lock = threading.Lock()


def load(modules: tuple[str, ...]) -> None:
    """Import ``modules`` (no-op once they are loaded) with collections paused, then freeze what exists."""
    if all(name in sys.modules for name in modules):
        return
    with _lock:
        enabled = gc.isenabled()
        gc.disable()
        try:
            for name in modules:
                importlib.import_module(name)
        finally:
            gc.freeze()
            if enabled:
                gc.enable()
