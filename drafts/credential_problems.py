"""What a channel's credential must hold for a post to go out, and the problem a post waiting
on that channel has when it does not: not connected, a token that dies before the post is due,
or a consent that left out a scope posting needs.

The review page, the calendar and ``tidings draft show`` say it beside the post, before its
time, instead of the daemon failing at publish time. It is a warning, never a refusal: submit
and approve go ahead, since an admin may reconnect before the post is due, and the line stays
until the credential is fixed. The connectors in ``scheduler.connect`` read the same scopes
when they ask for consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from drafts.channels import ChannelBase, LinkedInChannel, WebhookChannel
from drafts.config import Config
from drafts.errors import NotFoundError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Connection, Draft, Post
from drafts.times import show

# Each platform's scopes for publishing text and images, as PLATFORMS.md cites them.
REQUIRED_SCOPES: dict[str, tuple[str, ...]] = {
    # PLATFORMS.md §2 and §10.3: POST /2/tweets needs tweet.read tweet.write users.read;
    # media.write for uploads; offline.access for a refresh token.
    "x": ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
    # PLATFORMS.md §3 and §10.3 (Mastodon's broader "write" covers both).
    "mastodon": ("write:statuses", "write:media"),
    # PLATFORMS.md §5 (Facebook Pages): publishing to a Page.
    "facebook": ("pages_manage_posts", "pages_read_engagement"),
    # PLATFORMS.md §6 (Threads): threads_basic and threads_content_publish.
    "threads": ("threads_basic", "threads_content_publish"),
}
# Scopes asked for when connecting besides those: a thread's later parts and a first comment
# are replies or comments. Without them plain posts still go out, so they are not required.
REPLY_SCOPES: dict[str, tuple[str, ...]] = {
    # Graph API "Comments": commenting as the Page.
    "facebook": ("pages_manage_engagement",),
    # Threads "Reply Management": posting replies, and reading them to find one whose answer
    # was lost.
    "threads": ("threads_manage_replies", "threads_read_replies"),
}
# Platforms whose token renews itself without a refresh token: Threads' long-lived token is
# exchanged for a new one while it is valid (PLATFORMS.md §6, th_refresh_token).
RENEWED_WITHOUT_REFRESH_TOKEN = frozenset({"threads"})

# The problems, worded once; ``CredentialProblem.words`` fills them in.
NOT_CONNECTED = "%(channel)s is not connected: an admin connects it on the Channels page"
NOT_CONNECTED_NOR_SET = (
    "%(channel)s is not connected and %(variable)s is not set: "
    "an admin connects it on the Channels page"
)
TOKEN_EXPIRES = "%(channel)s's token expires on %(date)s, before this post is due: reconnect"
REFRESH_EXPIRES = (
    "%(channel)s's token can be renewed only until %(date)s, before this post is due: reconnect"
)
RENEWAL_FAILED = (
    "%(channel)s's token could not be renewed and expires on %(date)s, "
    "before this post is due: reconnect"
)
MISSING_SCOPE = "%(channel)s was connected without %(scopes)s: reconnect and allow it"
MISSING_SCOPES = "%(channel)s was connected without %(scopes)s: reconnect and allow them"

# Posts the daemon still has to send, of drafts on their way out (submitted, not sent back).
STILL_TO_SEND = frozenset({PostStatus.PENDING, PostStatus.SCHEDULED, PostStatus.RETRYING})
ON_THEIR_WAY = frozenset({DraftStatus.IN_REVIEW, DraftStatus.APPROVED, DraftStatus.SCHEDULED})


def required_scopes(channel: ChannelBase) -> tuple[str, ...]:
    """The scopes ``channel``'s credential needs for posting; a LinkedIn page's differ from a
    member's (PLATFORMS.md §1: w_organization_social, or w_member_social)."""
    if isinstance(channel, LinkedInChannel):
        page = channel.author.startswith("urn:li:organization:")
        return ("w_organization_social",) if page else ("w_member_social",)
    return REQUIRED_SCOPES.get(channel.platform, ())


@dataclass(frozen=True)
class CredentialProblem:
    """Why a channel cannot send a post due at some time: ``message`` (one of the sentences
    above) and what fills it in; the date in the reader's zone (``words``, ``line``)."""

    message: str
    channel: str
    variable: str = ""
    scopes: tuple[str, ...] = ()
    date: datetime | None = None

    def words(self, zone: tzinfo = UTC) -> dict[str, str]:
        date = show(self.date, zone) if self.date is not None else ""
        scopes = ", ".join(self.scopes)
        return {"channel": self.channel, "variable": self.variable, "scopes": scopes, "date": date}

    def line(self, zone: tzinfo = UTC) -> str:
        """The problem in one line of English, its date in ``zone``."""
        return self.message % self.words(zone)


