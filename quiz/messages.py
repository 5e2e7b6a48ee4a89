"""Marking messages of pure modules for translation without importing Flask.

`N_("Text %(n)d.", n=3)` returns the English text ("Text 3.") as a string that also keeps its
catalogue id and values, so the views can translate it for the visitor (quiz.i18n.translate)
while the API and the tests still see plain English. pybabel extracts N_ calls (babel.cfg).
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """An English message that remembers its catalogue id and the values put into it."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        """Build the English text from the id and values."""
        text = msgid % params if params else msgid
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = params
        return obj


def N_(msgid: str, **params: Any) -> Message:
    """Mark a message for extraction; return it as English text that can be translated later."""
    return Message(msgid, **params)
