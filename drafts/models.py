"""The tables: users, drafts, variants, posts, reviews, attempts and their tallies, daemon
heartbeats and the audit log.

Model families follow ``XBase`` (shared fields) → ``X(table=True)``; times are aware and UTC.
"""

# No ``from __future__ import annotations`` here: SQLModel and pydantic would compile and
# evaluate each of the 200-odd field annotations back from its string when the module is
# imported (some 10 ms of every command that reads the database).

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    column,
    literal_column,
    text,
)
from sqlalchemy.sql.elements import ColumnElement, TextClause
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig  # model_config's type, which sqlmodel does not export

from drafts.lifecycle import PostStatus
from drafts.times import utcnow
from drafts.timestamps import AwareDateTime

# Ids are INTEGER columns, 32 bits on PostgreSQL: a larger number names no row, and as a query's
# parameter it would overflow (PostgreSQL's 32 bits, SQLite's 64) instead of finding nothing.
MAX_ID = 2**31 - 1


def could_be_id(number: int) -> bool:
    """Whether ``number`` (typed by someone) could be a stored row's id."""
    return 1 <= number <= MAX_ID


# The posts pages list by when they last changed: published (the desk's week, the Channels
# page), failed or needing a person (needs attention). ``ix_post_status_changed`` and
# ``ix_post_channel_changed`` hold these only, so a post's steps through the daemon
# (scheduled, publishing, retrying) change neither index: a claim of 100 posts among a million
# wrote 28% less (PostgreSQL: 4.1 -> 2.9 ms; SQLite 1.5 -> 1.1 ms).
LISTED_BY_CHANGE = (PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.NEEDS_ATTENTION)


# The posts the daemon claims once their time comes: scheduled, and retrying after a failed
# attempt. ``ix_post_status_attempt_at`` holds these only: a claim moves its posts out of it
# and nothing writes it again until a retry, so of a million posts it holds the few thousand
# waiting, and neither a claim nor a result writes it.
CLAIMABLE = (PostStatus.SCHEDULED, PostStatus.RETRYING)


def written_out(status: Any, values: tuple[PostStatus, ...]) -> ColumnElement[bool]:
    """``status`` (a post's column) is one of ``values``, written out as a partial index's
    condition is: SQLite takes a partial index only for a query that repeats its condition
    term for term, and PostgreSQL proves it from the values written in the statement (not
    from parameters, which a prepared statement's generic plan does not know). A query read
    along such an index adds it to its own conditions."""
    return status.in_([literal_column(f"'{value}'") for value in values])  # type: ignore[no-any-return]


def listed_by_change(status: Any) -> ColumnElement[bool]:
    """``status`` is one of ``LISTED_BY_CHANGE``, as the indexes of those posts say it."""
    return written_out(status, LISTED_BY_CHANGE)


def claimable(status: Any) -> ColumnElement[bool]:
    """``status`` is one of ``CLAIMABLE``, as ``ix_post_status_attempt_at`` says it."""
    return written_out(status, CLAIMABLE)


def publishing(status: Any) -> ColumnElement[bool]:
    """``status`` is ``publishing`` (a post in flight), written out: a generic plan of
    ``status = $1`` expects a ninth of the posts, where the statistics say that few are in
    flight. The daemon's next wake, which asks for the first lease running out, read every
    post for it at a million (72 ms a cycle) once the claim index no longer held them."""
    return written_out(status, (PostStatus.PUBLISHING,))


_LISTED_BY_CHANGE = listed_by_change(column("status"))
_CLAIMABLE = claimable(column("status"))

# Partial indexes, each with the condition of the rows it holds. The condition is a dialect's
# option (``sqlite_where``, ``postgresql_where``), and naming a dialect's option makes
# SQLAlchemy import that dialect: written into the models, PostgreSQL's cost every command on
# SQLite 25 ms. So each index is given its condition for the dialect of the database a process
# opens (``partial_indexes_for``, called by ``drafts.storage.Database``), before anything
# creates or compares them; the migrations create them with both.
_PARTIAL: list[tuple[Index, ColumnElement[bool] | TextClause]] = []


def _partial(index: Index, where: ColumnElement[bool] | TextClause) -> Index:
    _PARTIAL.append((index, where))
    return index


