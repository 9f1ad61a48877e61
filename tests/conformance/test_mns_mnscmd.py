"""MNS driven by ``mnscmd``, the command-line tool that ships inside aliyun-mns-sdk, run as a subprocess against
the local MNS with a credentials file pointing at it: every command of the tool, in the order a user runs them.

mnscmd exits 0 whether a command worked or not; it prints ``<command> succeed!`` (``setaccountattr`` prints nothing)
or ``<command> fail!`` followed by the exception, so each step is judged by that line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud

MNSCMD = shutil.which("mnscmd", path=str(Path(sys.executable).parent))
SILENT_ON_SUCCESS = frozenset({"setaccountattr"})
pytestmark = pytest.mark.skipif(MNSCMD is None, reason="aliyun-mns-sdk's mnscmd is not installed")


@dataclass
class Mnscmd:
    """Runs mnscmd with a credentials file of its own; counts the steps that succeeded."""

    config: Path
    steps: list[str] = field(default_factory=list)

    def output(self, command: str, *options: str) -> str:
        argv = [sys.executable, str(MNSCMD), command, f"--configfile={self.config}", *options]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def ok(self, command: str, *options: str) -> str:
        out = self.output(command, *options)
        assert f"{command} fail!" not in out, out
        assert command in SILENT_ON_SUCCESS or f"{command} succeed!" in out, out
        self.steps.append(command)
        return out

    def fails(self, command: str, error: str, *options: str) -> None:
        out = self.output(command, *options)
        assert f"{command} fail!" in out and error in out, out
        self.steps.append(command)


def field_of(output: str, name: str) -> str:
    match = re.search(rf"^{name}\s*:(.*)$", output, re.M)
    assert match, output
    return match.group(1).strip()


@pytest.fixture
def mnscmd(localcloud: LocalCloud, tmp_path: Path) -> Mnscmd:
    runner = Mnscmd(tmp_path / "mnscredentials")
    out = runner.output(
        "config",
        f"--mnsendpoint={localcloud.url('mns')}",
        f"--accesskeyid={localcloud.access_key_id}",
        f"--accesskeysecret={localcloud.access_key_secret}",
    )
    assert "Your configuration is saved" in out and runner.config.exists()
    runner.steps.append("config")
    return runner


def test_account_commands(mnscmd: Mnscmd, localcloud: LocalCloud) -> None:
    assert "LoggingBucket" in mnscmd.ok("getaccountattr")
    mnscmd.ok("setaccountattr", "--loggingbucket=mns-logs")
    assert "mns-logs" in mnscmd.ok("getaccountattr")
    assert localcloud.mns.logging_bucket == "mns-logs"


def test_queue_commands(mnscmd: Mnscmd, localcloud: LocalCloud) -> None:
    mnscmd.ok("createqueue", "--queuename=work", "--vistimeout=30", "--waitsec=0")
    mnscmd.ok("createqueue", "--queuename=work", "--vistimeout=30", "--waitsec=0")  # identical: 204
    mnscmd.fails("createqueue", "QueueAlreadyExist", "--queuename=work", "--vistimeout=60")
    mnscmd.ok("createqueue", "--queuename=other")
    assert "work" in mnscmd.ok("listqueue")
    paged = mnscmd.ok("listqueue", "--prefix=", "--retnum=1")
    assert "other" in paged and "NextMarker" in paged
    mnscmd.ok("setqueueattr", "--queuename=work", "--vistimeout=20", "--loggingenabled=True")
    attrs = mnscmd.ok("getqueueattr", "--queuename=work")
    assert field_of(attrs, "VisibilityTimeout") == "20" and field_of(attrs, "LoggingEnabled") == "True"

    mnscmd.ok("sendmessage", "--queuename=work", "--body=hello from mnscmd", "--priority=1")
    mnscmd.ok("sendmessage", "--queuename=work", "--body=plain text", "--base64=False", "--delaysec=0")
    assert field_of(mnscmd.ok("peekmessage", "--queuename=work", "--string=True"), "MessageBody") == "hello from mnscmd"
    received = mnscmd.ok("receivemessage", "--queuename=work", "--string=True")
    assert field_of(received, "MessageBody") == "hello from mnscmd"
    changed = mnscmd.ok(
        "changevisibility", "--queuename=work", f"--handle={field_of(received, 'ReceiptHandle')}", "--vistimeout=5"
    )
    mnscmd.fails("deletemessage", "ReceiptHandleError", "--queuename=work", "--handle=garbage")
    mnscmd.ok("deletemessage", "--queuename=work", f"--handle={field_of(changed, 'ReceiptHandle')}")
    plain = mnscmd.ok("receivemessage", "--queuename=work", "--base64=False", "--waitsec=1")
    assert field_of(plain, "MessageBody") == "plain text"
    mnscmd.ok("deletemessage", "--queuename=work", f"--handle={field_of(plain, 'ReceiptHandle')}")
    mnscmd.fails("receivemessage", "MessageNotExist", "--queuename=work", "--waitsec=1")
    mnscmd.fails("peekmessage", "MessageNotExist", "--queuename=work")

    mnscmd.ok("deletequeue", "--queuename=work")
    mnscmd.ok("deletequeue", "--queuename=other")
    mnscmd.fails("getqueueattr", "QueueNotExist", "--queuename=work")
    assert not {"work", "other"} & set(localcloud.mns.queues())


def test_topic_commands(mnscmd: Mnscmd, localcloud: LocalCloud) -> None:
    inbox = f"acs:mns:{localcloud.region}:{localcloud.account_id}:queues/inbox"
    mnscmd.ok("createqueue", "--queuename=inbox")
    mnscmd.ok("createtopic", "--topicname=events", "--maxmsgsize=65536")
    mnscmd.ok("createtopic", "--topicname=events")  # omitted attributes are the defaults: identical, 204
    mnscmd.fails("createtopic", "TopicAlreadyExist", "--topicname=events", "--maxmsgsize=1024")
    assert "events" in mnscmd.ok("listtopic", "--prefix=ev")
    mnscmd.ok("settopicattr", "--topicname=events", "--maxmsgsize=8192")
    assert field_of(mnscmd.ok("gettopicattr", "--topicname=events"), "MaximumMessageSize") == "8192"

    mnscmd.ok(
        "subscribe",
        "--topicname=events",
        "--subname=to-inbox",
        f"--endpoint={inbox}",
        "--notifycontentformat=SIMPLIFIED",
        "--filtertag=important",
    )
    foreign = f"acs:mns:{localcloud.region}:1111111111111111:queues/inbox"
    mnscmd.fails("subscribe", "AccessDenied", "--topicname=events", "--subname=foreign", f"--endpoint={foreign}")
    assert "to-inbox" in mnscmd.ok("listsub", "--topicname=events", "--retnum=10")
    mnscmd.ok("setsubattr", "--topicname=events", "--subname=to-inbox", "--notifystrategy=EXPONENTIAL_DECAY_RETRY")
    sub = mnscmd.ok("getsubattr", "--topicname=events", "--subname=to-inbox")
    assert field_of(sub, "NotifyStrategy") == "EXPONENTIAL_DECAY_RETRY" and field_of(sub, "FilterTag") == "important"

    mnscmd.ok("publishmessage", "--topicname=events", "--body=skipped by the filter", "--base64=False")
    mnscmd.ok(
        "publishmessage", "--topicname=events", "--body=for the inbox", "--messagetag=important", "--base64=False"
    )
    pushed = mnscmd.ok("receivemessage", "--queuename=inbox", "--base64=False", "--waitsec=1")
    assert field_of(pushed, "MessageBody") == "for the inbox"

    mnscmd.ok("unsubscribe", "--topicname=events", "--subname=to-inbox")
    mnscmd.fails("getsubattr", "SubscriptionNotExist", "--topicname=events", "--subname=to-inbox")
    mnscmd.ok("deletetopic", "--topicname=events")
    mnscmd.fails("gettopicattr", "TopicNotExist", "--topicname=events")
    mnscmd.ok("deletequeue", "--queuename=inbox")
    assert "events" not in localcloud.mns.topics() and "inbox" not in localcloud.mns.queues()
