"""The local cloud's core: the error table every service looks errors up in, action names, reset by re-init."""

from __future__ import annotations

import pytest

from localcloud.auth import KINDS, AuthFailure
from localcloud.clock import Clock
from localcloud.core import BaseBackend, ErrorTable, Identity, ServiceError
from localcloud.core.responses import method_name
from localcloud.vod.models import DEFAULT_QUOTAS, QuotaCounter, QuotaRule, VodBackend


class Broken(ServiceError):
    code, status, message = "Broken", 500, "It broke."


class Missing(ServiceError):
    code, status, message = "Missing", 404, "Not there."


class Refused(ServiceError):
    code, status, message = "Refused", 403, "Go away."


class Refused2(Refused):
    message = "Go away, differently."


AUTH = dict.fromkeys(KINDS, Refused)


def table(**options: object) -> ErrorTable:
    return ErrorTable(
        (Broken, Missing, Refused, Refused2),
        internal=Broken,
        not_implemented=Missing,
        denied=Refused,
        auth=AUTH,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def test_an_injected_code_is_looked_up_and_an_unknown_one_keeps_its_name_as_an_internal_error() -> None:
    errors = table(aliases={"Gone": Missing})
    known, alias, unknown = errors.from_code("Missing"), errors.from_code("Gone"), errors.from_code("Odd")
    assert (type(known), known.status, known.message) == (Missing, 404, "Not there.")
    assert type(alias) is Missing
    assert (unknown.code, unknown.status, unknown.message) == ("Odd", 500, "It broke.")
    assert str(unknown) == "Odd: It broke." and Broken.code == "Broken"  # the class is untouched


def test_the_first_class_listed_for_a_code_is_the_one_looked_up() -> None:
    assert type(table().from_code("Refused")) is Refused


def test_auth_failures_map_to_the_service_error_with_or_without_the_verifiers_detail() -> None:
    failure = AuthFailure("bad_signature", "the signature does not match")
    assert table().from_auth(failure).message == "Go away."
    assert table(auth_detail=True).from_auth(failure).message == "Go away. (the signature does not match)"


def test_a_table_must_answer_every_authentication_failure() -> None:
    with pytest.raises(ValueError, match="replayed_nonce"):
        ErrorTable((), internal=Broken, not_implemented=Missing, denied=Refused, auth={"missing": Refused})


def test_unknown_action_defaults_to_not_implemented() -> None:
    assert table().unknown_action is Missing
    assert table(unknown_action=Refused).unknown_action is Refused


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("GetURLUploadInfos", "get_url_upload_infos"),
        ("UploadMediaByURL", "upload_media_by_url"),
        ("CancelUrlUploadJobs", "cancel_url_upload_jobs"),
        ("ListObjectsV2", "list_objects_v2"),
        ("InvokeFunction", "invoke_function"),
        ("ListSubscriptionByTopic", "list_subscription_by_topic"),
    ],
)
def test_action_names_map_to_method_names(action: str, method: str) -> None:
    assert method_name(action) == method


def test_identity_tells_sts_keys_apart() -> None:
    assert Identity("STS.abc").is_sts and not Identity("LTAI5tKey").is_sts and not Identity(None).is_sts


def test_reset_re_initialises_a_backend_with_the_arguments_it_was_built_with() -> None:
    clock = Clock()
    vod = VodBackend(clock)
    vod.seed_job("https://example.com/a.mp4")
    vod.quotas["CancelUrlUploadJobs"] = 1
    vod.forbidden_access_keys.add("LTAI5tSomeone")
    vod.send_retry_after_ms = 250

    vod.reset()

    assert vod.jobs() == [] and vod.quotas == DEFAULT_QUOTAS
    assert vod.forbidden_access_keys == set() and vod.send_retry_after_ms is None
    assert isinstance(vod, BaseBackend)
    assert vod.seed_job("https://example.com/b.mp4").created_at <= clock.now()  # still on the same clock


def test_vod_quota_rules_come_back_to_those_the_backend_was_built_with() -> None:
    vod = VodBackend(Clock(), {"CancelUrlUploadJobs": QuotaRule("bucket", burst=20)})
    assert vod.quota_rules["GetURLUploadInfos"] == QuotaRule("window")
    vod.set_quota_rule("window")
    assert vod.quota_rules["CancelUrlUploadJobs"] == QuotaRule("window")

    vod.reset()

    assert vod.quota_rules["CancelUrlUploadJobs"] == QuotaRule("bucket", burst=20)
    assert vod.quota_rules["GetURLUploadInfos"] == QuotaRule("window")


@pytest.mark.parametrize("text", ["window", "bucket", "bucket:20"])
def test_quota_rule_spellings_read_back(text: str) -> None:
    assert str(QuotaRule.parse(text)) == text


@pytest.mark.parametrize("text", ["sliding", "window:5", "bucket:0", "bucket:x", ""])
def test_quota_rule_spellings_that_mean_nothing_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quota rule"):
        QuotaRule.parse(text)


def test_a_token_bucket_starts_full_and_refills_at_the_quota() -> None:
    bucket = QuotaCounter(QuotaRule("bucket", burst=2))
    assert [bucket.try_acquire(0.0, 10) for _ in range(3)] == [True, True, False]
    assert bucket.try_acquire(0.05, 10) is False  # half a token
    assert bucket.try_acquire(0.1, 10) is True
    assert [bucket.try_acquire(5.0, 10) for _ in range(3)] == [True, True, False]  # never more than the burst


def test_a_sliding_window_counts_the_trailing_second_of_accepted_calls() -> None:
    window = QuotaCounter(QuotaRule("window"))
    assert [window.try_acquire(t, 2) for t in (0.0, 0.5, 0.9)] == [True, True, False]
    assert window.try_acquire(1.0, 2) is True  # the call at 0.0 has left (t-1, t]
    assert window.try_acquire(1.4, 2) is False  # the refused call at 0.9 never counted; 0.5 and 1.0 do
