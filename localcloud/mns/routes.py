"""MNS's HTTP face: path, method and, where they decide, the query or the XML body's root name the action.

``?metaoverride=true`` turns a create (PUT) into a set-attributes; a ``<Messages>`` body makes a send a batch
send; ``numOfMessages`` makes a receive a batch, ``peekonly=true`` a peek; a DELETE without ``ReceiptHandle``
deletes the batch its body lists; ``/?accountmeta=true`` reads (GET) or sets (PUT) the account's attributes. Any
other path or method is MNS's ``InvalidRequestURL``.
"""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from localcloud.core.gateway import Gateway
from localcloud.core.responses import Route, ServiceApp
from localcloud.mns import wire
from localcloud.mns.models import MnsBackend
from localcloud.mns.responses import MnsResponse

# endpoint -> (URL rule, the resource it names: the path form RAM policies use)
_ENDPOINTS = {
    "account": ("/", "*"),
    "topics": ("/topics", "/topics"),
    "topic": ("/topics/<name>", "/topics/{name}"),
    "topic_messages": ("/topics/<name>/messages", "/topics/{name}/messages"),
    "subscriptions": ("/topics/<name>/subscriptions", "/topics/{name}"),
    "subscription": ("/topics/<name>/subscriptions/<sub>", "/topics/{name}/subscriptions/{sub}"),
    "queues": ("/queues", "/queues"),
    "queue": ("/queues/<name>", "/queues/{name}"),
    "queue_messages": ("/queues/<name>/messages", "/queues/{name}/messages"),
}
URLS = Map([Rule(rule, endpoint=endpoint) for endpoint, (rule, _) in _ENDPOINTS.items()], strict_slashes=False)

ACTIONS: dict[tuple[str, str], str] = {
    ("account", "GET"): "GetAccountAttributes",
    ("account", "PUT"): "SetAccountAttributes",
    ("topics", "GET"): "ListTopic",
    ("topic", "PUT"): "CreateTopic",
    ("topic", "GET"): "GetTopicAttributes",
    ("topic", "DELETE"): "DeleteTopic",
    ("topic_messages", "POST"): "PublishMessage",
    ("subscriptions", "GET"): "ListSubscriptionByTopic",
    ("subscription", "PUT"): "Subscribe",
    ("subscription", "GET"): "GetSubscriptionAttributes",
    ("subscription", "DELETE"): "Unsubscribe",
    ("queues", "GET"): "ListQueue",
    ("queue", "PUT"): "CreateQueue",
    ("queue", "GET"): "GetQueueAttributes",
    ("queue", "DELETE"): "DeleteQueue",
    ("queue_messages", "POST"): "SendMessage",
    ("queue_messages", "GET"): "ReceiveMessage",
    ("queue_messages", "DELETE"): "DeleteMessage",
    ("queue_messages", "PUT"): "ChangeMessageVisibility",
}
META_OVERRIDES = {
    "CreateTopic": "SetTopicAttributes",
    "Subscribe": "SetSubscriptionAttributes",
    "CreateQueue": "SetQueueAttributes",
}


def _flag(request: Request, name: str) -> bool:
    return request.args.get(name, "").lower() == "true"


def _variant(action: str, request: Request) -> str:
    """The batch, peek and set-attributes forms that share a path and method with another action."""
    if action in META_OVERRIDES and _flag(request, "metaoverride"):
        return META_OVERRIDES[action]
    if action == "SendMessage" and wire.root_name(request.get_data(cache=True)) == "Messages":
        return "BatchSendMessage"
    if action == "ReceiveMessage":
        name = "PeekMessage" if _flag(request, "peekonly") else "ReceiveMessage"
        return ("Batch" if "numOfMessages" in request.args else "") + name
    if action == "DeleteMessage" and "ReceiptHandle" not in request.args:
        return "BatchDeleteMessage"
    return action


def route(request: Request) -> Route | None:
    try:
        endpoint, args = URLS.bind_to_environ(request.environ).match(method=request.method)
    except HTTPException:
        return None
    action = ACTIONS.get((str(endpoint), request.method))
    if action is None or (endpoint == "account" and not _flag(request, "accountmeta")):
        return None
    resource = _ENDPOINTS[str(endpoint)][1].format(**args)
    return Route(_variant(action, request), resource, dict(args))


def make_app(backend: MnsBackend, gateway: Gateway) -> ServiceApp:
    return ServiceApp(MnsResponse, route, backend, gateway)
