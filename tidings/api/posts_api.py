"""``/api/v1/posts`` and ``/api/v1/channels``: posts with their attempts, as the command
line's JSON gives them (a thread and its first comment as one post: its ``parts`` and
``comment``, each part with its own id to settle it by), and the channels of config.toml."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from drafts import keyset
from drafts.api_tokens import Caller, Scope
from drafts.attention import mark_published, retry_post
from drafts.channel_activity import ChannelActivity, LastAttempt, channel_activity
from drafts.config import Config
from drafts.errors import NotFoundError
from drafts.learned_limits import learned_limits
from drafts.messages import NO_POST, said
from drafts.models import MAX_ID, Attempt, Connection, Post
from drafts.post_media import images_by_post
from drafts.queueing import chain_key, chains_of
from drafts.storage import Database
from drafts.users import Capability
from scheduler.connections import connections
from tidings.api.auth import allow
from tidings.cli.log_commands import attempt_json
from tidings.cli.views import iso, post_json

MAX_PAGE = 200


class PostPage(BaseModel):
    posts: list[dict[str, Any]]
    after: str | None = Field(description="Give it as ?after= for the next page; null on the last.")


class Live(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=1000, pattern=r"^https?://", description="Where the post is live, checked."
    )
    remote_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The platform's id for the post, if known: the next part of a thread "
        "replies to it (without it, the link stands for the id).",
    )


def connection_json(found: Connection | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "account_name": found.account_name,
        "account_id": found.account_id,
        "scopes": found.scopes.split(),
        "connected_by": found.connected_by,
        "connected_at": iso(found.connected_at),
        "expires_at": iso(found.expires_at),
        "refresh_failed_at": iso(found.refresh_failed_at),
    }


def activity_json(activity: ChannelActivity | None) -> dict[str, Any]:
    """The channel's last published post and last error (none yet: null each)."""
    found = activity or ChannelActivity(published=None, failed=None)
    return {"last_published": last_json(found.published), "last_error": last_json(found.failed)}


def last_json(last: LastAttempt | None) -> dict[str, Any] | None:
    if last is None:
        return None
    return {
        "post_id": last.post_id,
        "at": iso(last.at),
        "url": last.remote_url,
        "error": last.error,
    }


def router(
    database: Database,
    config: Config,
    calling: Callable[..., Caller],
    now: Callable[[], datetime],
) -> APIRouter:
    api = APIRouter()
    Who = Annotated[Caller, Depends(calling)]

    def post_of(post_id: int) -> Post:
        with database.reading() as session:
            post = session.get(Post, post_id) if 1 <= post_id <= MAX_ID else None
        if post is None:
            raise NotFoundError(said(NO_POST, id=post_id))
        return post

    @api.get("/posts", tags=["posts"], response_model=PostPage)
    def posts(
        who: Who,
        draft_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        after: Annotated[str | None, Query(max_length=200)] = None,
    ) -> PostPage:
        """Posts in the order they were made (of one draft, or all), a page at a time: a
        thread and its first comment are one post, its ``parts`` and ``comment``."""
        allow(who, Scope.READ)
        query = select(Post).where(Post.part == 1).order_by(col(Post.id)).limit(limit + 1)
        if draft_id is not None:
            query = query.where(Post.draft_id == draft_id)
        if after is not None:
            (last,) = keyset.place(after, int)
            query = query.where(col(Post.id) > last)
        with database.reading() as session:
            page = keyset.paged(list(session.exec(query)), limit, lambda post: (post.id or 0,))
            learned = learned_limits(session)
            images = images_by_post(session, [post.id or 0 for post in page.rows])
            chains = chains_of(session, page.rows)
        shown = [
            post_json(
                post,
                config,
                images=images.get(post.id or 0, ()),
                learned=learned,
                chain=chains[chain_key(post)],
            )
            for post in page.rows
        ]
        return PostPage(posts=shown, after=page.after)

    @api.get("/posts/{post_id}", tags=["posts"])
    def post(who: Who, post_id: int) -> dict[str, Any]:
        """One post (or one part of a thread, or a first comment), with the request its
        platform will get and its chain's ``parts`` and ``comment``."""
        allow(who, Scope.READ)
        found = post_of(post_id)
        with database.reading() as session:
            images = images_by_post(session, [post_id]).get(post_id, ())
            learned = learned_limits(session)
            chain = chains_of(session, [found])[chain_key(found)]
        return post_json(
            found, config, images=images, with_request=True, learned=learned, chain=chain
        )

    @api.get("/posts/{post_id}/attempts", tags=["posts"])
    def attempts(who: Who, post_id: int) -> list[dict[str, object]]:
        """Every attempt to publish the post, first to last."""
        allow(who, Scope.READ)
        found = post_of(post_id)
        with database.reading() as session:
            rows = session.exec(
                select(Attempt).where(Attempt.post_id == post_id).order_by(col(Attempt.number))
            )
            return [attempt_json(attempt, found) for attempt in rows]

    def shown(post: Post) -> dict[str, Any]:
        with database.reading() as session:
            images = images_by_post(session, [post.id or 0]).get(post.id or 0, ())
            learned = learned_limits(session)
            chain = chains_of(session, [post])[chain_key(post)]
        return post_json(post, config, images=images, learned=learned, chain=chain)

    @api.post("/posts/{post_id}/mark-published", tags=["posts"])
    def published(who: Who, post_id: int, live: Live) -> dict[str, Any]:
        """Record that a post that needs attention or failed is live at ``url`` (someone
        looked at the channel), as ``tidings post mark-published`` does."""
        allow(who, Scope.ADMIN, Capability.QUEUE)
        with database.writing() as session:
            post = mark_published(
                session,
                post_id=post_id,
                url=live.url,
                actor=who.user,
                now=now(),
                remote_id=live.remote_id,
            )
        return shown(post)

    @api.post("/posts/{post_id}/retry", tags=["posts"])
    def retry(who: Who, post_id: int) -> dict[str, Any]:
        """Send a post that needs attention or failed again now (someone checked it is not
        live), as ``tidings post retry`` does."""
        allow(who, Scope.ADMIN, Capability.QUEUE)
        with database.writing() as session:
            post = retry_post(session, post_id=post_id, actor=who.user, now=now())
        return shown(post)

    @api.get("/channels", tags=["channels"])
    def channels(who: Who) -> list[dict[str, Any]]:
        """The channels of config.toml with their health, as the Channels page shows it: how
        each is connected (never a token), its last published post and its last error."""
        allow(who, Scope.READ)
        ids = [channel.id for channel in config.channels]
        with database.reading() as session:
            activity = channel_activity(session, ids)
            connected = connections(session)
        return [
            {
                "id": channel.id,
                "platform": channel.platform,
                "languages": list(channel.languages),
                "slots": list(channel.slots),
                "connection": connection_json(connected.get(channel.id)),
                **activity_json(activity.get(channel.id)),
            }
            for channel in config.channels
        ]

    return api
