"""What the sandbox received and remembers: posts, the request log, settings, platform bookkeeping.

One ``SandboxState`` is shared by the server thread and the test or demo that started it,
so every read and write goes through its lock. Secrets never enter it: requests are recorded
with an auth *fingerprint* ("Bearer …(12 chars)"), and the per-platform stores key tokens by
a salted digest that never leaves the process.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from scheduler.sandbox.faults import Clock, FaultBook

JSON = dict[str, Any]
T = TypeVar("T")


# Twitter's snowflake epoch; any fixed past instant would do, this one gives realistic ids.
_SNOWFLAKE_EPOCH_MS = 1288834974657


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class Settings:
    """How the sandbox behaves; change fields in-process or with ``PATCH /_sandbox/settings``."""

    #: Added before every platform answer (benchmarks); a ``latency`` fault adds to it.
    default_latency_ms: float = 0.0
    #: Refuse with 429 when a rate window is used up; off so benchmarks can post freely.
    enforce_rate_limits: bool = False
    mastodon_max_characters: int = 500
    mastodon_username: str = "demo"
    #: "Still processing" answers a new Mastodon upload gives (its 202, then 206 to each poll)
    #: before it is ready; 0: the upload answers 200, ready at once.
    mastodon_media_processing: int = 0
    #: ``None``: every version older than 12 months before this month is retired.
    linkedin_retired_versions: frozenset[str] | None = None
    linkedin_duplicate_window: timedelta = timedelta(minutes=10)
    linkedin_member_id: str = "sandboxMember1"
    x_username: str = "tidings_demo"
    x_access_ttl: timedelta = timedelta(hours=2)
    x_duplicate_window: timedelta = timedelta(hours=24)
    #: How long an uploaded X media id may be attached (its ``expires_after_secs``).
    x_media_ttl: timedelta = timedelta(hours=24)
    bluesky_access_ttl: timedelta = timedelta(minutes=120)
    bluesky_refresh_ttl: timedelta = timedelta(days=90)
    #: The page a Page token belongs to, as ``GET /{version}/me`` reports it.
    facebook_page_id: str = "100200300400500"
    #: Page id → name of the Pages the sandbox's Facebook user manages (``/me/accounts``);
    #: ``None``: ``facebook_page_id`` alone.
    facebook_pages: dict[str, str] | None = None
    threads_user_id: str = "17841400000000001"
    threads_username: str = "demo"
    #: Status reads a Threads image or carousel container answers IN_PROGRESS before FINISHED.
    threads_container_polls: int = 0
    telegram_bot_username: str = "tidings_sandbox_bot"
    #: The bot's status in every chat, as getChatMember reports it: "administrator", "member",
    #: "restricted", "left", "kicked". Out of a chat ("left", "kicked"), a chat with a numeric id
    #: is "chat not found" to it; posting needs "administrator" in a channel.
    telegram_bot_status: str = "administrator"
    #: Whether the bot, as an administrator, may post in channels (its ``can_post_messages``).
    telegram_bot_can_post: bool = True
    #: Webhook name → signing secret; when set, posts record whether the signature verified.
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    #: Read once, when the state is created.
    max_logged_requests: int = 100_000

    def update(self, data: Mapping[str, Any]) -> None:
        """Apply JSON values: durations in seconds, version sets as lists; raises ValueError."""
        by_name = {f.name: f for f in fields(self)}
        for key, value in data.items():
            if key not in by_name:
                raise ValueError(f"unknown setting {key!r}")
            current = getattr(self, key)
            if isinstance(current, timedelta) or key.endswith(("_ttl", "_window")):
                setattr(self, key, timedelta(seconds=float(value)))
            elif key == "linkedin_retired_versions":
                setattr(self, key, None if value is None else frozenset(str(v) for v in value))
            elif key == "webhook_secrets":
                setattr(self, key, {str(k): str(v) for k, v in dict(value).items()})
            elif key == "facebook_pages":
                pages = None if value is None else {str(k): str(v) for k, v in dict(value).items()}
                setattr(self, key, pages)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(self, key, value)
            elif isinstance(current, int | float):
                setattr(self, key, type(current)(value))
            else:
                setattr(self, key, str(value))

    def to_json(self) -> JSON:
        """The settings as JSON; webhook secrets are shown by name only."""
        out: JSON = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, timedelta):
                value = value.total_seconds()
            elif isinstance(value, frozenset) or f.name == "webhook_secrets":
                value = sorted(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class ReceivedPost:
    """One post a platform API accepted, as the sandbox recorded it."""

    seq: int
    platform: str
    #: The account, page, chat or hook it went to ("@demo", "urn:li:organization:1", ...).
    channel: str
    remote_id: str
    #: Where the post can be seen, as the platform links it (``https://x.com/i/web/status/1``),
    #: or a URL on the sandbox itself where the platform has none (a webhook delivery) or lives
    #: there (a Mastodon instance).
    remote_url: str
    #: Where the sandbox serves the post's page: ``page_path(remote_url)``.
    permalink: str
    #: The text as the platform would display it (unescaped, entities parsed).
    text: str
    #: The request body as sent (JSON or form fields), with any token fields removed.
    body: JSON
    #: Request headers that matter; never Authorization or cookies.
    headers: dict[str, str]
    #: "Bearer …(12 chars)", "access_token …(40 chars)", or None when none was sent.
    auth: str | None
    received_at: datetime
    #: Platform specifics: language, visibility, facets, signature, truncation, ...
    details: JSON = field(default_factory=dict)
    #: The remote id of the post this one replies to (a thread's next part, a reply) or
    #: comments on (a LinkedIn or Facebook comment); None for a post of its own.
    reply_to: str | None = None
    #: True for a comment under a post (LinkedIn, Facebook), not a post in the feed.
    comment: bool = False

    def to_json(self) -> JSON:
        """The post as ``GET /_sandbox/posts`` shows it."""
        return {
            "reply_to": self.reply_to,
            "comment": self.comment,
            "seq": self.seq,
            "platform": self.platform,
            "channel": self.channel,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "page": self.permalink,
            "text": self.text,
            "body": self.body,
            "headers": self.headers,
            "auth": self.auth,
            "received_at": self.received_at.isoformat(),
            "details": self.details,
        }


@dataclass(frozen=True)
class ReceivedImage:
    """An image a platform API received, as the sandbox decoded it."""

    sha256: str
    platform: str
    content_type: str  # what the request said
    format: str | None  # what Pillow found in the bytes (None: not an image)
    width: int
    height: int
    bytes: int
    #: Metadata found in the bytes: "exif", "gps", "xmp" (Tidings must send none).
    metadata: tuple[str, ...]
    data: builtins.bytes = field(repr=False)

    def to_json(self) -> JSON:
        return {
            "sha256": self.sha256,
            "platform": self.platform,
            "content_type": self.content_type,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "metadata": list(self.metadata),
        }


def inspect_image(platform: str, data: bytes, content_type: str) -> ReceivedImage:
    """What ``data`` is: its format, pixels and any metadata it carries."""
    from PIL import Image, UnidentifiedImageError

    found: list[str] = []
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            exif = image.getexif()
            if len(exif):
                found.append("exif")
            if exif.get_ifd(0x8825):
                found.append("gps")
            if "xmp" in image.info or "XML:com.adobe.xmp" in image.info:
                found.append("xmp")
    except (UnidentifiedImageError, OSError, ValueError):
        fmt, width, height = None, 0, 0
    return ReceivedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        platform=platform,
        content_type=content_type,
        format=fmt,
        width=width,
        height=height,
        bytes=len(data),
        metadata=tuple(found),
        data=data,
    )


@dataclass
class RequestRecord:
    """One request the sandbox answered (or refused, or dropped)."""

    seq: int
    method: str
    #: The path with any token in it (Telegram's ``/bot<token>/``) replaced.
    path: str
    #: Query parameters with token values replaced by ``<redacted>``.
    query: dict[str, str]
    #: ``None`` for the sandbox's own pages and for unknown paths.
    platform: str | None
    received_at: datetime
    status: int | None = None
    answered_at: datetime | None = None
    #: The fault kind that shaped the answer, if one did.
    fault: str | None = None
    #: A request refused by a rate limit the client had already been told about.
    early: bool = False

    def to_json(self) -> JSON:
        """The record as ``GET /_sandbox/requests`` shows it."""
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "platform": self.platform,
            "received_at": self.received_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "status": self.status,
            "fault": self.fault,
            "early": self.early,
        }


@dataclass(frozen=True)
class WindowStatus:
    """Where a rate window stands after a request: what rate-limit headers report."""

    limit: int
    remaining: int
    reset_at: datetime

    @property
    def exhausted(self) -> bool:
        """Whether the request that produced this status went over the limit."""
        return self.remaining < 0


@dataclass
class _Window:
    used: int
    reset_at: datetime


class SandboxState:
    """Everything the sandbox received, its faults and settings; safe to use from any thread."""

    def __init__(self, settings: Settings | None = None, *, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock: Clock = clock or utc_now
        self.lock = threading.RLock()
        self.faults = FaultBook(self.clock)
        self._salt = secrets.token_bytes(16)
        self._posts: list[ReceivedPost] = []
        self._by_permalink: dict[str, ReceivedPost] = {}
        self._requests: deque[RequestRecord] = deque(maxlen=self.settings.max_logged_requests)
        self._request_seq = 0
        self._last_id = 0
        self._stores: dict[type[Any], Any] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._images: dict[str, ReceivedImage] = {}

    def now(self) -> datetime:
        """The sandbox's idea of the current time (aware UTC)."""
        return self.clock()

    def reset(self) -> None:
        """Forget every post, request, fault, session and idempotency key; settings stay."""
        with self.lock:
            self._posts.clear()
            self._by_permalink.clear()
            self._requests.clear()
            self._stores.clear()
            self._windows.clear()
            self._images.clear()
            self.faults.clear()

    # -- posts -------------------------------------------------------------------------------

    def posts(self, platform: str | None = None) -> list[ReceivedPost]:
        """Accepted posts, oldest first, optionally for one platform."""
        with self.lock:
            return [p for p in self._posts if platform is None or p.platform == platform]

    def post_by_id(self, platform: str, remote_id: str) -> ReceivedPost | None:
        """The post ``platform`` accepted with ``remote_id``, if any (what a reply refers to)."""
        with self.lock:
            found = [p for p in self._posts if p.platform == platform and p.remote_id == remote_id]
            return found[0] if found else None

    def chain(self, platform: str, root_id: str) -> list[ReceivedPost]:
        """The posts of the chain begun by ``root_id``: the root, then each reply to the one
        before, in order (a comment on the root follows a post without threads)."""
        with self.lock:
            posts = [p for p in self._posts if p.platform == platform]
        found = [p for p in posts if p.remote_id == root_id]
        while found:
            replies = [p for p in posts if p.reply_to == found[-1].remote_id]
            if not replies:
                break
            found.append(replies[0])
        return found

    def post_at(self, permalink: str) -> ReceivedPost | None:
        """The post whose page lives at ``permalink`` (a path), if any."""
        with self.lock:
            return self._by_permalink.get(permalink)

    def record_post(
        self,
        *,
        platform: str,
        channel: str,
        remote_id: str,
        base_url: str,
        url: str,
        text: str,
        body: JSON,
        headers: dict[str, str],
        auth: str | None,
        details: JSON | None = None,
        reply_to: str | None = None,
        comment: bool = False,
    ) -> ReceivedPost:
        """Store a post the platform accepted, seen at ``url`` (see ``ReceivedPost.remote_url``),
        and return it; ``base_url`` is the sandbox origin the request came to; ``reply_to`` the
        remote id of the post it replies to or (``comment``) comments on."""
        permalink = page_path(url, base_url)
        with self.lock:
            post = ReceivedPost(
                seq=len(self._posts) + 1,
                platform=platform,
                channel=channel,
                remote_id=remote_id,
                remote_url=url,
                permalink=permalink,
                text=text,
                body=body,
                headers=headers,
                auth=auth,
                received_at=self.now(),
                details=details or {},
                reply_to=reply_to,
                comment=comment,
            )
            self._posts.append(post)
            self._by_permalink[permalink] = post
            return post

    # -- images --------------------------------------------------------------------------------

    def receive_image(self, *, platform: str, data: bytes, content_type: str) -> ReceivedImage:
        """Keep an uploaded (or fetched) image and say what it is; kept once per SHA-256."""
        image = inspect_image(platform, data, content_type)
        with self.lock:
            return self._images.setdefault(image.sha256, image)

    def images(self, platform: str | None = None) -> list[ReceivedImage]:
        """Every image received, optionally for one platform."""
        with self.lock:
            return [i for i in self._images.values() if platform in (None, i.platform)]

    def image(self, sha256: str) -> ReceivedImage | None:
        with self.lock:
            return self._images.get(sha256)

    # -- request log ---------------------------------------------------------------------------

    def log_request(
        self, *, method: str, path: str, query: dict[str, str], platform: str | None
    ) -> RequestRecord:
        """Start a request log entry; ``finish_request`` completes it."""
        with self.lock:
            self._request_seq += 1
            record = RequestRecord(
                seq=self._request_seq,
                method=method,
                path=path,
                query=query,
                platform=platform,
                received_at=self.now(),
            )
            self._requests.append(record)
            return record

    def finish_request(
        self, record: RequestRecord, status: int, *, fault: str | None = None, early: bool = False
    ) -> None:
        """Note how a logged request was answered."""
        with self.lock:
            record.status = status
            record.answered_at = self.now()
            record.fault = fault
            record.early = early

    def requests(
        self, platform: str | None = None, *, path: str | None = None, method: str | None = None
    ) -> list[RequestRecord]:
        """Logged requests, oldest first; ``path`` matches a substring of the path."""
        with self.lock:
            return [
                r
                for r in self._requests
                if (platform is None or r.platform == platform)
                and (path is None or path in r.path)
                and (method is None or r.method == method.upper())
            ]

    def early_requests(self, platform: str | None = None) -> list[RequestRecord]:
        """Requests that arrived while a rate limit they had been told about still held."""
        return [r for r in self.requests(platform) if r.early]

    # -- platform bookkeeping --------------------------------------------------------------------

    def store(self, kind: type[T]) -> T:
        """The platform store of this class (created empty on first use, cleared by reset)."""
        with self.lock:
            found = self._stores.get(kind)
            if found is None:
                found = self._stores[kind] = kind()
            return found

    def next_id(self) -> int:
        """A fresh, increasing, time-based 64-bit id (snowflake-like, unique across restarts)."""
        with self.lock:
            now_ms = int(self.now().timestamp() * 1000)
            candidate = (now_ms - _SNOWFLAKE_EPOCH_MS) << 22
            self._last_id = max(self._last_id + 1, candidate)
            return self._last_id

    def token_digest(self, token: str) -> str:
        """A salted digest to recognise a token again without keeping it."""
        return hashlib.sha256(self._salt + token.encode()).hexdigest()

    def hit_window(
        self, platform: str, key: str, *, limit: int, seconds: float, cost: int = 1
    ) -> WindowStatus:
        """Count a request against a fixed rate window and report what is left."""
        now = self.now()
        with self.lock:
            window = self._windows.get((platform, key))
            if window is None or window.reset_at <= now:
                window = _Window(used=0, reset_at=now + timedelta(seconds=seconds))
                self._windows[(platform, key)] = window
            window.used += cost
            return WindowStatus(limit, limit - window.used, window.reset_at)


def page_path(url: str, origin: str) -> str:
    """Where the sandbox serves the page of a post seen at ``url``: a platform's public URL
    under its host (``https://t.me/news/5`` at ``/t.me/news/5``), so every platform's public
    paths live side by side; a URL on the sandbox itself (``origin``) at its own path."""
    parts = urlsplit(url)
    if url.startswith(origin.rstrip("/") + "/"):
        return parts.path
    return f"/{parts.netloc}{parts.path}"


def fingerprint(scheme: str, secret: str) -> str:
    """How a credential is shown: its kind and length, never its value."""
    return f"{scheme} …({len(secret)} chars)"
