"""The sign-in lock: repeated failures for one address from one network lock that pair only.

Counting per address and network means an outsider's failures lock the outsider out, never
the account's owner signing in from elsewhere. Unknown addresses are counted like real ones,
so the lock says nothing about which accounts exist.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.models import SignInLock

LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)
NETWORK_LENGTH = 50


def network_of(address: str | None) -> str:
    """Return the network a sign-in comes from: the IPv4 address, or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "")[:NETWORK_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        # One subscriber gets a whole /64: hopping between its addresses must not buy guesses.
        return str(ipaddress.IPv6Network((int(ip), 64), strict=False))
    return str(ip)


def _pair(email: str, network: str):
    return SignInLock.email == email, SignInLock.network == network


def is_locked(session: Session, email: str, network: str, now: datetime) -> bool:
    """Tell whether sign-in for `email` from `network` is locked at `now`."""
    until = session.execute(
        select(SignInLock.locked_until).where(*_pair(email, network))
    ).scalar_one_or_none()
    return until is not None and until > now


def record_failure(session: Session, email: str, network: str, now: datetime) -> bool:
    """Count a failed sign-in for the pair; return True when it has just locked the pair."""
    # Records whose window has passed and that hold no lock are forgotten first, this one's
    # too (it then starts again at one), so the table only keeps what can still matter.
    session.execute(
        delete(SignInLock).where(
            SignInLock.window_started_at <= now - LOCK_WINDOW,
            or_(SignInLock.locked_until.is_(None), SignInLock.locked_until <= now),
        )
    )
    if not _count(session, email, network):
        try:
            with session.begin_nested():
                session.add(
                    SignInLock(email=email, network=network, failures=1, window_started_at=now)
                )
        except IntegrityError:
            # A concurrent failure of the same pair made the record first: count on it.
            _count(session, email, network)
    failures = session.execute(
        select(SignInLock.failures).where(*_pair(email, network))
    ).scalar_one()
    if failures < LOCK_AFTER:
        return False
    session.execute(
        update(SignInLock)
        .where(*_pair(email, network))
        .values(failures=0, window_started_at=now, locked_until=now + LOCK_TIME)
    )
    return True


def _count(session: Session, email: str, network: str) -> int:
    # One UPDATE, not read-then-write, so concurrent failures are all counted.
    result = session.execute(
        update(SignInLock).where(*_pair(email, network)).values(failures=SignInLock.failures + 1)
    )
    return result.rowcount


def forget(session: Session, email: str, network: str | None = None) -> None:
    """Forget the failures and lock of `email` from `network`, or from every network."""
    where = _pair(email, network) if network is not None else (SignInLock.email == email,)
    session.execute(delete(SignInLock).where(*where))
