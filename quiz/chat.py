"""Chat notifications: which format a chat webhook URL takes, its message, URL rules.

A Microsoft Teams workflow gets a message with one Adaptive Card; anything else gets the
Slack-compatible `{"text": …}` that Slack, Mattermost, Rocket.Chat and Google Chat accept.
A message only ever says that something happened at a clinic and links to the back office:
it is read in a chat channel, so it never carries a name, a contact detail or anything
derived from the answers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import force_locale, gettext

from quiz.messages import N_, Message
from quiz.webhooks import is_public

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams' own card renderer supports 1.5, but 1.4 is what Power Automate's "post card" takes.
ADAPTIVE_CARD_VERSION = "1.4"
# Hosts of Teams workflow URLs (Power Automate, on Logic Apps or the Power Platform) and of
# the older Office 365 connectors, which take the same card message.
_TEAMS_SUFFIXES = (".logic.azure.com", ".powerplatform.com", ".webhook.office.com")
_TEAMS_HOSTS = ("webhook.office.com",)
MAX_URL_LENGTH = 500


@dataclass(frozen=True)
class ChatText:
    """What a message says, already in the clinic's language: a line, and the link's title."""

    line: str
    link_title: str


def new_lead_text(clinic_name: str, language: str) -> ChatText:
    """Return what the message about a new lead says, in the clinic's language."""
    with force_locale(language):
        return ChatText(
            line=gettext(
                "New enquiry for %(clinic)s from the skin assessment.", clinic=clinic_name
            ),
            link_title=gettext("Open the lead in the back office"),
        )


def test_text(clinic_name: str, language: str) -> ChatText:
    """Return what the test message from the clinic's settings page says."""
    with force_locale(language):
        return ChatText(
            line=gettext(
                "Test message: new enquiries for %(clinic)s from the skin assessment "
                "will be announced here.",
                clinic=clinic_name,
            ),
            link_title=gettext("Open the leads in the back office"),
        )


def chat_format(url: str) -> str:
    """Return "teams" for a Microsoft Teams workflow URL, else "slack"."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host in _TEAMS_HOSTS or host.endswith(_TEAMS_SUFFIXES):
        return "teams"
    return "slack"


def message(url: str, text: ChatText, link: str) -> dict:
    """Return the JSON-ready message for the chat at `url`: `text` and a link to `link`."""
    if chat_format(url) == "teams":
        return _adaptive_card(text, link)
    return {"text": f"{_slack_escape(text.line)}\n{link}"}


def _slack_escape(value: str) -> str:
    # Slack's three control characters; the others read "&lt;" as text too.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _adaptive_card(text: ChatText, link: str) -> dict:
    """The message format Teams workflows' "post to a channel when a webhook request is
    received" takes: a message whose one attachment is an Adaptive Card."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": ADAPTIVE_CARD_CONTENT_TYPE,
                "contentUrl": None,
                "content": {
                    "$schema": ADAPTIVE_CARD_SCHEMA,
                    "type": "AdaptiveCard",
                    "version": ADAPTIVE_CARD_VERSION,
                    "body": [{"type": "TextBlock", "text": text.line, "wrap": True}],
                    "actions": [{"type": "Action.OpenUrl", "title": text.link_title, "url": link}],
                },
            }
        ],
    }


def url_problem(url: str, *, allow_private: bool) -> Message | None:
    """Return why `url` cannot be a chat webhook, or None.

    The same rules the sending guard applies (quiz.webhooks.post), as far as they can be
    told without a DNS lookup: https only, no credentials, and no private or loopback
    address literal, unless `allow_private` (development), which also allows plain http.
    Names are resolved, and their addresses checked, at each send.
    """
    if len(url) > MAX_URL_LENGTH:
        return N_("chat URL: use at most %(limit)d characters", limit=MAX_URL_LENGTH)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return N_("chat URL %(url)r: not a valid URL", url=url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        return N_("chat URL %(url)r: expected an https URL", url=url)
    if parts.username or parts.password:
        return N_("chat URL %(url)r: remove the user name or password", url=url)
    if not allow_private and _private_host(parts.hostname):
        return N_("chat URL %(url)r: a private or loopback address is not allowed", url=url)
    return None


def _private_host(host: str) -> bool:
    if host.rstrip(".").lower() == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not is_public(ip)
