"""Facebook Pages: ``POST /{graph_version}/{page_id}/feed`` with the message and a Page token.

A post with one image is a photo post instead, and one with several attaches photos uploaded
unpublished first (``facebook_photos``).

The token travels in the body (JSON, or the photo form's fields) (PLATFORMS.md §5.1), never
in the URL, so it cannot end up in a proxy's or server's access log; reads send it as a
bearer header. Errors are read by Graph code (``graph_errors``).

Facebook has no idempotency key. After an unknown outcome the engine asks ``reconcile`` before
anything is sent again: the page's ``published_posts`` are searched for the same message,
created since the last create request (``PostJob.last_sent_at``) (§5.5), newest first and
page after page back to it (``graph_paging``: posts sent meanwhile push it off the first); a
photo post is listed there too, its caption as its message (❓ as pages show it; the Page Post
reference only says ``message`` is the post's status message). A "temporary" Graph error to a create request
is such an unknown outcome: the post may exist all the same.

A Page has no threads; a part after the post is its first comment (``facebook_comments``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import httpx

from drafts.channels import FacebookChannel
from scheduler.outcomes import Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    PostJob,
    SaveState,
    api_origin,
    bearer,
    commented_post,
    identity_answer,
    look_again,
    send,
)
from scheduler.platforms.facebook_comments import (
    comment_request,
    comments_listing,
    read_comment,
    read_comments,
)
from scheduler.platforms.facebook_photos import (
    feed_post,
    photo_post,
    send_photo_post,
    upload_unpublished,
)
from scheduler.platforms.graph_errors import (
    graph_time,
    read_failure,
    refused_identity,
    refused_read,
)
from scheduler.platforms.graph_paging import (
    CLOCK_SKEW,
    LISTED_PAGES,
    LISTING_SIZE,
    after_cursor,
    next_cursor,
)
from scheduler.platforms.look_back import comments_under, look_back, page_posts
from scheduler.retry import UnknownHandling

API = "https://graph.facebook.com"
WEB = "https://www.facebook.com"
SERVICE = "Facebook"
RECONNECT = "reconnect the page (a new Page access token)"


class FacebookAdapter(Adapter[FacebookChannel]):
    platform: ClassVar[str] = "facebook"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = FacebookChannel

    def build(self, job: PostJob, channel: FacebookChannel, secret: str) -> HttpRequest:
        """The feed post, the photo post when the post has one image, or (a part after the
        post: the first comment) the comment on it."""
        if job.reply_to is not None:
            return comment_request(job, _graph(channel), secret)
        if len(job.images) == 1:
            return photo_post(job, _photos(channel), secret)
        return feed_post(job, f"{_graph(channel)}/{channel.page_id}/feed", secret)

    def displayed_text(self, request: HttpRequest) -> str:
        body = request.json()
        return str(body["message"] if "message" in body else body["caption"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: FacebookChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        secret = credentials.secret
        if job.reply_to is not None:
            link = post_url(commented_post(job))
            return Attempted(
                await self.send_and_read(
                    client,
                    job,
                    channel,
                    secret,
                    lambda answer: read_comment(
                        answer, link, now, service=SERVICE, reconnect=RECONNECT
                    ),
                )
            )
        if len(job.images) == 1:
            request = self.build(job, channel, secret)
            answer = await send_photo_post(client, request, job.images[0])
            return Attempted(
                read_answer(answer, now) if isinstance(answer, HttpResponse) else answer
            )
        uploaded = await upload_unpublished(
            client, job, _photos(channel), secret, now, save, service=SERVICE, reconnect=RECONNECT
        )
        if not isinstance(uploaded, PostJob):
            return Attempted(uploaded)
        return Attempted(
            await self.send_and_read(
                client, uploaded, channel, secret, lambda answer: read_answer(answer, now)
            )
        )

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: FacebookChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        since = job.last_sent_at or job.first_attempt_at or now
        secret = credentials.secret
        if job.reply_to is None:
            posts = (
                f"{_graph(channel)}/{channel.page_id}/published_posts"
                f"?fields=id,message,created_time&limit={LISTING_SIZE}"
            )
            return await _look_back(
                client,
                posts,
                secret,
                since,
                lambda page: read_listing(page, job, since, now),
                listed=page_posts(channel.page_id),
            )
        post = commented_post(job)
        return await _look_back(
            client,
            comments_listing(job, _graph(channel)),
            secret,
            since,
            lambda page: read_comments(
                page,
                job,
                page_id=channel.page_id,
                post_link=post_url(post),
                since=since,
                now=now,
                service=SERVICE,
                reconnect=RECONNECT,
            ),
            listed=comments_under(post),
        )

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: FacebookChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        url = f"{_graph(channel)}/me?fields=id,name"
        response = await send(client, HttpRequest("GET", url, bearer(credentials.secret)))
        body = identity_answer(response, refused_identity)
        if str(body.get("id")) != channel.page_id:
            raise ChannelCheckError(
                f"the token belongs to {body.get('name')} ({body.get('id')}), not page "
                f"{channel.page_id}: use that page's Page access token"
            )
        return Identity(name=f"{body.get('name') or 'page'} (page {channel.page_id})")


def read_answer(response: HttpResponse, now: datetime) -> Outcome:
    """A ``POST /{page}/feed`` answer, or a photo post's, as an outcome: a photo post's is
    ``{id, post_id}`` (the photo, the post), a feed post's ``{id}``."""
    body = response.json()
    if 200 <= response.status < 300 and isinstance(body, dict) and body.get("id"):
        post_id = str(body.get("post_id") or body["id"])
        return Published(post_id, post_url(post_id), response.status)
    failure = read_failure(response, now, service=SERVICE, reconnect=RECONNECT)
    if isinstance(failure, RetryLater):  # a temporary error after sending: it may have posted
        return Unknown(f"{failure.reason}, so whether it posted is unclear", failure.http_status)
    return failure


