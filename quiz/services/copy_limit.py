"""The per-recipient daily limit on the copy of a result mailed to the visitor.

The form and the API let anyone name any address for the copy, so without a limit the quiz
could be aimed at a stranger's inbox. The counters live in the rate limits' shared storage
(Redis, or the machine's counter file), so every worker and server counts together.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import current_app
from limits import parse

from quiz.extensions import limiter

log = logging.getLogger(__name__)


def copy_allowed(email: str) -> bool:
    """Count one copy mailed to this address; False once today's limit for it is spent."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return True
    # Keyed with the app's secret: the counter's key must not name the address, even hashed
    # in a way anyone could recompute from a list of addresses.
    secret = str(current_app.secret_key).encode("utf-8", "surrogatepass")
    address = email.strip().lower().encode("utf-8", "surrogatepass")
    recipient = hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]
    item = parse(config["VISITOR_COPY_LIMIT"])
    try:
        return limiter.limiter.hit(item, config["RATELIMIT_KEY_PREFIX"], "copy", recipient)
    except Exception as exc:  # the storage is down: the lead matters more than the limit
        log.warning("copy limit not checked: %s", exc.__class__.__name__)
        return True