def partial_indexes_for(dialect: str) -> None:
    """Give each partial index its condition on ``dialect`` (``sqlite``, ``postgresql``)."""
    for index, where in _PARTIAL:
        index.dialect_options[dialect]["where"] = where


class Row(SQLModel):
    """What every table's model shares. SQLAlchemy reads and writes the rows and SQLModel makes
    a table's model without validating it, so the schema pydantic would otherwise build for each
    model at import (some 15 ms of every command's start) is built only if one is validated."""

    model_config = SQLModelConfig(defer_build=True)


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=AwareDateTime, nullable=nullable, index=index)


def _now() -> Any:
    return Field(default_factory=utcnow, sa_type=AwareDateTime, nullable=False)


def _parent(table: str) -> Any:
    return Field(
        sa_column=Column(Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)
    )


class User(Row, table=True):
    """A person who writes, reviews or administers; the daemon acts under its own name."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(64), unique=True, nullable=False)
    role: str = Field(sa_type=String(16), nullable=False)
    password_hash: str | None = Field(default=None, sa_type=String(255))
    language: str | None = Field(default=None, sa_type=String(35))  # BCP 47; the web UI's
    created_at: datetime = _now()
    email: str | None = Field(default=None, sa_type=String(320))  # where notifications go
    timezone: str | None = Field(default=None, sa_type=String(64))  # IANA; dates in messages
    # The notification events (drafts.notification_events.Event values) the user turned off.
    muted_events: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # The calendar feed's token (``/calendar.ics?token=``), kept as its SHA-256 only.
    feed_token_hash: str | None = Field(default=None, sa_type=String(64), unique=True, index=True)


class DraftBase(Row):
    """A piece of content as its author wrote it."""

    kind: str = Field(sa_type=String(16), nullable=False)
    title: str = Field(sa_type=String(200), nullable=False)
    template: str | None = Field(default=None, sa_type=String(64))
    channels: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    languages: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    publish_at: datetime | None = _when(nullable=True)
    publish_next_slot: bool = False
    expires_at: datetime | None = _when(nullable=True)
    # An RFC 5545 RRULE (``FREQ=WEEKLY;BYDAY=MO;COUNT=8``): publish_at is its first occurrence.
    repeat: str | None = Field(default=None, sa_type=String(500))


class Draft(DraftBase, table=True):
    __table_args__ = (
        # ``tidings draft list``: the latest changed first, a page at a time (drafts.keyset).
        Index("ix_draft_changed", "updated_at", "id"),
        Index("ix_draft_status_changed", "status", "updated_at", "id"),
        # An author's desk: their drafts of each status it groups, the latest moved first.
        Index("ix_draft_author_moved", "author_id", "status", "moved_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(sa_type=String(24), nullable=False)
    author_id: int = Field(foreign_key="user.id", nullable=False)
    content_hash: str = Field(sa_type=String(64), nullable=False)
    review_round: int = 0
    source: str = Field(default="", sa_type=Text, nullable=False)
    created_at: datetime = _now()
    updated_at: datetime = _now()
    # When it last moved: made, or a person's latest entry in the audit log about it (an edit,
    # a submission, a decision, scheduling, a retried post; ``drafts.audit.record``).
    moved_at: datetime = _now()


class Variant(Row, table=True):
    """The draft's content in one language: its own text, or the template fields for it, and
    the texts some channels send instead (by channel id; ``[channel_text.<channel id>]``)."""

    __table_args__ = (UniqueConstraint("draft_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = _parent("draft")
    language: str = Field(sa_type=String(35), nullable=False)
    text: str | None = Field(default=None, sa_type=Text)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    channel_texts: dict[str, str] = Field(default_factory=dict, sa_type=JSON, nullable=False)


class Post(Row, table=True):
    """One publication: one variant rendered for one channel (for one occurrence of a
    recurring draft; a draft that does not repeat has only occurrence 1), as one part of its
    chain: ``part`` 1 of ``parts`` for a plain post; the parts of a thread, each a reply to the
    one before; and a first comment, the part after the last (``part == parts + 1``)."""

    __table_args__ = (
        # An index, not a constraint: SQLite changes an index without copying the table.
        Index("ux_post_key", "draft_id", "channel", "language", "occurrence", "part", unique=True),
        # Its variant: its draft's in its language. Deleting a variant finds its posts along
        # ux_post_key, which leads with the draft: no index of its own for the daemon to write
        # each time a post moves (migration 0029).
        ForeignKeyConstraint(
            ["draft_id", "language"],
            ["variant.draft_id", "variant.language"],
            name="fk_post_variant",
            ondelete="CASCADE",
        ),
        # The queue a page at a time, in due order (drafts.queueing.upcoming_posts), and the
        # posts of one status by due time; for one channel, the second. Channel, language and
        # part after: the calendar's cells are ranked from either alone (calendar_cells).
        Index("ix_post_queue", "status", "due_at", "id", "channel", "language", "part"),
        Index("ix_post_channel_queue", "channel", "status", "due_at", "id", "language", "part"),
        # The daemon's claim, and its next wake: the posts waiting for their time (``CLAIMABLE``).
        _partial(Index("ix_post_status_attempt_at", "status", "attempt_at"), _CLAIMABLE),
        # The posts of a status the latest changed first: published this week (the desk),
        # needing attention; and a channel's latest published post (the Channels page). Of
        # those statuses only (``LISTED_BY_CHANGE``).
        _partial(Index("ix_post_status_changed", "status", "updated_at", "id"), _LISTED_BY_CHANGE),
        _partial(
            Index("ix_post_channel_changed", "channel", "status", "updated_at", "id"),
            _LISTED_BY_CHANGE,
        ),
        # The same posts of one author (the desk's published and needing-attention groups),
        # with their drafts: an author's are found without reading anyone else's.
        _partial(
            Index("ix_post_author_changed", "author_id", "status", "updated_at", "id", "draft_id"),
            _LISTED_BY_CHANGE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = _parent("draft")
    # Its draft's author, copied when the post is made (a draft's author never changes).
    author_id: int = Field(nullable=False)
    channel: str = Field(sa_type=String(40), nullable=False)
    platform: str = Field(sa_type=String(16), nullable=False)
    language: str = Field(sa_type=String(35), nullable=False)
    occurrence: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    part: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    parts: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    text: str = Field(sa_type=Text, nullable=False)
    length: int = Field(nullable=False)
    length_limit: int | None = None
    status: str = Field(sa_type=String(24), nullable=False)
    due_at: datetime | None = _when(nullable=True)
    remote_id: str | None = Field(default=None, sa_type=String(255))
    remote_url: str | None = Field(default=None, sa_type=String(1000))
    created_at: datetime = _now()
    updated_at: datetime = _now()
    # Publishing: when the daemon may next try, who holds it, and what it chose before sending.
    attempt_at: datetime | None = _when(nullable=True)
    lease_owner: str | None = Field(default=None, sa_type=String(80))
    lease_until: datetime | None = _when(nullable=True)
    failures: int = Field(default=0, nullable=False)
    reconcile: bool = Field(default=False, nullable=False)
    idempotency_key: str | None = Field(default=None, sa_type=String(64))
    publish_state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    reason: str | None = Field(default=None, sa_type=Text)

    @property
    def is_comment(self) -> bool:
        """Whether this part is the first comment, published after the thread's last part."""
        return self.part > self.parts


