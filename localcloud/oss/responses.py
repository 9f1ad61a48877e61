"""OSS's API actions (:class:`OssResponse`): one method per action, composed from one mixin per area of the API.

The shared steps (addressing, authentication order, error rendering, what a write sets) are in :mod:`.base`; the
actions in :mod:`.bucket_actions`, :mod:`.object_actions`, :mod:`.multipart_actions` and
:mod:`.subresource_actions`.
"""

from __future__ import annotations

from localcloud.oss.bucket_actions import BucketActions
from localcloud.oss.multipart_actions import MultipartActions
from localcloud.oss.object_actions import ObjectActions
from localcloud.oss.subresource_actions import SubresourceActions


class OssResponse(BucketActions, ObjectActions, MultipartActions, SubresourceActions):
    """One OSS request, addressed to the service, a bucket or an object."""
