"""vodcancel: the operator's command line for the VOD URL-upload canceller.

Sends a cancel request through one of the function's three doors (an OSS manifest, a message on the request
topic, a signed POST to the HTTP trigger), follows the results topic until every item has its outcome, and shows
VOD's view of jobs. It talks to a real account with the caller's own credentials, or to the local cloud that
``make up`` runs. Never deployed with the function (``.fcignore``).
"""