class Attempt(Row, table=True):
    """One try to publish one post, recorded before the request is sent and completed after."""

    __table_args__ = (
        UniqueConstraint("post_id", "number"),
        Index("ix_attempt_log", "started_at", "id"),  # ``tidings log``: the latest first
        # The attempts that ended without publishing (the Channels page's last errors): the
        # few, apart from the many that published.
        _partial(Index("ix_attempt_unpublished", "id"), text("outcome != 'published'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = _parent("post")
    number: int = Field(nullable=False)
    worker: str = Field(sa_type=String(80), nullable=False)
    started_at: datetime = _now()
    finished_at: datetime | None = _when(nullable=True)
    outcome: str | None = Field(default=None, sa_type=String(16))
    http_status: int | None = None
    remote_id: str | None = Field(default=None, sa_type=String(255))
    remote_url: str | None = Field(default=None, sa_type=String(1000))
    error: str | None = Field(default=None, sa_type=Text)
    duration_ms: int | None = None


class AttemptTally(Row, table=True):
    """How many attempts have ended, by platform, outcome and (for a published post whose due
    time was known) how late it went out, counted as each ends (``scheduler.tallies``): a scrape
    reads these few rows however many attempts are stored, and pruning, which deletes attempts,
    leaves the counts as they were."""

    __tablename__ = "attempt_tally"

    platform: str = Field(sa_type=String(16), primary_key=True)
    outcome: str = Field(sa_type=String(16), primary_key=True)
    # The upper bound of the bucket its lateness fell in (from the due time to the platform's
    # answer), as Prometheus writes it ('1.0', '5.0', ... '+Inf'); '' where none is counted.
    lag_bucket: str = Field(sa_type=String(16), primary_key=True)
    attempts: int = Field(sa_type=BigInteger, nullable=False)
    late_seconds: float = Field(sa_type=Float, nullable=False)  # their lateness summed


class DaemonHeartbeat(Row, table=True):
    """A running daemon's latest sign of life, written every ``[scheduler] heartbeat_seconds``
    together with the leases it renews, and deleted when it stops cleanly."""

    __tablename__ = "daemon_heartbeat"

    worker: str = Field(sa_type=String(80), primary_key=True)  # host:pid, as leases name it
    host: str = Field(sa_type=String(255), nullable=False)
    pid: int = Field(nullable=False)
    # Equal for two processes only when each can see the other's pid (scheduler.heartbeat).
    host_key: str = Field(sa_type=String(64), nullable=False)
    started_at: datetime = _when()
    beat_at: datetime = _when()


class ChannelState(Row, table=True):
    """What every daemon must know about a channel: the rate-limit window it is in."""

    __tablename__ = "channel_state"

    channel: str = Field(sa_type=String(40), primary_key=True)
    blocked_until: datetime | None = _when(nullable=True)
    reason: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = _now()
    # What the platform said about counting (a Mastodon instance's max_characters), if asked.
    text_limits: dict[str, int] | None = Field(default=None, sa_type=JSON)
    # What it said about images (a Mastodon instance's image_size_limit, ...), if asked.
    media_limits: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Review(Row, table=True):
    """One reviewer's decision on one draft, bound to the rendered content it saw."""

    __table_args__ = (Index("ix_review_draft_id", "draft_id"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = _parent("draft")
    reviewer_id: int = Field(foreign_key="user.id", nullable=False)
    decision: str = Field(sa_type=String(24), nullable=False)
    comment: str = Field(default="", sa_type=Text, nullable=False)
    content_hash: str = Field(sa_type=String(64), nullable=False)
    review_round: int = Field(nullable=False)
    # The posts as the reviewer saw them ({"channel", "language", "text"} each), so a later
    # page can show what changed since; None for reviews recorded before migration 0005.
    posts_seen: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = _now()


class DraftRevision(Row, table=True):
    """The posts of a draft as they stood under one content hash, kept so that a reviewer whose
    page went stale can be shown what changed since they opened it."""

    __tablename__ = "draft_revision"
    __table_args__ = (UniqueConstraint("draft_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = _parent("draft")
    content_hash: str = Field(sa_type=String(64), nullable=False)
    posts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    created_at: datetime = _now()


class WebSession(Row, table=True):
    """One signed-in browser. The cookie holds a random key; only its SHA-256 is stored, so
    logging out, a new password, a role change or removing the user ends every copy at once."""

    __tablename__ = "web_session"

    key_hash: str = Field(sa_type=String(64), primary_key=True)
    user_id: int = _parent("user")
    created_at: datetime = _now()
    expires_at: datetime = _when(index=True)


class LoginFailures(Row, table=True):
    """The recent failed logins for one name or from one client address, kept in the database
    so that every web process counts the same ones and a lock can be lifted from anywhere
    (``drafts.login_failures``). Kept under the SHA-256 of what was typed: a password typed
    into the name field is never stored."""

    __tablename__ = "login_failures"

    key_hash: str = Field(sa_type=String(64), primary_key=True)
    failed_at: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)  # ISO 8601
    last_failed_at: datetime = _when(index=True)


class MediaBlob(Row, table=True):
    """One image, cleaned of metadata, stored once under the SHA-256 of its bytes and never
    changed (``drafts.media_store`` says why the database holds them)."""

    __tablename__ = "media_blob"

    sha256: str = Field(sa_type=String(64), primary_key=True)
    content_type: str = Field(sa_type=String(32), nullable=False)
    width: int = Field(nullable=False)
    height: int = Field(nullable=False)
    size: int = Field(nullable=False)  # bytes
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _now()


class MediaVariant(Row, table=True):
    """A platform's version of an image, made once: ``profile`` names the limits it meets."""

    __tablename__ = "media_variant"

    source_sha256: str = Field(sa_type=String(64), primary_key=True)
    profile: str = Field(sa_type=String(200), primary_key=True)
    sha256: str = Field(sa_type=String(64), nullable=False)
    change: str | None = Field(default=None, sa_type=Text)


class PostMedia(Row, table=True):
    """One image one post sends, in order: the version its platform gets, and the alt text in
    the post's language."""

    __tablename__ = "post_media"

    post_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    position: int = Field(primary_key=True)
    sha256: str = Field(sa_type=String(64), nullable=False, index=True)
    original_sha256: str = Field(sa_type=String(64), nullable=False, index=True)
    alt: str = Field(default="", sa_type=Text, nullable=False)
    # What was done to the original for this platform ("downsized ... for bluesky"), or None.
    change: str | None = Field(default=None, sa_type=Text)
    name: str = Field(default="", sa_type=String(500), nullable=False)  # the file the draft named


class AuditEntry(Row, table=True):
    """Who did what to which draft or post, and when. Never updated, never deleted."""

    __tablename__ = "audit_log"
    # One action's entries (of one draft): the daemon's last clean stop, a draft's submissions.
    __table_args__ = (Index("ix_audit_log_action", "action", "draft_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _now()
    actor: str = Field(sa_type=String(64), nullable=False)
    action: str = Field(sa_type=String(40), nullable=False)
    draft_id: int | None = Field(default=None, index=True)
    post_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", sa_type=Text, nullable=False)


class StoredCredential(Row, table=True):
    """A secret in the vault, encrypted with AES-GCM under ``TIDINGS_SECRET_KEY``: a token an
    admin connected from the Channels page, or one the daemon obtained itself (a renewed token,
    a Bluesky session). ``kind`` says which (``token``, ``refresh``, ``bluesky_session``, ...)."""

    __tablename__ = "credential"

    channel: str = Field(sa_type=String(40), primary_key=True)
    kind: str = Field(sa_type=String(40), primary_key=True)
    ciphertext: str = Field(sa_type=Text, nullable=False)
    expires_at: datetime | None = _when(nullable=True)
    updated_at: datetime = _now()


class Connection(Row, table=True):
    """A channel connected from the web app: who connected it and when, the account it posts as,
    the scopes granted and when its credential expires. The secrets themselves are in the vault
    (``StoredCredential``); deleting the connection deletes them."""

    __tablename__ = "connection"

    channel: str = Field(sa_type=String(40), primary_key=True)
    platform: str = Field(sa_type=String(20), nullable=False)
    account_id: str = Field(default="", sa_type=String(255), nullable=False)
    account_name: str = Field(default="", sa_type=String(255), nullable=False)
    scopes: str = Field(default="", sa_type=Text, nullable=False)  # space-separated, as granted
    connected_by: str = Field(sa_type=String(64), nullable=False)
    connected_at: datetime = _now()
    expires_at: datetime | None = _when(nullable=True)  # the token posts are sent with
    refresh_expires_at: datetime | None = _when(nullable=True)  # None: no refresh token, or endless
    # Whether the vault holds a refresh token for it (LinkedIn grants one only to some apps).
    has_refresh_token: bool = Field(default=False, nullable=False)
    refreshed_at: datetime | None = _when(nullable=True)
    refresh_failed_at: datetime | None = _when(nullable=True)
    refresh_error: str | None = Field(default=None, sa_type=Text, nullable=True)


class OAuthState(Row, table=True):
    """One connect flow in progress: its ``state`` (stored as a SHA-256 only), the admin's web
    session it is bound to, the PKCE verifier (sealed), and the redirect it was started with.
    Single use: ``used_at`` is set by the first callback that presents it."""

    __tablename__ = "oauth_state"

    state_hash: str = Field(sa_type=String(64), primary_key=True)
    channel: str = Field(sa_type=String(40), nullable=False)
    session_hash: str = Field(sa_type=String(64), nullable=False)
    user_id: int = Field(nullable=False)
    verifier: str = Field(default="", sa_type=Text, nullable=False)  # sealed; "" without PKCE
    redirect_uri: str = Field(sa_type=Text, nullable=False)
    created_at: datetime = _now()
    expires_at: datetime = _when(index=True)
    used_at: datetime | None = _when(nullable=True)


class RefreshLock(Row, table=True):
    """Who is renewing a channel's token right now, until when: a rotating refresh token is
    spent by one daemon only (the row is taken by insert or by replacing an expired one)."""

    __tablename__ = "refresh_lock"

    channel: str = Field(sa_type=String(40), primary_key=True)
    holder: str = Field(sa_type=String(80), nullable=False)
    until: datetime = _when()


class NotificationEvent(Row, table=True):
    """Something people should hear about, recorded in the same transaction as the change that
    caused it, once: ``key`` names the event (``post:12:failed:3``), so a second record of the
    same event is ignored. The daemon later turns it into deliveries (``fanned_out_at``)."""

    __tablename__ = "notification_event"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(200), unique=True, nullable=False)
    event: str = Field(sa_type=String(32), nullable=False)  # an Event value
    draft_id: int | None = Field(default=None, index=True)
    post_id: int | None = None
    channel_id: str | None = Field(default=None, sa_type=String(64))
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = _now()
    fanned_out_at: datetime | None = _when(nullable=True, index=True)


class NotificationDelivery(Row, table=True):
    """One message about one event to one recipient: a user's e-mail, the team's chat webhook,
    or an event hook (``recipient`` is ``user:<id>``, ``chat`` or ``hook:<digest of its URL>``,
    whose URL ``hook_url`` keeps). Retried with backoff until sent or given up; every try is
    logged."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient"),
        # The latest deliveries first, of every status or of one (the given-up ones).
        Index("ix_notification_delivery_latest", "created_at", "id"),
        Index("ix_notification_delivery_status_latest", "status", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = _parent("notification_event")
    recipient: str = Field(sa_type=String(40), nullable=False)
    user_id: int | None = None
    status: str = Field(sa_type=String(16), nullable=False)  # pending|sent|failed
    tries: int = 0
    next_try_at: datetime = _when(index=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = _when(nullable=True)
    created_at: datetime = _now()
    hook_url: str | None = Field(default=None, sa_type=String(2000))  # an event hook's, else None


class NewsFeed(Row, table=True):
    """What the daemon knows of one ``[[feeds]]`` entry between polls: the validators for a
    conditional GET, when to read it next, and the problem its last read had, if any."""

    __tablename__ = "news_feed"

    url_hash: str = Field(sa_type=String(64), primary_key=True)  # SHA-256 of the feed's URL
    url: str = Field(sa_type=String(2000), nullable=False)
    etag: str | None = Field(default=None, sa_type=String(512))
    last_modified: str | None = Field(default=None, sa_type=String(64))
    checked_at: datetime | None = _when(nullable=True)
    next_check_at: datetime | None = _when(nullable=True)
    problem: str | None = Field(default=None, sa_type=Text)


class NewsFeedItem(Row, table=True):
    """An item of a news feed that became a draft: kept by its GUID so it never does twice."""

    __tablename__ = "news_feed_item"
    __table_args__ = (
        UniqueConstraint("url_hash", "guid_hash"),
        Index("ix_news_feed_item_draft_id", "draft_id"),  # a deleted draft finds its item
    )

    id: int | None = Field(default=None, primary_key=True)
    url_hash: str = Field(sa_type=String(64), nullable=False)
    guid_hash: str = Field(sa_type=String(64), nullable=False)  # SHA-256 of the item's GUID
    guid: str = Field(sa_type=Text, nullable=False)
    draft_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("draft.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = _now()


class ApiToken(Row, table=True):
    """A token a script or a tool calls ``/api/v1`` with: it acts as its user, within its
    scopes. Only the token's SHA-256 is kept; it is shown once, when made."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _parent("user")
    name: str = Field(sa_type=String(64), nullable=False)
    token_hash: str = Field(sa_type=String(64), nullable=False, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    created_at: datetime = _now()
    expires_at: datetime | None = _when(nullable=True)
    last_used_at: datetime | None = _when(nullable=True)


class ApiIdempotency(Row, table=True):
    """An ``Idempotency-Key`` a token sent with a POST: claimed (``status`` null) before the
    request runs, then holding its answer, given again for the same request for 24 hours."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = _parent("api_token")
    key: str = Field(sa_type=String(255), nullable=False)
    request_hash: str = Field(sa_type=String(64), nullable=False)  # SHA-256 of path and body
    status: int | None = None
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = _when(index=True)
