"""Threads: a container (``POST /v1.0/{user}/threads``), then ``threads_publish`` (§6).

The container is ``TEXT``, or for a post with images an ``IMAGE`` or ``CAROUSEL`` container
that Meta fetches the images into (``threads_containers``): an image post waits a little,
within the attempt, for Meta to finish, and is tried again later when it has not.

The container id is saved in the post's state before the publish request goes out, so the
container's ``status`` can always say what became of it: ``PUBLISHED`` (done: the post is
found among the profile's newest), ``FINISHED`` (ready and unpublished: publish that same
container), ``IN_PROGRESS`` (wait), ``ERROR`` or ``EXPIRED`` (never published, unusable: a new
container is made and saved over it). A retry never makes a second container while the first
could still be published, and never publishes without checking the saved one first.

A container is private until published, so a container request that times out is simply
made again. Tokens go in the JSON body or a bearer header, never in the URL.

A thread's later parts and the first comment are replies: the container names the part before
in ``reply_to_id`` ("Create Replies", developers.facebook.com/documentation/threads/
retrieve-and-manage-replies/create-replies), then is published as any other. A reply is not
among the profile's threads but among its replies (``GET /{user}/replies``, which needs
``threads_read_replies``), where a published container's reply is looked for, by its text and
the part it replies to (``replied_to``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import ClassVar
from urllib.parse import quote

import httpx

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    NoAnswer,
    PostJob,
    SaveState,
    bearer,
    identity_answer,
    send,
)
from scheduler.platforms.graph_errors import (
    graph_time,
    read_failure,
    refused_identity,
    refused_read,
)
from scheduler.platforms.threads_containers import (
    CONTAINER_WAITS,
    FINISHED,
    PUBLISHED,
    RECONNECT,
    SERVICE,
    UNUSABLE,
    Status,
    carousel_items,
    graph,
    missing_link,
    post_container,
    settled,
    status_of,
    until_ready,
)
from scheduler.retry import UnknownHandling

CONTAINER = "container_id"
CLOCK_SKEW = timedelta(minutes=2)
LISTING_SIZE = 25


class ThreadsAdapter(Adapter[ThreadsChannel]):
    platform: ClassVar[str] = "threads"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = ThreadsChannel

    def __init__(self, container_waits: tuple[float, ...] = CONTAINER_WAITS) -> None:
        #: Seconds between reads of an image container's status within one attempt.
        self.container_waits = container_waits

    def build(self, job: PostJob, channel: ThreadsChannel, secret: str) -> HttpRequest:
        """Step one, the container: it carries the text and images the post will show."""
        return post_container(job, channel, secret)

    def build_publish(self, channel: ThreadsChannel, container_id: str, secret: str) -> HttpRequest:
        """Step two: publish the container."""
        return HttpRequest.with_json(
            "POST",
            f"{graph(channel)}/{channel.user_id}/threads_publish?creation_id={quote(container_id)}",
            {"access_token": secret},
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json().get("text", ""))

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ThreadsChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        secret = credentials.secret
        container = await self._ready_container(client, job, channel, secret, now, save)
        if not isinstance(container, str):
            return Attempted(container)
        answer = await send(client, self.build_publish(channel, container, secret))
        if not isinstance(answer, HttpResponse):
            return Attempted(answer)
        body = answer.json()
        if answer.status == 200 and isinstance(body, dict) and body.get("id"):
            media_id = str(body["id"])
            url = await _permalink(client, channel, media_id, secret)
            return Attempted(Published(media_id, url, answer.status))
        outcome = read_failure(answer, now, service=SERVICE, reconnect=RECONNECT)
        if isinstance(outcome, Failed):
            # A refused publish of a container that is PUBLISHED means an earlier one won.
            status = await status_of(client, channel, container, secret, now)
            if isinstance(status, Status) and status.value == PUBLISHED:
                return Attempted(await _find_post(client, job, channel, container, secret, now))
        return Attempted(outcome)

    async def _ready_container(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ThreadsChannel,
        secret: str,
        now: datetime,
        save: SaveState,
    ) -> str | Outcome:
        """The id of a ``FINISHED`` container to publish: the saved one, unless it is unusable,
        else a new one; or what became of the post (published already, failed, not ready)."""
        container = job.state.get(CONTAINER) or None
        status: Status | Outcome | None = None
        if container is not None:
            status = await status_of(client, channel, container, secret, now)
            if isinstance(status, Status) and status.value in UNUSABLE:
                container, status = None, None
        if container is None:
            made = await self._new_container(client, job, channel, secret, now, save)
            if not isinstance(made, str):
                return made
            container = made
            if not job.images:
                status = Status(FINISHED)  # a text container is ready at once
        waits = self.container_waits if job.images else ()
        poll = partial(status_of, client, channel, container, secret, now)
        status = await until_ready(poll, status, waits)
        if isinstance(status, Status) and status.value == PUBLISHED:
            return await _find_post(client, job, channel, container, secret, now)
        return settled(status, container, _holds(job)) or container

    async def _new_container(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ThreadsChannel,
        secret: str,
        now: datetime,
        save: SaveState,
    ) -> str | Outcome:
        """Make the post's container (a carousel's items first) and save its id."""
        missing = missing_link(job)
        if missing is not None:
            return missing
        if len(job.images) > 1:
            items = await carousel_items(
                client, job, channel, secret, now, save, self.container_waits
            )
            if not isinstance(items, PostJob):
                return items
            job = items
        created = await send(client, self.build(job, channel, secret))
        container = read_container(created, now)
        if isinstance(container, str):
            await save({CONTAINER: container})
        return container

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ThreadsChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        container = job.state.get(CONTAINER)
        if not container:
            # Nothing is published without a saved container: no publish request went out.
            return None
        status = await status_of(client, channel, container, credentials.secret, now)
        if isinstance(status, Status) and status.value == PUBLISHED:
            return await _find_post(client, job, channel, container, credentials.secret, now)
        if isinstance(status, Status) and (status.value == FINISHED or status.value in UNUSABLE):
            # publish() takes it from here: it publishes a FINISHED container, and replaces
            # an ERROR or EXPIRED one with a new container first.
            return None
        return settled(status, container, _holds(job))

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: ThreadsChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        url = f"{graph(channel)}/me?fields=id,username"
        response = await send(client, HttpRequest("GET", url, bearer(credentials.secret)))
        body = identity_answer(response, refused_identity)
        if channel.user_id not in ("me", str(body.get("id"))):
            raise ChannelCheckError(
                f"the token belongs to @{body.get('username')} ({body.get('id')}), not user "
                f"{channel.user_id}"
            )
        return Identity(name=f"@{body.get('username')}")


def read_container(response: HttpResponse | NoAnswer, now: datetime) -> str | Outcome:
    """The container id from step one, or what stopped it.

    A container is not a post: whatever happened to a request that got no clear answer,
    making another one later cannot post twice.
    """
    if isinstance(response, Failed):  # never written: the same request would fail again
        return response
    if not isinstance(response, HttpResponse):
        return RetryLater(f"making the container: {response.reason}")
    body = response.json()
    if response.status == 200 and isinstance(body, dict) and body.get("id"):
        return str(body["id"])
    outcome = read_failure(response, now, service=SERVICE, reconnect=RECONNECT)
    if isinstance(outcome, Unknown):
        return RetryLater(f"making the container: {outcome.reason}", outcome.http_status)
    return outcome


def find_in_listing(
    response: HttpResponse, job: PostJob, channel: ThreadsChannel, container: str, now: datetime
) -> Outcome:
    """The published post among the profile's newest: same text, created since the first attempt."""
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return refused_read(
            response,
            now,
            service=SERVICE,
            reconnect=RECONNECT,
            reading=f"list the profile's {_listing(job)}",
            unsettled=f"though it reports container {container} published",
        )
    since = (job.first_attempt_at or now) - CLOCK_SKEW
    parent = job.reply_to.parent.remote_id if job.reply_to is not None else None
    matches = [
        item
        for item in body.get("data") or []
        if isinstance(item, dict)
        and item.get("id")
        and (item.get("text") or "") == job.text  # an image post may have no text
        and (created := graph_time(item.get("timestamp"))) is not None
        and created >= since
        and (parent is None or _replied_to(item) == parent)
    ]
    if not matches:
        what = "post" if parent is None else f"reply to {parent}"
        return Unknown(
            f"Threads reports container {container} published, but no {what} with this text "
            f"is among the profile's {LISTING_SIZE} newest {_listing(job)}"
        )
    oldest = matches[-1]  # newest first; the earliest match is the one the first attempt made
    url = oldest.get("permalink")
    return Published(str(oldest["id"]), str(url) if url else None, response.status)


