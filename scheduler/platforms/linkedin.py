"""LinkedIn: ``POST /rest/posts`` with the versioned headers and little-text commentary (§1).

The commentary is ``escape_little(text)``: an unescaped reserved character makes LinkedIn cut
the post there without an error, so the preview reads the commentary back the way LinkedIn
does (``read_little``) and shows any cut.

LinkedIn has no idempotency key, but for about ten minutes it refuses an identical post with
422 ``DUPLICATE_POST`` naming the first one (§1.8). After an unknown outcome the engine asks
``reconcile`` before anything is sent again: within the window of the last create request
(``PostJob.last_sent_at``) by resending the identical body (201: the earlier one never landed;
``DUPLICATE_POST``: it did, with that URN), after it by finding the post among the author's
posts, the latest changed first, page after page back to the last send (posts made meanwhile
push it off the first page; up to ``LISTED_AT_MOST``, then a person is asked). A
``DUPLICATE_POST`` to a first request answers a post someone else made: the attempt
fails, naming that post, and nothing is sent again.

A post's images are uploaded first (``linkedin_images``), each URN saved as soon as its bytes
arrived, and the post waits, briefly, until LinkedIn has processed them. The URNs stay in the
publish state with no end: each attempt asks LinkedIn about them before posting, and uploads
again one LinkedIn no longer has. So the body is built from the saved state, and a resend
to reconcile is the identical body, images included.

LinkedIn has no threads; a part after the post is its first comment (``linkedin_comments``),
whose text is not little text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote

import httpx

from drafts.channels import LinkedInChannel
from drafts.text_rules.linkedin import escape_little
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
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
    send,
)
from scheduler.platforms.linkedin_comments import comment_request, find_comment, read_comment
from scheduler.platforms.linkedin_images import ImageWait, post_content, prepare_images
from scheduler.platforms.linkedin_rest import (
    API,
    CLOCK_SKEW,
    error_message,
    next_start,
    post_url,
    refused_anywhere,
    response_header,
    rest_headers,
)
from scheduler.platforms.look_back import look_back, posts_of
from scheduler.retry import UnknownHandling

THROTTLED = "linkedin_throttled_at"
# LinkedIn refuses identical posts for 10 minutes; keep a margin for clock skew and the trip.
DUPLICATE_WINDOW = timedelta(minutes=9)
LISTING_SIZE = 10
# Of the author's posts, read after an unknown outcome before a person is asked.
LISTED_AT_MOST = 200
# A 429 without a daily limit named may be LinkedIn's infrastructure protection: it waits the
# default while; a second one for the same post waits for the daily reset at midnight UTC (§1.6).
REPEATED_THROTTLE = timedelta(days=1)
DUPLICATE_URN = re.compile(r"urn:li:(?:share|ugcPost|activity):\d+")
# Little text, as LinkedIn reads it (§1.4): each piece is shown as its captured groups, or as
# written when it has none.
_ESCAPED = r"\\(.)"  # the character itself
_HASHTAG = r"#[^\W_]+"  # as written
_TEMPLATE = r"\{hashtag\|\\(#)\|([^}|]+)\}"  # "#" and its word
_MENTION = r"@\[([^\]]*)\]\(urn:li:(?:person|organization):[A-Za-z0-9_-]+\)"  # the name
_PLAIN = r"[^|{}@\[\]()<>#*_~\\]+"
# Everything up to the first reserved character that is neither escaped nor an element.
_UNTIL_CUT = re.compile(f"(?:{_ESCAPED}|{_HASHTAG}|{_TEMPLATE}|{_MENTION}|{_PLAIN})*+", re.DOTALL)
_SHOWN_OTHERWISE = re.compile(f"{_ESCAPED}|{_TEMPLATE}|{_MENTION}", re.DOTALL)


class LinkedInAdapter(Adapter[LinkedInChannel]):
    platform: ClassVar[str] = "linkedin"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = LinkedInChannel

    def __init__(self, wait: ImageWait | None = None) -> None:
        self.wait = wait or ImageWait()

    def build(self, job: PostJob, channel: LinkedInChannel, secret: str) -> HttpRequest:
        """The post, or (a part after it: the first comment) the comment on it."""
        if job.reply_to is not None:
            return comment_request(job, channel, secret)
        body = {
            "author": channel.author,
            "commentary": escape_little(job.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = post_content(job)
        if content is not None:
            body["content"] = content
        return HttpRequest.with_json(
            "POST",
            api_origin(channel, API) + "/rest/posts",
            body,
            headers=rest_headers(channel, secret),
        )

    def displayed_text(self, request: HttpRequest) -> str:
        body = request.json()
        if "commentary" not in body:  # a comment: plain text, shown as sent
            return str(body["message"]["text"])
        return read_little(str(body["commentary"]))

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: LinkedInChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        if job.reply_to is not None:
            outcome = await self.send_and_read(
                client,
                job,
                channel,
                credentials.secret,
                lambda answer: read_comment(
                    answer, channel, commented_post(job), now, throttled_before=_throttled(job, now)
                ),
            )
            return Attempted(outcome, throttle_mark(outcome, now))
        prepared = await prepare_images(
            client, job, channel, credentials.secret, now, save, self.wait
        )
        if isinstance(prepared, Attempted):
            return prepared
        job = prepared
        outcome = await self.send_and_read(
            client,
            job,
            channel,
            credentials.secret,
            lambda answer: read_answer(answer, channel, now, throttled_before=_throttled(job, now)),
        )
        return Attempted(outcome, throttle_mark(outcome, now))

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: LinkedInChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        since = job.last_sent_at or job.first_attempt_at or now
        if job.reply_to is not None:
            return await find_comment(client, job, channel, credentials.secret, since, now)
        if now - since < DUPLICATE_WINDOW:
            # The identical body is the question: LinkedIn names the post if it has it.
            return await self.send_and_read(
                client,
                job,
                channel,
                credentials.secret,
                lambda answer: read_answer(
                    answer, channel, now, resend=True, throttled_before=_throttled(job, now)
                ),
            )
        return await _find_post(client, job, channel, credentials.secret, since, now)

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: LinkedInChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        secret = credentials.secret
        person = channel.author.startswith("urn:li:person:")
        if person:
            request = HttpRequest("GET", api_origin(channel, API) + "/v2/userinfo", bearer(secret))
        else:
            # Reading one of the page's posts checks the token, the version and the page
            # role in one call (it needs r_organization_social).
            request = HttpRequest(
                "GET", _author_posts(channel) + "&count=1", rest_headers(channel, secret)
            )

        def refusal(response: HttpResponse) -> str:
            if response.status in (401, 426):
                return _reason(read_answer(response, channel, now))
            message, _ = error_message(response.json(), response)
            hint = "" if person else "; reading the page's posts needs r_organization_social"
            return f"LinkedIn refused ({response.status}): {message}{hint}"

        body = identity_answer(await send(client, request), refusal)
        if not person:
            return Identity(name=f"LinkedIn page {channel.author}")
        member = f"urn:li:person:{body.get('sub')}"
        if member != channel.author:
            raise ChannelCheckError(
                f"the token belongs to {body.get('name')} ({member}), not {channel.author}"
            )
        return Identity(name=f"{body.get('name') or 'member'} ({member})")


def read_little(commentary: str) -> str:
    """Little text as LinkedIn shows it: escapes undone, mentions and hashtags as their
    text, and cut at the first reserved character that is neither escaped nor an element."""
    shown = _UNTIL_CUT.match(commentary)
    assert shown is not None  # the pattern matches the empty text too
    # re.split gives the text between pieces and each piece's groups (None where unmatched).
    return "".join(filter(None, _SHOWN_OTHERWISE.split(shown[0])))


def read_answer(
    response: HttpResponse,
    channel: LinkedInChannel,
    now: datetime,
    *,
    resend: bool = False,
    throttled_before: bool = False,
) -> Outcome:
    """A ``POST /rest/posts`` answer as an outcome; ``resend`` when an earlier identical
    request may have created the post, so a duplicate refusal names ours."""
    status = response.status
    urn = response_header(response, "x-restli-id")
    if status in (200, 201) and urn:
        return Published(urn, post_url(urn), status)
    body = response.json()
    message, codes = error_message(body, response)
    refused = refused_anywhere(response, channel, now, throttled_before=throttled_before)
    if refused is not None:
        return refused
    if status == 403:
        return Failed(
            f"LinkedIn denied the post ({message}): the token needs w_organization_social "
            "(a page, whose ADMINISTRATOR, CONTENT_ADMIN or DIRECT_SPONSORED_CONTENT_POSTER "
            "the member must be) or w_member_social (a member)",
            status,
        )
    if status == 422 and "DUPLICATE_POST" in codes:
        return _duplicate(message, resend, status)
    if status >= 500 or 200 <= status < 300:
        return Unknown(f"LinkedIn answered {status} without a post id ({message})", status)
    label = " ".join([str(status), *codes[:1]])
    return Failed(f"LinkedIn refused the post ({label}): {message}", status)


async def _find_post(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: LinkedInChannel,
    secret: str,
    since: datetime,
    now: datetime,
) -> Outcome | None:
    """The post among the author's posts, the latest changed first, read a page at a time
    until it is found, a page reaches back before ``since`` (later pages changed earlier
    still, and the post changed no earlier than it was made), or none is left. None when it
    is not there (safe to send)."""
    commentary = escape_little(job.text)
    earliest = (since - CLOCK_SKEW).timestamp() * 1000

    def page(start: int | None) -> HttpRequest:
        query = f"&start={start or 0}&count={LISTING_SIZE}&sortBy=LAST_MODIFIED"
        return HttpRequest("GET", _author_posts(channel) + query, rest_headers(channel, secret))

    def following(listing: HttpResponse, start: int | None) -> int | None:
        if _changed_before(listing, earliest):
            return None
        return next_start(listing, start or 0, LISTING_SIZE)

    return await look_back(
        client,
        page,
        lambda listing: read_listing(listing, channel, commentary, since, now),
        following,
        pages=LISTED_AT_MOST // LISTING_SIZE,
        size=LISTING_SIZE,
        service="LinkedIn",
        listed=posts_of(channel.author),
    )


def _changed_before(listing: HttpResponse, earliest: float) -> bool:
    """Whether a listed post last changed before ``earliest`` (epoch milliseconds)."""
    body = listing.json()
    elements = body.get("elements") if isinstance(body, dict) else None
    return any(
        isinstance(element, dict)
        and isinstance(element.get("lastModifiedAt"), int)
        and element["lastModifiedAt"] < earliest
        for element in elements or []
    )


def read_listing(
    response: HttpResponse,
    channel: LinkedInChannel,
    commentary: str,
    since: datetime,
    now: datetime,
) -> Outcome | None:
    """Whether the author's newest posts hold this commentary, created since ``since``;
    None when they do not (safe to send)."""
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        earliest = (since - CLOCK_SKEW).timestamp() * 1000
        for element in body.get("elements") or []:
            if (
                isinstance(element, dict)
                and element.get("commentary") == commentary
                and isinstance(element.get("createdAt"), int)
                and element["createdAt"] >= earliest
                and element.get("id")
            ):
                urn = str(element["id"])
                return Published(urn, post_url(urn), response.status)
        return None
    refused = read_answer(response, channel, now)
    if isinstance(refused, Failed) and response.status not in (401, 426):
        return Unknown(
            "more than 9 minutes passed since the earlier attempt, so LinkedIn's duplicate "
            f"check no longer tells, and the author's posts could not be read ({refused.reason})",
            response.status,
        )
    if isinstance(refused, Unknown):
        return RetryLater(
            f"could not list the author's posts: {refused.reason}", refused.http_status
        )
    return refused


def throttle_mark(outcome: Outcome, now: datetime) -> dict[str, str]:
    """Remember a 429, so a second one waits for the daily reset."""
    if isinstance(outcome, RetryAt) and outcome.http_status == 429:
        return {THROTTLED: now.isoformat()}
    return {}


def _duplicate(message: str, resend: bool, status: int) -> Outcome:
    found = DUPLICATE_URN.search(message)
    if resend:
        if found is None:
            return Unknown(f"LinkedIn reports a duplicate without naming it ({message})", status)
        return Published(found.group(0), post_url(found.group(0)), status)
    existing = found.group(0) if found else "a recent post"
    return Failed(
        f"LinkedIn already has this exact post from this author: {existing}, made in the "
        "last few minutes but not by this attempt; nothing was sent again. If that post is "
        "this one, mark it published; otherwise change the text",
        status,
    )


def _throttled(job: PostJob, now: datetime) -> bool:
    value = job.state.get(THROTTLED)
    return bool(value) and now - datetime.fromisoformat(str(value)) < REPEATED_THROTTLE


def _author_posts(channel: LinkedInChannel) -> str:
    """``GET /rest/posts`` finding the author's posts (§1.8): add ``count`` and the order."""
    return f"{api_origin(channel, API)}/rest/posts?author={quote(channel.author, safe='')}&q=author"


def _reason(outcome: Outcome) -> str:
    return "published" if isinstance(outcome, Published) else outcome.reason
