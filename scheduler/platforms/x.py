"""X: ``POST /2/tweets`` with the user's OAuth 2.0 access token (PLATFORMS.md §2).

X has no idempotency key. After an unknown outcome Tidings first looks for the post among the
account's recent posts (``x_timeline``): exactly one with its text since the first attempt is
the post, published with that id; two or more go to a person. When they settle nothing, X's
duplicate check is the question: identical text from the same account answers ``403``
"duplicate content" (§2.6), so the identical text is sent again. A ``201`` means the first
request created nothing and this one posted; a duplicate answer means the first request most
likely posted, and the recent posts are read again to find it; if they still cannot say which
post it is, a person decides rather than the post being called published without an id. A
duplicate on a post's very first attempt is a genuine duplicate and fails.

A part of a thread after the first (and the first comment) is a reply to the part before it:
``reply: {in_reply_to_tweet_id}`` (§10.2). Only the first part has images. X answers a reply to a
post it cannot see with a 403; right after that post was made this can be X's own delay
(plhery/node-twitter-api-v2#366), so the part is tried again later, up to the retry limit.

Two marks in the post's publish state tell these cases apart: ``x_sent_at``, saved before
every create request and emptied once X's answer shows nothing was created (so a worker that
stops mid-request leaves it set), and ``x_unknown_since``, the first attempt whose outcome was
unknown. How long X remembers a text for its duplicate check is not documented, so past
``RESEND_WINDOW`` after an unknown outcome nothing is sent again and a person decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from drafts.channels import XChannel
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
    bearer,
    identity_answer,
    rate_limited_until,
)
from scheduler.platforms.uploads import attached_ids
from scheduler.platforms.x_media import upload_images
from scheduler.platforms.x_oauth import api_base, can_renew, send_as_user
from scheduler.platforms.x_problems import is_duplicate, is_unseen_parent, problem_message
from scheduler.platforms.x_timeline import (
    NotFound,
    find_sent,
    me_request,
    post_url,
    replied_id,
)
from scheduler.retry import UnknownHandling

SENT_AT = "x_sent_at"
UNKNOWN_SINCE = "x_unknown_since"
# Resending later than this could post twice if X has forgotten the first text by then.
RESEND_WINDOW = timedelta(hours=1)
_DAY_REMAINING = ("x-user-limit-24hour-remaining", "x-app-limit-24hour-remaining")

TOO_LATE_TO_RESEND = (
    "an earlier attempt's outcome is unknown, the account's recent posts did not settle it, and "
    "more than an hour has passed since, longer than Tidings trusts X's duplicate check to stop "
    "a second post, so nothing was sent again"
)
DUPLICATE_OF_UNKNOWN = (
    "X refused the identical text as a duplicate (403), so an earlier attempt most likely "
    "created the post, but X does not say which post it is and Tidings did not post again: "
    "find it on the account and mark this post published"
)


class XAdapter(Adapter[XChannel]):
    platform: ClassVar[str] = "x"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = XChannel

    def build(self, job: PostJob, channel: XChannel, secret: str) -> HttpRequest:
        body: dict[str, Any] = {"text": job.text}
        if job.images:
            body["media"] = {"media_ids": attached_ids(job)}
        if job.reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": replied_id(job.reply_to.parent.remote_id)}
        return HttpRequest.with_json(
            "POST", api_base(channel) + "/2/tweets", body, headers=bearer(secret)
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["text"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: XChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        unknown_since = _moment(job.state.get(UNKNOWN_SINCE))
        if unknown_since is not None and now - unknown_since > RESEND_WINDOW:
            return Attempted(Unknown(TOO_LATE_TO_RESEND))
        uploaded = await upload_images(client, job, channel, credentials, now, save)
        if not isinstance(uploaded, PostJob):
            return Attempted(uploaded)  # an image is missing: nothing was sent to post
        job = uploaded
        sent_before = unknown_since is not None or bool(job.state.get(SENT_AT))
        await save({SENT_AT: now.isoformat()})
        outcome = await self._create(
            client, job, channel, credentials, now, sent_before=sent_before
        )
        if isinstance(outcome, Unknown):
            return Attempted(outcome, {} if unknown_since else {UNKNOWN_SINCE: now.isoformat()})
        if isinstance(outcome, Published):
            return Attempted(outcome)
        # Refused, rate-limited or never arrived: this attempt created nothing.
        return Attempted(outcome, {SENT_AT: ""})

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: XChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        found = await find_sent(client, job, channel, credentials, now)
        if not isinstance(found, NotFound):
            return found
        # Resending the identical text is the check left; X's duplicate answer stops a second post.
        since = _unknown_since(job)
        if since is not None and now - since > RESEND_WINDOW:
            return Unknown(TOO_LATE_TO_RESEND)
        outcome = await self._create(client, job, channel, credentials, now, sent_before=True)
        if isinstance(outcome, Failed):
            # The earlier request's fate is still open; "failed" could hide a live post.
            return Unknown(
                f"an earlier attempt may have posted, and checking failed: {outcome.reason}",
                outcome.http_status,
            )
        return outcome

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: XChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        response, token = await send_as_user(
            client, channel, credentials, now, lambda value: me_request(channel, value)
        )

        def refusal(refused: HttpResponse) -> str:
            message = problem_message(refused.json(), refused)
            hint = _reconnect_hint(channel, credentials) if refused.status == 401 else ""
            return f"X refused ({refused.status}): {message}{hint}"

        me = identity_answer(response, refusal)
        username = _username(me)
        if username is None or token is None:
            raise ChannelCheckError("X answered /2/users/me without the account's username")
        return Identity(name=f"@{username}", token_expires_at=token.expires_at)

    async def _create(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: XChannel,
        credentials: Credentials,
        now: datetime,
        *,
        sent_before: bool,
    ) -> Outcome:
        response, _ = await send_as_user(
            client, channel, credentials, now, lambda value: self.build(job, channel, value)
        )
        if not isinstance(response, HttpResponse):
            return response
        if sent_before and response.status == 403 and is_duplicate(response.json()):
            # An earlier attempt most likely made the post: the account's posts may say which.
            found = await find_sent(client, job, channel, credentials, now)
            return Unknown(DUPLICATE_OF_UNKNOWN, 403) if isinstance(found, NotFound) else found
        outcome = read_create(response, now, sent_before=sent_before)
        if isinstance(outcome, Failed) and outcome.http_status == 401:
            return Failed(outcome.reason + _reconnect_hint(channel, credentials), 401)
        return outcome


def read_create(response: HttpResponse, now: datetime, *, sent_before: bool) -> Outcome:
    """A ``POST /2/tweets`` answer as an outcome; ``sent_before``: an earlier attempt of this
    post went out, so a duplicate answer may be that attempt's post."""
    status = response.status
    body = response.json()
    if 200 <= status < 300:
        tweet_id = _tweet_id(body)
        if tweet_id is None:
            return Unknown(f"X answered {status} without a post id", status)
        return Published(tweet_id, post_url(tweet_id), status)
    message = problem_message(body, response)
    if status == 401:
        return Failed(f"X rejected the access token (401): {message}", status)
    if status == 403 and is_duplicate(body):
        if sent_before:
            return Unknown(DUPLICATE_OF_UNKNOWN, status)
        return Failed(
            "X already has a post with exactly this text (403 duplicate content); "
            "change the text to post it again",
            status,
        )
    if status == 403 and is_unseen_parent(body):
        return RetryLater(
            f"X says the post this part replies to is deleted or not visible (403): {message}; "
            "tried again later in case X is still showing it, but if it was deleted, the thread "
            "cannot go on under it",
            status,
        )
    if status == 403:
        return Failed(
            f"X refused the post (403): {message}; check that the app may post "
            "(tweet.write) and is not suspended",
            status,
        )
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"rate limited by X ({_which_limit(response)}): {message}", status)
    if status == 503:
        # X's documented transient answer, given before anything is created.
        return RetryLater(f"X is unavailable (503): {message}", status)
    if status >= 500:
        return Unknown(f"X answered {status} ({message}): the post may have been created", status)
    return Failed(f"X refused the post ({status}): {message}", status)


