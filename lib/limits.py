"""Every default and limit of the function, each named once.

Names in capitals that are also environment variables (``MAX_REQUEST_ITEMS``, ``VOD_CANCEL_QPS`` …) are that
variable's default (lib.config reads the variable); the others are fixed. The README's Configuration and Limits
tables use these names. Pure constants: importing this costs nothing.
"""

from __future__ import annotations

__all__ = [
    "CHECKPOINT_INTERVAL_S",
    "CHECKPOINT_PREFIX",
    "CONTINUATION_MARGIN_S",
    "DEADLINE_MARGIN_S",
    "DEFAULT_FUNCTION_TIMEOUT_S",
    "FC_REGION",
    "ITEM_EXCERPT_CHARS",
    "MANIFEST_CHUNK_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_CONTINUATIONS",
    "MAX_ERROR_MESSAGE_CHARS",
    "MAX_FAILURE_CODE_CHARS",
    "MAX_FAILURE_MESSAGE_CHARS",
    "MAX_IDEMPOTENCY_KEY_CHARS",
    "MAX_JOB_ID_CHARS",
    "MAX_JSON_MANIFEST_BYTES",
    "MAX_LINE_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_QUERY_CHARS",
    "MAX_REQUEST_BYTES",
    "MAX_REQUEST_ITEMS",
    "MAX_URL_CHARS",
    "MIB",
    "MIN_NOTIFY_MESSAGE_BYTES",
    "MIN_PUBLISH_WINDOW_S",
    "NOTIFY_MAX_MESSAGE_BYTES",
    "OSS_CONNECT_TIMEOUT_S",
    "OSS_READ_TIMEOUT_S",
    "PUBLISH_TIMEOUT_S",
    "VOD_CANCEL_QPS",
    "VOD_CONCURRENCY",
    "VOD_CONNECT_TIMEOUT_MS",
    "VOD_INFO_QPS",
    "VOD_READ_TIMEOUT_MS",
]

MIB = 1024 * 1024

FC_REGION = "cn-shanghai"
"""The region when FC_REGION is not set (FC always sets it; local runs may not)."""

# -- requests (environment variables) ------------------------------------------------------------------------------
MAX_REQUEST_ITEMS = 10_000
"""Distinct items in one HTTP / MNS request; bigger batches go through an OSS manifest (no item limit)."""
MAX_REQUEST_BYTES = 6 * MIB
"""Largest HTTP / MNS payload: FC's synchronous invocation payload limit."""
MAX_MANIFEST_BYTES = 256 * MIB
"""Largest OSS manifest. Text manifests are streamed line by line, so this bounds time, not memory."""

# -- results (environment variable) --------------------------------------------------------------------------------
NOTIFY_MAX_MESSAGE_BYTES = 64 * 1024
"""Largest results message: MNS's message size limit."""
MIN_NOTIFY_MESSAGE_BYTES = 4096
"""The smallest NOTIFY_MAX_MESSAGE_BYTES accepted: a part must hold its head and at least a few entries."""

# -- VOD (environment variables) -----------------------------------------------------------------------------------
VOD_CANCEL_QPS = 50.0
"""CancelUrlUploadJobs calls per second: VOD's default per-account quota."""
VOD_INFO_QPS = 100.0
"""GetURLUploadInfos calls per second: VOD's default per-account quota."""
VOD_CONCURRENCY = 16
"""Most VOD batches in flight at once."""
VOD_CONNECT_TIMEOUT_MS = 5000
VOD_READ_TIMEOUT_MS = 10000
DEADLINE_MARGIN_S = 2.0
"""Seconds kept free before the function's timeout: no VOD call starts inside it, so the results get published."""

# -- manifests that outlast an invocation (environment variables) ------------------------------------------------
CHECKPOINT_PREFIX = "cancel-checkpoints/"
"""Where a manifest request's checkpoint is kept, in the manifest bucket: outside the OSS trigger's prefix, so
writing a checkpoint never invokes the function."""
CHECKPOINT_INTERVAL_S = 5.0
"""How often a manifest request publishes what it has, writes its checkpoint and logs its progress."""
CONTINUATION_MARGIN_S = 5.0
"""Seconds before the deadline margin at which a manifest request stops sending batches, so the invocation can
publish, write its checkpoint and start the next one (or report what is left) before FC's timeout. At most a
quarter of the invocation's working time, so that a short function timeout still makes progress."""
MAX_CONTINUATIONS = 200
"""Most invocations one manifest may continue in, after the first; what is left past it is reported Failed."""

# -- fixed: items ----------------------------------------------------------------------------------------------------
MAX_URL_CHARS = 2048
MAX_JOB_ID_CHARS = 64
MAX_IDEMPOTENCY_KEY_CHARS = 256
"""Idempotency-Key header: bounded because it becomes the dedupe key echoed in every results message."""
MAX_JSON_MANIFEST_BYTES = 8 * MIB
"""A JSON manifest is parsed whole (a text one is streamed), so it has a lower bound than MAX_MANIFEST_BYTES: the
parsed document of one this size stays well inside a 128 MB instance. Bigger lists go one item per line."""
MANIFEST_CHUNK_BYTES = 64 * 1024
"""Bytes read from OSS at a time while streaming a manifest."""
MAX_LINE_BYTES = 16 * 1024
"""The longest manifest line read: no valid item comes near it (a URL is at most MAX_URL_CHARS characters), and a
file with no line breaks must not be held whole to find that out."""

# -- fixed: VOD API --------------------------------------------------------------------------------------------------
MAX_BATCH_ITEMS = 10
"""VOD's limit for JobIds and for UploadUrls, per call."""
MAX_QUERY_CHARS = 6000
"""Most characters one URL batch may take in the request line. HTTP front ends commonly refuse request lines over
8 KB (HTTP 414); VOD's own limit is undocumented."""

# -- fixed: messages -------------------------------------------------------------------------------------------------
MAX_ERROR_MESSAGE_CHARS = 300
"""An error message travels in HTTP replies, logs and results messages: one readable line."""
ITEM_EXCERPT_CHARS = 200
"""How much of an offending item an error message quotes."""
MAX_FAILURE_MESSAGE_CHARS = 500
"""A ``Failed`` entry's message (it may combine two calls' errors)."""
MAX_FAILURE_CODE_CHARS = 100

# -- fixed: time -----------------------------------------------------------------------------------------------------
DEFAULT_FUNCTION_TIMEOUT_S = 60.0
"""The invocation's time limit when neither ``context.function.timeout`` nor ``FC_TIMEOUT`` says (FC's default)."""
MIN_PUBLISH_WINDOW_S = 5.0
"""Publishing the results always gets at least this long, even when the cancel work used up the deadline."""
PUBLISH_TIMEOUT_S = 10
"""Socket timeout of the MNS client (see lib.clients: aliyun-mns-sdk applies it to http:// endpoints only)."""
OSS_CONNECT_TIMEOUT_S = 5
OSS_READ_TIMEOUT_S = 20
