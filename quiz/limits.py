"""The longest value each field a visitor or API client sends may hold: one table for the
quiz's form, the API's checks and document, and the database columns that keep them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

MAX_LENGTH: Mapping[str, int] = MappingProxyType(
    {
        "name": 200,
        # The longest address SMTP can carry (RFC 5321's path limit, less the brackets).
        "email": 254,
        "phone": 40,
        # One of a few words (validation.CONTACT_TIMES); the column has room for longer ones.
        "contact_time": 40,
        "utm_source": 200,
        "utm_medium": 200,
        "utm_campaign": 200,
        "utm_term": 200,
        "utm_content": 200,
        "page_url": 1000,
        # Ad click ids: the bounds the platforms document as safe (Google 100, Meta 500), and
        # the same for the ids of the other platforms, which publish none.
        "gclid": 100,
        "gbraid": 100,
        "wbraid": 100,
        "fbclid": 500,
        "msclkid": 100,
        "ttclid": 500,
        "li_fat_id": 100,
        "conversion_name": 100,
        "idempotency_key": 100,
        # A clinic's booking page (a setting, not a visitor's field; its column holds this).
        "booking_url": 500,
    }
)
