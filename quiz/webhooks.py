"""Webhooks: the lead.created payload, Standard Webhooks signing and a guarded HTTP POST."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from quiz.models import Clinic, Delivery, Lead
from quiz.serialize import iso, lead_record

# Bodies of receivers' answers are never used; reading a bounded amount lets the
# connection close cleanly without letting a hostile receiver make us buffer megabytes.
MAX_RESPONSE_BYTES = 64 * 1024
# Standard Webhooks recommends rejecting messages older or newer than five minutes.
TOLERANCE_SECONDS = 5 * 60
USER_AGENT = "mesoquiz-webhooks/1"


class WebhookError(Exception):
    """A webhook that could not be delivered; the message says why in one line."""


def build_payload(
    delivery: Delivery, lead: Lead, clinic: Clinic, health: Mapping | None = None
) -> dict:
    """Return the JSON-ready lead.created event; `answers` only when the clinic opted in."""
    lead_data: dict = {**lead_record(lead, health), "clinic": clinic.slug}
    if clinic.webhook_include_answers:
        lead_data["answers"] = dict((health or {}).get("answers", {}))
    return {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": iso(delivery.created_at),
        "data": {"lead": lead_data},
    }


def encode(payload: Mapping) -> bytes:
    """Serialise a payload exactly once, so the signed bytes are the sent bytes."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` value: v1,<base64 HMAC-SHA256 of id.timestamp.body>."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    """Return the Standard Webhooks headers for one attempt (a fresh timestamp each time)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: int | None = None) -> bool:
    """Tell whether a received webhook is genuine and recent (the receiver's side)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not msg_id or not raw_timestamp.isdigit() or not signatures:
        return False
    timestamp = int(raw_timestamp)
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    try:
        expected = sign(secret, msg_id, timestamp, body)
    except ValueError:
        return False
    # Several signatures may be sent while a secret is being rotated.
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures.split())


def post(url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool, timeout: float):
    """POST `body` to `url`; return the status on 2xx, raise WebhookError otherwise.

    Only https, to public addresses, unless `allow_private` (development and tests), which
    also allows plain http to loopback. The connection goes to the address that was checked,
    so a second DNS answer cannot point it somewhere else. Redirects are not followed.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError("webhook URL must be an https URL")
    if parts.scheme == "http" and not allow_private:
        raise WebhookError("webhook URL must use https")
    if parts.username or parts.password:
        raise WebhookError("webhook URL must not contain credentials")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookError("webhook URL has an invalid port") from None
    addresses = _checked_addresses(host, port, allow_private, plain_http=parts.scheme == "http")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection._create_connection = _pinned(addresses)
    try:
        connection.request(
            "POST", path, body=body, headers={"User-Agent": USER_AGENT, **dict(headers)}
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except TimeoutError:
        raise WebhookError(f"no answer from {host} within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"could not reach {host}: {exc.__class__.__name__}: {exc}") from None
    finally:
        connection.close()
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise WebhookError(f"HTTP {status} from {host}: redirects are not followed")
    raise WebhookError(f"HTTP {status} from {host}")


def _checked_addresses(host: str, port: int, allow_private: bool, *, plain_http: bool) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise WebhookError(f"cannot resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise WebhookError(f"cannot resolve {host}")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if plain_http and not ip.is_loopback:
            raise WebhookError(f"plain http is only allowed to loopback, {host} is {ip}")
        if not allow_private and not is_public(ip):
            raise WebhookError(f"{host} resolves to a non-public address ({ip})")
    return list(dict.fromkeys(addresses))


# IPv6 prefixes whose low 32 bits are an IPv4 address a packet ends up at: IPv4-mapped
# (::ffff:0:0/96), IPv4-compatible (::/96, deprecated but still routed by some stacks),
# IPv4-translated (::ffff:0:0:0/96, RFC 2765) and the NAT64 well-known prefix (RFC 6052).
_EMBEDDING_PREFIXES = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in ("::ffff:0:0/96", "::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
# NAT64's local-use prefix (RFC 8215) is never globally reachable, whatever it embeds (and
# where it embeds it depends on the operator's chosen prefix length).
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Tell whether `ip`, and any IPv4 address it maps or translates to, is publicly routed."""
    # is_global is True for multicast ranges, so those are refused separately.
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if ip in _LOCAL_NAT64:
        return False
    # Python judges these IPv6 forms as global even when the IPv4 inside is loopback or
    # private, so a webhook could reach this host or its network through them.
    # (Teredo, 2001::/32, needs no decoding: Python already counts it as not global.)
    inside = [ip.sixtofour] if ip.sixtofour is not None else []
    if any(ip in prefix for prefix in _EMBEDDING_PREFIXES):
        inside.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return all(is_public(address) for address in inside)


def _pinned(addresses: list[str]):
    """Return a connect function for http.client that only dials the checked addresses."""

    def create_connection(host_port, timeout=None, source_address=None):
        error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, host_port[1]), timeout, source_address)
            except TimeoutError:
                raise
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    return create_connection