def _which_limit(response: HttpResponse) -> str:
    lowered = {key.lower(): value for key, value in response.headers.items()}
    if any(lowered.get(name, "").strip() == "0" for name in _DAY_REMAINING):
        return "the 24-hour posting cap"
    return "the 15-minute window"


def _reconnect_hint(channel: XChannel, credentials: Credentials) -> str:
    if can_renew(channel, credentials):
        return "; renewing it did not help: reconnect the account"
    if channel.token_env is None:
        return "; reconnect the account on the Channels page"
    return (
        f"; reconnect the account on the Channels page, or put a new token in "
        f"{channel.token_env} (and set refresh_token_env and client_id_env so Tidings renews "
        "it by itself)"
    )


def _username(me: dict[str, Any]) -> str | None:
    """The username in a ``GET /2/users/me`` answer."""
    data = me.get("data")
    username = data.get("username") if isinstance(data, dict) else None
    return username if isinstance(username, str) and username else None


def _tweet_id(body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        tweet_id = body["data"].get("id")
        if isinstance(tweet_id, str | int) and str(tweet_id):
            return str(tweet_id)
    return None


def _unknown_since(job: PostJob) -> datetime | None:
    # A worker that stopped mid-request left no outcome, only the time it sent.
    return (
        _moment(job.state.get(UNKNOWN_SINCE))
        or _moment(job.state.get(SENT_AT))
        or job.first_attempt_at
    )


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