def _replied_to(item: dict[str, object]) -> str | None:
    """The id of the post a listed reply answers (``replied_to``: ``{"id": ...}``)."""
    replied = item.get("replied_to")
    found = replied.get("id") if isinstance(replied, dict) else replied
    return str(found) if found else None


def _listing(job: PostJob) -> str:
    """Where the profile lists a post like this one: its threads, or (a reply) its replies."""
    return "threads" if job.reply_to is None else "replies"


async def _find_post(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: ThreadsChannel,
    container: str,
    secret: str,
    now: datetime,
) -> Outcome:
    fields = "id,text,timestamp,permalink" + (",replied_to" if job.reply_to else "")
    url = f"{graph(channel)}/{channel.user_id}/{_listing(job)}?fields={fields}&limit={LISTING_SIZE}"
    response = await send(client, HttpRequest("GET", url, bearer(secret)))
    if not isinstance(response, HttpResponse):
        return RetryLater(
            f"container {container} is published; listing posts failed: {response.reason}"
        )
    return find_in_listing(response, job, channel, container, now)


async def _permalink(
    client: httpx.AsyncClient, channel: ThreadsChannel, media_id: str, secret: str
) -> str | None:
    """The post's public URL; the post exists whether or not this lookup works."""
    url = f"{graph(channel)}/{quote(media_id)}?fields=permalink"
    response = await send(client, HttpRequest("GET", url, bearer(secret)))
    if not isinstance(response, HttpResponse) or response.status != 200:
        return None
    body = response.json()
    link = body.get("permalink") if isinstance(body, dict) else None
    return str(link) if link else None


def _holds(job: PostJob) -> str:
    """What the post's container holds, as reasons name it."""
    if not job.images:
        return "the post"
    return "image 1" if len(job.images) == 1 else "the carousel"
