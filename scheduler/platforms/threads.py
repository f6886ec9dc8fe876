"""Threads: a TEXT container (``POST /v1.0/{user}/threads``), then ``threads_publish`` (§6).

The container id is saved in the post's state before the publish request goes out, so the
container's ``status`` can always say what became of it: ``PUBLISHED`` (done: the post is
found among the profile's newest), ``FINISHED`` (ready and unpublished: publish that same
container), ``IN_PROGRESS`` (wait), ``ERROR`` or ``EXPIRED`` (never published, unusable: a new
container is made and saved over it). A retry never makes a second container while the first
could still be published, and never publishes without checking the saved one first.

A container is private until published, so a container request that times out is simply
made again. Tokens go in the JSON body or a bearer header, never in the URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
    api_origin,
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
from scheduler.retry import UnknownHandling

API = "https://graph.threads.net"
VERSION = "v1.0"
SERVICE = "Threads"
RECONNECT = "reconnect the Threads account (tokens last 60 days unless refreshed)"
CONTAINER = "container_id"
CLOCK_SKEW = timedelta(minutes=2)
LISTING_SIZE = 25
# Container statuses after which a new container is needed: it was never published.
UNUSABLE = frozenset({"ERROR", "EXPIRED"})


class ThreadsAdapter(Adapter[ThreadsChannel]):
    platform: ClassVar[str] = "threads"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = ThreadsChannel

    def build(self, job: PostJob, channel: ThreadsChannel, secret: str) -> HttpRequest:
        """Step one, the container: it carries the text the post will show."""
        return HttpRequest.with_json(
            "POST",
            f"{_graph(channel)}/{channel.user_id}/threads",
            {"media_type": "TEXT", "text": job.text, "access_token": secret},
        )

    def build_publish(self, channel: ThreadsChannel, container_id: str, secret: str) -> HttpRequest:
        """Step two: publish the container."""
        return HttpRequest.with_json(
            "POST",
            f"{_graph(channel)}/{channel.user_id}/threads_publish"
            f"?creation_id={quote(container_id)}",
            {"access_token": secret},
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["text"])

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
        container = job.state.get(CONTAINER) or None
        if container is not None:
            status = await _container_status(client, channel, container, secret, now)
            if status == "PUBLISHED":
                return Attempted(await _find_post(client, job, channel, container, secret, now))
            if isinstance(status, str) and status in UNUSABLE:
                container = None
            elif status != "FINISHED":
                return Attempted(_waiting(status, container))
        if container is None:
            created = await send(client, self.build(job, channel, secret))
            container_or_outcome = read_container(created, now)
            if not isinstance(container_or_outcome, str):
                return Attempted(container_or_outcome)
            container = container_or_outcome
            await save({CONTAINER: container})
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
            status = await _container_status(client, channel, container, secret, now)
            if status == "PUBLISHED":
                return Attempted(await _find_post(client, job, channel, container, secret, now))
        return Attempted(outcome)

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
        status = await _container_status(client, channel, container, credentials.secret, now)
        if status == "PUBLISHED":
            return await _find_post(client, job, channel, container, credentials.secret, now)
        if status == "FINISHED" or (isinstance(status, str) and status in UNUSABLE):
            # publish() takes it from here: it publishes a FINISHED container, and replaces
            # an ERROR or EXPIRED one with a new container first.
            return None
        return _waiting(status, container)

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: ThreadsChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        url = f"{_graph(channel)}/me?fields=id,username"
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


def read_status(response: HttpResponse, container: str, now: datetime) -> str | Outcome:
    """A container's ``status`` (``GET /{container}?fields=status``), or an outcome if unreadable."""
    body = response.json()
    if response.status == 200 and isinstance(body, dict) and isinstance(body.get("status"), str):
        return str(body["status"])
    return refused_read(
        response,
        now,
        service=SERVICE,
        reconnect=RECONNECT,
        reading=f"report the status of container {container}",
        unsettled="so whether it was published cannot be told",
    )


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
            reading="list the profile's posts",
            unsettled=f"though it reports container {container} published",
        )
    since = (job.first_attempt_at or now) - CLOCK_SKEW
    matches = [
        item
        for item in body.get("data") or []
        if isinstance(item, dict)
        and item.get("id")
        and item.get("text") == job.text
        and (created := graph_time(item.get("timestamp"))) is not None
        and created >= since
    ]
    if not matches:
        return Unknown(
            f"Threads reports container {container} published, but no post with this text is "
            f"among the profile's {LISTING_SIZE} newest"
        )
    oldest = matches[-1]  # newest first; the earliest match is the one the first attempt made
    url = oldest.get("permalink")
    return Published(str(oldest["id"]), str(url) if url else None, response.status)


async def _container_status(
    client: httpx.AsyncClient, channel: ThreadsChannel, container: str, secret: str, now: datetime
) -> str | Outcome:
    url = f"{_graph(channel)}/{quote(container)}?fields=status,error_message"
    response = await send(client, HttpRequest("GET", url, bearer(secret)))
    if not isinstance(response, HttpResponse):
        # Reading a status creates nothing, so any transport trouble is safe to retry.
        return RetryLater(f"could not read container {container}'s status: {response.reason}")
    return read_status(response, container, now)


async def _find_post(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: ThreadsChannel,
    container: str,
    secret: str,
    now: datetime,
) -> Outcome:
    url = (
        f"{_graph(channel)}/{channel.user_id}/threads"
        f"?fields=id,text,timestamp,permalink&limit={LISTING_SIZE}"
    )
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
    url = f"{_graph(channel)}/{quote(media_id)}?fields=permalink"
    response = await send(client, HttpRequest("GET", url, bearer(secret)))
    if not isinstance(response, HttpResponse) or response.status != 200:
        return None
    body = response.json()
    link = body.get("permalink") if isinstance(body, dict) else None
    return str(link) if link else None


def _waiting(status: str | Outcome, container: str) -> Outcome:
    if not isinstance(status, str):
        return status
    if status == "IN_PROGRESS":
        return RetryLater(f"container {container} is still being prepared")
    return Unknown(f"container {container} has a status Tidings does not know: {status}")


def _graph(channel: ThreadsChannel) -> str:
    return f"{api_origin(channel, API)}/{VERSION}"
