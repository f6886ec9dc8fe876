"""Whether X has a post: the account's recent posts (PLATFORMS.md §2.6).

X has no idempotency key, and its duplicate check (a 403 to the identical text) says that *some*
post has the text, not which. The account's recent posts (``GET /2/users/{id}/tweets``, the id
from ``GET /2/users/me``) say which: exactly one post with this text created since the post's
first attempt is this post. More than one means someone must look; none, or a page too full
to tell, or posts that cannot be read, settles nothing (``NotFound``), and the duplicate check
is what is left. Texts are compared with their URLs set aside: X may show them as t.co links,
and shows a post with images with one more link at its end, to its media (a listed post's
``text`` ends " https://t.co/…" though none was written: seen in lockdown-systems/cyd#393;
docs.x.com does not say).

A part of a thread is matched by what it replies to as well: the timeline is asked for each
post's ``referenced_tweets``, and a part after the first is the post with its text that
replies (``replied_to``) to the part before it; the first part is one that replies to nothing.
So a part whose text another part or another thread shares is still told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from drafts.channels import XChannel
from drafts.text_rules.urls import extract_urls
from scheduler.outcomes import Published, Unknown
from scheduler.platforms.base import Credentials, HttpRequest, HttpResponse, PostJob, bearer
from scheduler.platforms.x_oauth import api_base, send_as_user

WEB = "https://x.com"
TIMELINE_SIZE = 20
# Our clock and X's disagree a little; a post made that much before the first attempt is not ours.
CLOCK_SKEW = timedelta(minutes=2)
_URL = "\x00url\x00"
_STATUS_LINK = re.compile(r"/status(?:es)?/([0-9]{1,19})(?:[/?#]|$)")


@dataclass(frozen=True)
class NotFound:
    """The account's recent posts do not settle it; ``reason`` says why."""

    reason: str


def post_url(tweet_id: str) -> str:
    """A post's public link: x.com finds it by id alone, whoever wrote it."""
    return f"{WEB}/i/web/status/{tweet_id}"


def replied_id(remote_id: str) -> str:
    """The post id a part replies to: its remote id, or, for a part a person marked published
    with its link (``https://x.com/<name>/status/<id>``), the id in that link."""
    link = _STATUS_LINK.search(remote_id) if remote_id.startswith(("https://", "http://")) else None
    return link[1] if link is not None else remote_id


def me_request(channel: XChannel, token: str) -> HttpRequest:
    """``GET /2/users/me``: the account behind the token."""
    return HttpRequest("GET", api_base(channel) + "/2/users/me", bearer(token))


def timeline_request(channel: XChannel, user_id: str, token: str) -> HttpRequest:
    """The account's newest posts, with the time each was made and the posts each refers to."""
    return HttpRequest(
        "GET",
        f"{api_base(channel)}/2/users/{user_id}/tweets"
        f"?max_results={TIMELINE_SIZE}&tweet.fields=created_at,referenced_tweets",
        bearer(token),
    )


async def find_sent(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
) -> Published | Unknown | NotFound:
    """This post among the account's recent posts (see the module's docstring)."""
    me, _ = await send_as_user(
        client, channel, credentials, now, lambda token: me_request(channel, token)
    )
    user_id = _user_id(me.json()) if isinstance(me, HttpResponse) and me.status == 200 else None
    if user_id is None:
        said = f"{me.status}" if isinstance(me, HttpResponse) else me.reason
        return NotFound(f"X would not say which account the token is for ({said})")
    posts, _ = await send_as_user(
        client, channel, credentials, now, lambda token: timeline_request(channel, user_id, token)
    )
    if not isinstance(posts, HttpResponse):
        return NotFound(f"the account's posts could not be read: {posts.reason}")
    since = job.first_attempt_at or now
    replying_to = replied_id(job.reply_to.parent.remote_id) if job.reply_to is not None else None
    return read_timeline(
        posts, job.text, since=since, with_media=bool(job.images), replying_to=replying_to
    )


def read_timeline(
    response: HttpResponse,
    text: str,
    *,
    since: datetime,
    with_media: bool = False,
    replying_to: str | None = None,
) -> Published | Unknown | NotFound:
    """Which of the posts in a ``GET /2/users/{id}/tweets`` answer has ``text``, created since
    ``since`` (the first attempt), and replies to ``replying_to`` (None: to no post);
    ``with_media``: the post attaches images, so X may show their link after the text."""
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        return NotFound(f"X would not list the account's posts ({response.status})")
    listed = [post for post in body.get("data") or [] if isinstance(post, dict)]
    earliest = since - CLOCK_SKEW
    recent = [post for post in listed if (made := _made(post)) is not None and made >= earliest]
    shown = _shown_forms(text, with_media)
    matches = [
        str(post["id"])
        for post in recent
        if post.get("id") and _same(post, shown) and _replied_to(post) == replying_to
    ]
    if len(matches) > 1:
        return Unknown(
            f"X shows {len(matches)} posts with exactly this text since the first attempt "
            f"({', '.join(matches)}): which one this post made cannot be told; mark the right "
            "one published",
            response.status,
        )
    if len(listed) >= TIMELINE_SIZE and len(recent) == len(listed):
        # A full page made entirely since the first attempt: another match may lie beyond it.
        return NotFound(f"the account made more than {TIMELINE_SIZE} posts since the first attempt")
    if not matches:
        return NotFound("none of the account's posts since the first attempt has this text")
    return Published(matches[0], post_url(matches[0]), response.status)


def _user_id(body: Any) -> str | None:
    data = body.get("data") if isinstance(body, dict) else None
    user_id = data.get("id") if isinstance(data, dict) else None
    return str(user_id) if isinstance(user_id, str | int) and str(user_id) else None


def _made(post: dict[str, Any]) -> datetime | None:
    value = post.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        made = datetime.fromisoformat(value)
    except ValueError:
        return None
    return made if made.tzinfo is not None else None


def _replied_to(post: dict[str, Any]) -> str | None:
    """The id of the post ``post`` replies to (its ``replied_to`` reference), if any."""
    references = post.get("referenced_tweets")
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to":
            replied = reference.get("id")
            return str(replied) if isinstance(replied, str | int) else None
    return None


def _shown_forms(text: str, with_media: bool) -> set[str]:
    """How X may list ``text``, URLs set aside: as written, or followed by its media's link."""
    written = _without_urls(text)
    return {written, f"{written} {_URL}"} if with_media else {written}


def _same(post: dict[str, Any], shown: set[str]) -> bool:
    listed = post.get("text")
    return isinstance(listed, str) and _without_urls(listed) in shown


def _without_urls(text: str) -> str:
    for url in reversed(extract_urls(text)):
        text = text[: url.start] + _URL + text[url.end :]
    return text
