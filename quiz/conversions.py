"""Offline conversions for the ad platforms, pure: Google Ads and Microsoft Ads click-conversion
import CSV, and Meta Conversions API events as JSON lines.

What a file holds is the click id, the conversion's name, time, value and currency and,
for Meta, the SHA-256 of the email and phone: never a name, an answer, a suitability, an
outcome or an area. A file with nothing to send is valid: its header lines only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from quiz.messages import N_, Message
from quiz.validation import text_problem

PLATFORMS = ("google", "microsoft", "meta")
# The statuses a conversion can be counted at, and the later ones that imply them: a lead
# won without being marked booked first still had its consultation.
CONVERSION_STATUSES = {"booked": ("booked", "won"), "won": ("won",)}
DEFAULT_NAME = "Consultation booked"
NAME_MAX = 100
# The conversion value column's range: Numeric(12, 2).
VALUE_LIMIT = Decimal("10000000000")
CENT = Decimal("0.01")
# The click id each platform matches a conversion by.
CLICK_ID_OF = {"google": "gclid", "microsoft": "msclkid", "meta": "fbclid"}
# Google Ads and Microsoft Ads read the time zone from this first line, so times are UTC.
TIME_ZONE_LINE = "Parameters:TimeZone=+0000"
CSV_HEADERS = {
    "google": "Google Click ID",
    "microsoft": "Microsoft Click ID",
}
_CSV_COLUMNS = ("Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency")
# Google's and Microsoft's documented "yyyy-MM-dd HH:mm:ss" with the zone given above.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Meta: "system_generated" is an event a system recorded, here a clinic's status change.
ACTION_SOURCE = "system_generated"
CURRENCY = re.compile(r"^[A-Z]{3}$")
# The characters spreadsheets read as a formula: a conversion name never starts with one.
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Conversion:
    """One lead that reached the conversion status, with what the platforms match it by."""

    lead_id: str
    converted_at: datetime
    # When the lead, and so the click id, reached the quiz: Meta's fbc creation time.
    clicked_at: datetime
    click_id: str
    email: str
    phone: str | None
    name: str = DEFAULT_NAME
    value: Decimal | None = None
    currency: str | None = None


def conversion_time(value: datetime) -> str:
    """Return a time as the Google and Microsoft files take it, in UTC."""
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def click_csv(platform: str, conversions: Iterable[Conversion]) -> str:
    """Return the Google Ads or Microsoft Ads click-conversion import file."""
    out = io.StringIO()
    out.write(TIME_ZONE_LINE + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((CSV_HEADERS[platform], *_CSV_COLUMNS))
    for item in conversions:
        writer.writerow(
            (
                item.click_id,
                item.name,
                conversion_time(item.converted_at),
                _amount(item.value),
                item.currency or "",
            )
        )
    return out.getvalue()


def sha256_hex(text: str) -> str:
    """Return the SHA-256 of a text's UTF-8 bytes as lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalised_email(email: str) -> str:
    """Return an email as Meta hashes it: trimmed and lower-cased."""
    return email.strip().lower()


def normalised_phone(phone: str | None) -> str | None:
    """Return a phone as Meta hashes it, digits only with the country code, or None.

    A number written without its country code (no leading + or 00) cannot be completed
    without guessing the country, so it is left out rather than sent wrong.
    """
    if not phone:
        return None
    text = phone.strip()
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    else:
        return None
    # "+44 (0)20 …": the bracketed trunk zero is not dialled after a country code.
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    return digits or None


def fbc(clicked_at: datetime, fbclid: str) -> str:
    """Return Meta's click id parameter, fb.1.<creation time in ms>.<fbclid>."""
    return f"fb.1.{int(clicked_at.timestamp() * 1000)}.{fbclid}"


def meta_event(item: Conversion) -> dict:
    """Return one Conversions API event for a conversion."""
    user_data: dict = {"em": [sha256_hex(normalised_email(item.email))]}
    phone = normalised_phone(item.phone)
    if phone:
        user_data["ph"] = [sha256_hex(phone)]
    user_data["fbc"] = fbc(item.clicked_at, item.click_id)
    event = {
        "event_name": item.name,
        "event_time": int(item.converted_at.timestamp()),
        "event_id": item.lead_id,
        "action_source": ACTION_SOURCE,
        "user_data": user_data,
    }
    if item.value is not None and item.currency:
        # Meta takes a value only with its currency.
        event["custom_data"] = {"value": float(item.value), "currency": item.currency}
    return event


def meta_lines(conversions: Iterable[Conversion]) -> str:
    """Return the Meta events, one JSON object a line."""
    return "".join(
        json.dumps(meta_event(item), ensure_ascii=False, separators=(",", ":")) + "\n"
        for item in conversions
    )


def render(platform: str, conversions: Iterable[Conversion]) -> str:
    """Return the file of a platform for these conversions."""
    if platform == "meta":
        return meta_lines(conversions)
    return click_csv(platform, conversions)


def check_conversion_settings(
    name: str | None, value: str | None, currency: str | None
) -> tuple[tuple[str | None, Decimal | None, str | None], dict[str, list[Message]]]:
    """Check a clinic's conversion name, value and currency; empty means the default / none.

    Returns the values to store and the problems, by field (conversion_name, …).
    """
    errors: dict[str, list[Message]] = {}
    # Checked before trimming: strip() would quietly drop a line break at either end.
    problem = text_problem(name or "")
    name = (name or "").strip() or None
    if problem is not None:
        errors["conversion_name"] = [problem]
    elif name is not None:
        if len(name) > NAME_MAX:
            errors["conversion_name"] = [
                N_("Must be at most %(limit)d characters.", limit=NAME_MAX)
            ]
        elif name.startswith(_FORMULA_START):
            errors["conversion_name"] = [N_("Please start the name with a letter or digit.")]
    amount = None
    if (value or "").strip():
        try:
            amount = Decimal((value or "").strip())
        except ArithmeticError:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount < VALUE_LIMIT:
            errors["conversion_value"] = [N_("Please give an amount like 120 or 99.50.")]
            amount = None
        elif amount != amount.quantize(CENT):
            errors["conversion_value"] = [N_("Please give at most two decimals.")]
        else:
            amount = amount.quantize(CENT)
    code = (currency or "").strip().upper() or None
    if code is not None and not CURRENCY.match(code):
        errors["conversion_currency"] = [N_("Please give a three-letter currency code, like EUR.")]
    elif amount is not None and code is None:
        errors["conversion_currency"] = [N_("A value needs its currency, like EUR.")]
    return (name, amount, code), errors
