"""The X adapter: the exact create request, every answer class, the marks that tell a duplicate
of our own post from a genuine one, and settling an unknown outcome from the account's recent
posts before resending, against in-memory handlers that refuse what they do not expect.

Bodies are the ones PLATFORMS.md §2 shows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from drafts.channels import XChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    ChannelCheckError,
    HttpResponse,
    JobImage,
    PostJob,
    StoredSecret,
)
from scheduler.platforms.uploads import media_key
from scheduler.platforms.x import (
    DUPLICATE_OF_UNKNOWN,
    SENT_AT,
    TOO_LATE_TO_RESEND,
    UNKNOWN_SINCE,
    XAdapter,
    read_create,
)
from scheduler.platforms.x_oauth import ACCESS
from scheduler.preview import preview
from tests import fakes
from tests.fakes import (
    X_CREATED,
    X_UNAUTHORIZED,
    FakeX,
    MemoryVault,
    Saved,
    answer,
    run_against,
    tweet,
    x_credentials,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release #opensource"
KOREAN = "🌏 서울 기후 포럼 2.0 공개: https://example.org/포럼?lang=ko #기후 #서울"
X = XChannel(id="x-en", platform="x", languages=("en",), token_env="X_TOKEN")
job = partial(fakes.job, first_attempt_at=NOW)


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# -- the requests -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [ENGLISH, KOREAN])
def test_x_request_is_the_documented_create(text: str) -> None:
    request = XAdapter().build(job(text), X, "user-token")
    assert (request.method, request.url) == ("POST", "https://api.x.com/2/tweets")
    assert dict(request.headers) == {
        "Authorization": "Bearer user-token",
        "Content-Type": "application/json; charset=utf-8",
    }
    assert request.json() == {"text": text}
    # UTF-8 on the wire, not \u escapes: Hangul and emoji go out as they are.
    assert request.content == f'{{"text":{json.dumps(text, ensure_ascii=False)}}}'.encode()
    assert XAdapter().displayed_text(request) == text


def test_x_request_follows_the_channel_base_url() -> None:
    channel = X.model_copy(update={"base_url": "http://127.0.0.1:9/"})
    assert XAdapter().build(job(ENGLISH), channel, "t").url == "http://127.0.0.1:9/2/tweets"


def image(sha: str, alt: str) -> JobImage:
    return JobImage(sha * 64, "image/jpeg", 1600, 1200, 412_000, alt)


IMAGES = (image("a", "서울 시청 앞 광장"), image("b", "A crowd at the forum"))


def test_x_request_with_images_previews_where_their_ids_will_go() -> None:
    shown = preview(post_id=1, text=ENGLISH, language="en", channel=X, images=IMAGES)

    assert shown.request_json()["body"] == {
        "text": ENGLISH,
        "media": {"media_ids": ["<image 1>", "<image 2>"]},
    }
    assert shown.displayed == ENGLISH


def test_x_request_names_the_ids_the_images_were_uploaded_as() -> None:
    uploaded = {media_key(IMAGES[0]): "1880028106020515840", media_key(IMAGES[1]): "188002"}
    post = replace(job(ENGLISH, state=uploaded), images=IMAGES)

    request = XAdapter().build(post, X, "t")

    assert request.json()["media"] == {"media_ids": ["1880028106020515840", "188002"]}


# -- reading X answers --------------------------------------------------------------------

TOO_LONG = {
    "errors": [{"parameters": {"text": ["..."]}, "message": "Your Tweet text is too long."}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
FORBIDDEN = {
    "detail": "You are not permitted to perform this action.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
RATE_LIMITED = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
WINDOW_RESET = NOW + timedelta(minutes=15)
DAY_RESET = NOW + timedelta(hours=20)
DAY_CAP_HEADERS = {
    "x-rate-limit-limit": "100",
    "x-rate-limit-remaining": "99",
    "x-rate-limit-reset": epoch(WINDOW_RESET),
    "x-user-limit-24hour-limit": "100",
    "x-user-limit-24hour-remaining": "0",
    "x-user-limit-24hour-reset": epoch(DAY_RESET),
    "x-app-limit-24hour-limit": "10000",
    "x-app-limit-24hour-remaining": "9000",
    "x-app-limit-24hour-reset": epoch(DAY_RESET),
}


@pytest.mark.parametrize(
    ("response", "sent_before", "expected"),
    [
        (
            answer(201, X_CREATED),
            False,
            Published("1445880548472328192", "https://x.com/i/web/status/1445880548472328192", 201),
        ),
        (
            answer(400, TOO_LONG),
            False,
            Failed("X refused the post (400): Your Tweet text is too long.", 400),
        ),
        (
            answer(403, DUPLICATE),
            False,
            Failed(
                "X already has a post with exactly this text (403 duplicate content); "
                "change the text to post it again",
                403,
            ),
        ),
        (answer(403, DUPLICATE), True, Unknown(DUPLICATE_OF_UNKNOWN, 403)),
        (
            answer(403, FORBIDDEN),
            True,
            Failed(
                "X refused the post (403): You are not permitted to perform this action.; "
                "check that the app may post (tweet.write) and is not suspended",
                403,
            ),
        ),
        (
            answer(401, X_UNAUTHORIZED),
            False,
            Failed("X rejected the access token (401): Unauthorized", 401),
        ),
        (
            answer(429, TOO_MANY, DAY_CAP_HEADERS),
            False,
            RetryAt(
                DAY_RESET, "rate limited by X (the 24-hour posting cap): Too Many Requests", 429
            ),
        ),
        (
            answer(
                429,
                RATE_LIMITED,
                {"x-rate-limit-remaining": "0", "x-rate-limit-reset": epoch(WINDOW_RESET)},
            ),
            False,
            RetryAt(
                WINDOW_RESET, "rate limited by X (the 15-minute window): Rate limit exceeded", 429
            ),
        ),
        (
            answer(429, TOO_MANY),
            False,
            RetryAt(
                NOW + timedelta(minutes=15),
                "rate limited by X (the 15-minute window): Too Many Requests",
                429,
            ),
        ),
        (
            answer(503, {"title": "Service Unavailable", "detail": "Service Unavailable"}),
            True,
            RetryLater("X is unavailable (503): Service Unavailable", 503),
        ),
        (
            answer(500, {"title": "Internal Server Error", "detail": "Internal Server Error"}),
            False,
            Unknown("X answered 500 (Internal Server Error): the post may have been created", 500),
        ),
        (
            HttpResponse(502, {}, b"<html>Bad Gateway</html>"),
            False,
            Unknown(
                "X answered 502 (<html>Bad Gateway</html>): the post may have been created", 502
            ),
        ),
        (answer(200, {"data": {}}), False, Unknown("X answered 200 without a post id", 200)),
        (
            answer(404, {"title": "Not Found Error", "detail": "Could not find the route."}),
            False,
            Failed("X refused the post (404): Could not find the route.", 404),
        ),
    ],
)
def test_reading_x_answers(response: HttpResponse, sent_before: bool, expected: Outcome) -> None:
    assert read_create(response, NOW, sent_before=sent_before) == expected


def test_the_24_hour_reset_wins_even_when_the_window_resets_first() -> None:
    outcome = read_create(answer(429, TOO_MANY, DAY_CAP_HEADERS), NOW, sent_before=False)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == DAY_RESET > WINDOW_RESET


# -- publishing and settling an unknown outcome ---------------------------------------------


def test_publish_marks_the_send_before_the_request_goes_out() -> None:
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        order.append("request")
        return httpx.Response(403, json=DUPLICATE)

    async def save(state: Mapping[str, str]) -> None:
        order.append(f"save {sorted(state)}")

    first = run_against(
        handler, lambda c: XAdapter().publish(c, job(ENGLISH), X, x_credentials(), NOW, save)
    )
    assert order == [f"save {[SENT_AT]}", "request"]
    assert isinstance(first.outcome, Failed)
    assert first.state == {SENT_AT: ""}  # X answered: nothing was created


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, Failed),  # the very first attempt: a genuine duplicate
        ({SENT_AT: ""}, Failed),  # every earlier attempt was answered without a post
        ({SENT_AT: NOW.isoformat()}, Unknown),  # a worker stopped while a create was in flight
        ({SENT_AT: "", UNKNOWN_SINCE: NOW.isoformat()}, Unknown),  # an earlier outcome unknown
    ],
)
def test_a_duplicate_is_ours_only_if_an_earlier_create_may_have_posted(
    state: dict[str, str], expected: type
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=DUPLICATE)

    later = NOW + timedelta(minutes=5)
    attempted = run_against(
        handler,
        lambda c: XAdapter().publish(
            c, job(ENGLISH, state=state), X, x_credentials(), later, Saved()
        ),
    )
    assert isinstance(attempted.outcome, expected)
    if expected is Unknown:
        assert attempted.outcome == Unknown(DUPLICATE_OF_UNKNOWN, 403)
        # The first unknown outcome is the one the resend window counts from.
        first_unknown = {} if UNKNOWN_SINCE in state else {UNKNOWN_SINCE: later.isoformat()}
        assert attempted.state == first_unknown


class XAccount:
    """X with an account (id 1) whose recent posts are ``posts``, newest first; a create
    answers ``create`` in turn, and is refused as unexpected when there is none left."""

    def __init__(self, *posts: dict[str, str], create: list[httpx.Response] | None = None) -> None:
        self.posts = list(posts)
        self.create = create or []
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.url.path == "/2/users/me":
            return httpx.Response(200, json={"data": {"id": "1", "username": "tidings"}})
        if request.url.path == "/2/users/1/tweets":
            fields = request.url.params["tweet.fields"].split(",")
            assert fields == ["created_at", "referenced_tweets"]
            return httpx.Response(200, json={"data": self.posts, "meta": {}} if self.posts else {})
        if request.url.path == "/2/tweets" and self.create:
            return self.create.pop(0)
        raise AssertionError(f"nothing may be posted: {request.method} {request.url}")


def test_a_late_resend_after_an_unknown_outcome_sends_nothing() -> None:
    since = {UNKNOWN_SINCE: (NOW - timedelta(hours=2)).isoformat()}
    x = XAccount()
    attempted = run_against(
        x,
        lambda c: XAdapter().publish(
            c, job(ENGLISH, state=since), X, x_credentials(), NOW, Saved()
        ),
    )
    assert attempted.outcome == Unknown(TOO_LATE_TO_RESEND)
    late = PostJob(7, ENGLISH, "en", "k", {}, first_attempt_at=NOW - timedelta(hours=2))
    outcome = run_against(x, lambda c: XAdapter().reconcile(c, late, X, x_credentials(), NOW))
    assert outcome == Unknown(TOO_LATE_TO_RESEND)
    assert "POST /2/tweets" not in x.requests


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (201, X_CREATED, Published),
        (403, DUPLICATE, Unknown),
        (403, FORBIDDEN, Unknown),  # a failure while checking leaves the earlier post open
        (503, {"title": "Service Unavailable"}, RetryLater),
    ],
)
def test_reconcile_resends_when_the_recent_posts_do_not_have_it(
    status: int, body: object, expected: type
) -> None:
    x = XAccount(tweet("9", "another text", NOW), create=[httpx.Response(status, json=body)])
    recent = job(ENGLISH, state={SENT_AT: NOW.isoformat()})
    outcome = run_against(x, lambda c: XAdapter().reconcile(c, recent, X, x_credentials(), NOW))
    assert isinstance(outcome, expected)
    assert x.requests[:3] == ["GET /2/users/me", "GET /2/users/1/tweets", "POST /2/tweets"]


def test_reconcile_finds_the_post_among_the_recent_ones_and_sends_nothing() -> None:
    x = XAccount(
        tweet("12", ENGLISH, NOW),
        tweet("11", "another text", NOW),
        tweet("10", ENGLISH, NOW - timedelta(hours=1)),
    )
    recent = job(ENGLISH, state={SENT_AT: NOW.isoformat()})
    later = NOW + timedelta(minutes=1)
    outcome = run_against(x, lambda c: XAdapter().reconcile(c, recent, X, x_credentials(), later))
    assert outcome == Published("12", "https://x.com/i/web/status/12", 200)
    assert x.requests == ["GET /2/users/me", "GET /2/users/1/tweets"]


def test_a_duplicate_answer_to_a_resend_is_settled_by_the_recent_posts() -> None:
    x = XAccount(create=[httpx.Response(403, json=DUPLICATE)])
    listed_late = tweet("12", ENGLISH, NOW)  # the timeline lags behind the post at first

    def handler(request: httpx.Request) -> httpx.Response:
        answered = x(request)
        if request.url.path == "/2/tweets":
            x.posts.append(listed_late)
        return answered

    recent = job(ENGLISH, state={SENT_AT: NOW.isoformat()})
    outcome = run_against(
        handler, lambda c: XAdapter().reconcile(c, recent, X, x_credentials(), NOW)
    )
    assert outcome == Published("12", "https://x.com/i/web/status/12", 200)


def test_x_identify_names_the_account_and_the_token_expiry() -> None:
    vault = MemoryVault()
    vault.secrets[("x-en", ACCESS)] = StoredSecret("stored", NOW + timedelta(hours=1))
    x = FakeX(valid={"stored"})
    identity = run_against(x, lambda c: XAdapter().identify(c, X, x_credentials(vault), NOW))
    assert identity.name == "@tidings"
    assert identity.token_expires_at == NOW + timedelta(hours=1)
    with pytest.raises(ChannelCheckError, match=r"X refused \(401\): Unauthorized; reconnect"):
        run_against(FakeX(valid=set()), lambda c: XAdapter().identify(c, X, x_credentials(), NOW))