def credential_problem(
    channel: ChannelBase,
    connection: Connection | None,
    *,
    secret_in_environment: bool,
    due: datetime,
) -> CredentialProblem | None:
    """What keeps ``channel`` from sending a post due at ``due``, or None.

    ``connection`` is its row (None: not connected from the web app; a connection wins over
    the environment); ``secret_in_environment`` whether its ``token_env`` is set where the
    caller runs. A channel configured with a token in the environment says nothing: only the
    platform can tell whether that token still works (``tidings channels check``)."""
    if isinstance(channel, WebhookChannel):  # a signing secret is optional; nothing expires
        return None
    if connection is None:
        return _unconnected(channel, secret_in_environment)
    missing = missing_scopes(channel, connection.scopes)
    if missing:
        message = MISSING_SCOPE if len(missing) == 1 else MISSING_SCOPES
        return CredentialProblem(message, channel.id, scopes=missing)
    return _expiry(channel, connection, due)


def secret_in_environment(channel: ChannelBase, environment: Mapping[str, str]) -> bool:
    """Whether ``environment`` sets the variable ``channel`` names for its secret."""
    name = channel.secret_variable
    return name is not None and bool(environment.get(name))


def missing_scopes(channel: ChannelBase, granted: str) -> tuple[str, ...]:
    """The scopes posting on ``channel`` needs that ``granted`` (space-separated, as stored)
    lacks. A platform that did not say which scopes it granted ("") is not held to have
    granted none."""
    held = granted.split()
    if not held:
        return ()
    return tuple(scope for scope in required_scopes(channel) if not _granted(scope, held))


def _granted(scope: str, granted: list[str]) -> bool:
    """Whether ``granted`` holds ``scope``, or a broader scope that includes it: Mastodon's
    ``write`` grants every ``write:…`` (docs.joinmastodon.org/api/oauth-scopes)."""
    return any(scope == each or scope.startswith(each + ":") for each in granted)


def _unconnected(channel: ChannelBase, in_environment: bool) -> CredentialProblem | None:
    if in_environment:
        return None
    variable = channel.secret_variable
    if variable is None:
        return CredentialProblem(NOT_CONNECTED, channel.id)
    return CredentialProblem(NOT_CONNECTED_NOR_SET, channel.id, variable=variable)


def _expiry(channel: ChannelBase, row: Connection, due: datetime) -> CredentialProblem | None:
    """The token's end before ``due``, where nothing renews it until then. A renewal that
    failed leaves the token as it is: the post still goes if it is due before the token ends."""
    if row.expires_at is None or row.expires_at > due:  # Mastodon, a Facebook Page: no end
        return None
    if _renewal_failed(row):
        return CredentialProblem(RENEWAL_FAILED, channel.id, date=row.expires_at)
    renews = row.has_refresh_token or channel.platform in RENEWED_WITHOUT_REFRESH_TOKEN
    if not renews:
        return CredentialProblem(TOKEN_EXPIRES, channel.id, date=row.expires_at)
    if row.refresh_expires_at is not None and row.refresh_expires_at <= due:
        return CredentialProblem(REFRESH_EXPIRES, channel.id, date=row.refresh_expires_at)
    return None


def _renewal_failed(row: Connection) -> bool:
    """Whether the last renewal failed and none succeeded since."""
    failed = row.refresh_failed_at
    if row.refresh_error is None or failed is None:
        return False
    return row.refreshed_at is None or failed > row.refreshed_at


@dataclass(frozen=True)
class CredentialCheck:
    """What the pages need to say which waiting posts their channels cannot send: the
    configuration, every channel's connection row and the environment, read once a page."""

    config: Config
    connections: Mapping[str, Connection]
    environment: Mapping[str, str]
    now: datetime

    def problem(self, channel_id: str, due: datetime) -> CredentialProblem | None:
        """The problem of a post on ``channel_id`` due at ``due`` (a past time counts as now);
        None for a channel no longer configured, which the card says otherwise."""
        try:
            channel = self.config.channel(channel_id)
        except NotFoundError:
            return None
        return credential_problem(
            channel,
            self.connections.get(channel_id),
            secret_in_environment=secret_in_environment(channel, self.environment),
            due=max(due, self.now),
        )

    def post_problem(self, post: Post, draft: Draft) -> CredentialProblem | None:
        """The problem of ``post`` if it is still to be sent, at its due time, else its
        draft's ``publish_at``, else now; None once it is sent or while its draft is not on
        its way (not submitted, or sent back)."""
        if post.status not in STILL_TO_SEND or draft.status not in ON_THEIR_WAY:
            return None
        return self.problem(post.channel, post.due_at or draft.publish_at or self.now)
