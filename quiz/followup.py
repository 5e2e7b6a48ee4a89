"""Follow-up rules: a clinic's follow-up time and working hours, when a lead is overdue,
and the keyed blind index that finds a returning visitor's earlier lead."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from quiz.messages import N_, Message

MAX_FOLLOW_UP_HOURS = 720
# "09:00-18:00": a daily window in UTC (clinics have no time zone of their own yet).
_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)")
RETURNING_DAYS = 90
MIN_PHONE_DIGITS = 6


@dataclass(frozen=True)
class Window:
    """Working hours: minutes after midnight UTC when work starts and ends, every day."""

    start: int
    end: int

    def __str__(self) -> str:
        """Return the window as HH:MM-HH:MM."""
        start, end = divmod(self.start, 60), divmod(self.end, 60)
        return f"{start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}"


def parse_hours(value: object) -> float | Message:
    """Return a follow-up time in hours (0 < hours <= 720), or why it is not one."""
    try:
        hours = float(str(value).strip())
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours) or hours <= 0 or hours > MAX_FOLLOW_UP_HOURS:
        return N_(
            "follow-up time: a positive number of hours, at most %(max)d",
            max=MAX_FOLLOW_UP_HOURS,
        )
    return hours


def parse_window(value: str | None) -> Window | Message | None:
    """Return working hours from "HH:MM-HH:MM" (UTC), None for blank, or why it is not one."""
    text = (value or "").strip()
    if not text:
        return None
    match = _WINDOW.fullmatch(text)
    if match is not None:
        sh, sm, eh, em = (int(g) for g in match.groups())
        start, end = sh * 60 + sm, eh * 60 + em
        if start < end <= 24 * 60:
            return Window(start, end)
    return N_("working hours: write them as 09:00-18:00 (UTC), the start before the end")


def due_at(created: datetime, hours: float, window: Window | None = None) -> datetime:
    """Return when a lead created at `created` must have had its first contact.

    Without working hours that is `hours` later; with them only time inside the daily window
    (UTC) counts, so a lead arriving at night waits from the next morning.
    """
    created = created.astimezone(UTC)
    if window is None:
        return created + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    per_day = timedelta(minutes=window.end - window.start)
    day = created.date()
    moment = created
    while True:
        opens = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(minutes=window.start)
        closes = opens + per_day
        moment = max(moment, opens)
        if moment < closes:
            available = closes - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            # Whole working days at once: the loop runs a few times, not once per day.
            whole = int(remaining / per_day)
            if whole and remaining - whole * per_day == timedelta(0):
                whole -= 1
            day += timedelta(days=whole)
            remaining -= whole * per_day
        day += timedelta(days=1)
        moment = datetime.combine(day, time.min, tzinfo=UTC)


def normal_email(email: str | None) -> str | None:
    """Return an email as matched for a returning visitor: trimmed, lower case."""
    text = (email or "").strip().lower()
    return text or None


def normal_phone(phone: str | None) -> str | None:
    """Return a phone's digits (None when too few to tell one person from another).

    A leading 00 is the international prefix that "+" stands for, so it is dropped.
    """
    digits = "".join(c for c in phone or "" if c.isdigit() and c.isascii())
    digits = digits[2:] if digits.startswith("00") else digits
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def index_key(secret: str | bytes) -> bytes:
    """Derive the blind index's own key from the app's secret (never the secret itself)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"quiz returning-visitor blind index v1", hashlib.sha256).digest()


def blind_index(key: bytes, kind: str, value: str | None) -> str | None:
    """Return the HMAC-SHA256 (hex) of a normalised email or phone, None when there is none."""
    if value is None:
        return None
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
