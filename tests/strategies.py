"""Hypothesis strategies for hostile input: lone surrogates, controls, odd digits, edge times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

# Every code point, lone surrogates included: st.text() leaves surrogates out unless told.
ANY_CHARACTER = st.characters(exclude_categories=())
# Digits other than 0-9 that str.isdigit() takes: superscripts, Arabic-Indic, full-width.
ODD_DIGITS = st.characters(categories=["Nd", "No"], exclude_characters="0123456789")
# Pieces that broke a check before, drawn often enough for a short run to meet them.
TRICKY = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\r\n", "\x85", "\u2028", "\u202e", "\ufeff", "=?", "?=", "²"]
)


def hostile_text(max_size: int = 30) -> st.SearchStrategy[str]:
    """Text of any code points (lone surrogates too) with the known tricky pieces mixed in."""
    return st.lists(st.one_of(ANY_CHARACTER, TRICKY, ODD_DIGITS), max_size=max_size).map("".join)


def header_text(max_size: int = 30) -> st.SearchStrategy[str]:
    """Hostile text a client will put in a header: no CR or LF, no space at the start."""
    # requests (under schemathesis) also refuses a value that starts with a space.
    return hostile_text(max_size).map(lambda s: s.replace("\r", "").replace("\n", "").lstrip())


# Fixed UTC offsets to the minute, as ISO 8601 can write them.
OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def iso_times() -> st.SearchStrategy[str]:
    """ISO 8601 times from year 1 to 9999, the edges included, with or without an offset."""
    # An offset can carry the first or last instant out of the datetime range in UTC.
    edges = st.sampled_from([datetime.min, datetime.max])
    moments = st.one_of(edges, st.datetimes())
    zones = st.one_of(st.none(), OFFSETS)
    return st.builds(lambda when, zone: when.replace(tzinfo=zone).isoformat(), moments, zones)


def whole_number_texts() -> st.SearchStrategy[str]:
    """Texts that look like numbers: plain, signed, huge, or in digits other than 0-9."""
    return st.one_of(
        st.integers(min_value=-1000, max_value=1000).map(str),
        # Long enough for int() to refuse (more than 4,300 digits).
        st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n),
        st.text(ODD_DIGITS, min_size=1, max_size=4),
        # Superscripts, circled digits: str.isdigit() takes them, int() does not.
        st.text(st.characters(categories=["No"]), min_size=1, max_size=3),
        hostile_text(8),
    )