def read_listing(
    response: HttpResponse, job: PostJob, since: datetime, now: datetime
) -> Outcome | None:
    """Whether the page's newest posts hold this post's message, created since ``since``.

    None means it is not there and it is safe to send; a refusal to list means nobody can tell.
    """
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return refused_read(
            response,
            now,
            service=SERVICE,
            reconnect=RECONNECT,
            reading="list the page's posts",
            unsettled="so whether the earlier attempt was published cannot be checked",
        )
    for item in body.get("data") or []:
        # A photo post without a caption is listed without a message.
        if not isinstance(item, dict) or (item.get("message") or "") != job.text:
            continue
        created = graph_time(item.get("created_time"))
        if created is not None and created >= since - CLOCK_SKEW and item.get("id"):
            post_id = str(item["id"])
            return Published(post_id, post_url(post_id), response.status)
    return look_again(since, now, "Facebook", "post")


def post_url(post_id: str) -> str:
    """The post's page on facebook.com: ``/{page}/posts/{post}`` for a ``{page}_{post}`` id."""
    page, _, post = post_id.partition("_")
    return f"{WEB}/{page}/posts/{post}" if post else f"{WEB}/{post_id}"


async def _look_back(
    client: httpx.AsyncClient,
    listing: str,
    secret: str,
    since: datetime,
    found: Callable[[HttpResponse], Outcome | None],
    *,
    listed: str,
) -> Outcome | None:
    """The edge at ``listing`` (its first page), newest first, by cursor, back to ``since``."""
    return await look_back(
        client,
        lambda after: HttpRequest("GET", after_cursor(listing, after), bearer(secret)),
        found,
        lambda page, _: next_cursor(page, since),
        pages=LISTED_PAGES,
        size=LISTING_SIZE,
        service=SERVICE,
        listed=listed,
    )


def _graph(channel: FacebookChannel) -> str:
    """The Graph API at the channel's pinned version."""
    return f"{api_origin(channel, API)}/{channel.graph_version}"


def _photos(channel: FacebookChannel) -> str:
    return f"{_graph(channel)}/{channel.page_id}/photos"
