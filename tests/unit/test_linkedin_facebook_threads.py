"""The LinkedIn, Facebook and Threads adapters: exact requests, answers read as outcomes, and
the re-check paths, against a scripted in-memory platform (no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from drafts.channels import FacebookChannel, LinkedInChannel, ThreadsChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms import facebook, linkedin, threads
from scheduler.platforms.base import (
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpResponse,
    PostJob,
    StoredSecret,
)
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.graph_errors import regain_access
from scheduler.platforms.linkedin import LinkedInAdapter, read_little
from scheduler.platforms.threads import ThreadsAdapter

T = TypeVar("T")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 1, tzinfo=UTC)
TOKEN = "token-0123456789"
EN = "Launch day! Read the notes (v2): https://example.org/notes_v2 #OpenSource @team 🚀"
KO = "서울 기후 포럼 (2일차): https://example.org/forum #기후 #서울 🌏"
EN_COMMENTARY = (
    r"Launch day! Read the notes \(v2\): https://example.org/notes\_v2 #OpenSource \@team 🚀"
)
KO_COMMENTARY = r"서울 기후 포럼 \(2일차\): https://example.org/forum #기후 #서울 🌏"

LINKEDIN = LinkedInChannel(
    id="li",
    platform="linkedin",
    languages=("en", "ko"),
    author="urn:li:organization:2414183",
    token_env="T",
    version="202601",
)
FACEBOOK = FacebookChannel(
    id="fb", platform="facebook", languages=("en", "ko"), page_id="546349135390552", token_env="T"
)
THREADS = ThreadsChannel(
    id="th", platform="threads", languages=("en", "ko"), user_id="17841400000000001", token_env="T"
)
FB_POST = "546349135390552_1116689038356556"
CONTAINER = "17889615691921648"
MEDIA = "18050206876707110"
DUPLICATE_URN = "urn:li:share:7141138937766391808"


class MemoryVault:
    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return None

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        return None


CREDENTIALS = Credentials(TOKEN, MemoryVault())


def job(
    text: str = EN, state: Mapping[str, str] | None = None, sent_at: datetime | None = None
) -> PostJob:
    """A post to publish; ``sent_at``: when its last create request went out (the engine's)."""
    return PostJob(
        post_id=3,
        text=text,
        language="en",
        idempotency_key="k",
        state=dict(state or {}),
        first_attempt_at=NOW - timedelta(days=1),
        last_sent_at=sent_at,
    )


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> HttpResponse:
    content = b"" if body is None else json.dumps(body).encode()
    return HttpResponse(status, headers or {}, content)


Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


class ScriptedPlatform:
    """Answers each (method, path) from a queue of replies; refuses anything unscripted."""

    def __init__(self, script: Mapping[tuple[str, str], list[Reply]]) -> None:
        self.script = {key: list(replies) for key, replies in script.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.script.get((request.method, request.url.path))
        if not replies:
            raise AssertionError(f"unscripted request {request.method} {request.url}")
        reply = replies.pop(0)
        return reply(request) if callable(reply) else reply

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def run(
    platform: ScriptedPlatform, work: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]
) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
            return await work(client)

    return asyncio.run(go())


class Saves:
    """The save callback: what was saved, and how many requests had gone out by then."""

    def __init__(self, platform: ScriptedPlatform) -> None:
        self.platform = platform
        self.saved: list[tuple[dict[str, str], int]] = []

    async def __call__(self, state: Mapping[str, str]) -> None:
        self.saved.append((dict(state), len(self.platform.requests)))


def publish(
    adapter: LinkedInAdapter | FacebookAdapter | ThreadsAdapter,
    channel: LinkedInChannel | FacebookChannel | ThreadsChannel,
    post: PostJob,
    platform: ScriptedPlatform,
    now: datetime = NOW,
) -> tuple[Attempted, Saves]:
    saves = Saves(platform)
    attempted = run(
        platform, lambda client: adapter.publish(client, post, channel, CREDENTIALS, now, saves)
    )
    return attempted, saves


def reconcile(
    adapter: LinkedInAdapter | FacebookAdapter | ThreadsAdapter,
    channel: LinkedInChannel | FacebookChannel | ThreadsChannel,
    post: PostJob,
    platform: ScriptedPlatform,
    now: datetime = NOW,
) -> Outcome | None:
    return run(platform, lambda client: adapter.reconcile(client, post, channel, CREDENTIALS, now))


def reply(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


# -- LinkedIn: the request --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "commentary"), [(EN, EN_COMMENTARY), (KO, KO_COMMENTARY)])
def test_linkedin_request_field_by_field(text: str, commentary: str) -> None:
    request = LinkedInAdapter().build(job(text), LINKEDIN, TOKEN)
    assert (request.method, request.url) == ("POST", "https://api.linkedin.com/rest/posts")
    assert dict(request.headers) == {
        "Authorization": f"Bearer {TOKEN}",
        "LinkedIn-Version": "202601",
        "X-Restli-Protocol-Version": "2.0.0",
        "Content-Type": "application/json; charset=utf-8",
    }
    body = request.json()
    assert list(body) == [
        "author",
        "commentary",
        "visibility",
        "distribution",
        "lifecycleState",
        "isReshareDisabledByAuthor",
    ]
    assert body["author"] == "urn:li:organization:2414183"
    assert body["commentary"] == commentary
    assert body["visibility"] == "PUBLIC"
    assert body["distribution"] == {
        "feedDistribution": "MAIN_FEED",
        "targetEntities": [],
        "thirdPartyDistributionChannels": [],
    }
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["isReshareDisabledByAuthor"] is False
    assert request.content is not None
    assert text.split()[0].encode() in request.content  # UTF-8 on the wire, not \\u escapes
    assert LinkedInAdapter().displayed_text(request) == text


def test_linkedin_escaping_sample_keeps_the_hashtag_clickable() -> None:
    request = LinkedInAdapter().build(job(r"Q3 (draft) a_b #tag @me *bold* ~x \ ok"), LINKEDIN, "")
    assert request.json()["commentary"] == r"Q3 \(draft\) a\_b #tag \@me \*bold\* \~x \\ ok"


@pytest.mark.parametrize(
    "text",
    [
        "(",
        ")",
        "_",
        "#tag",
        "@",
        "*",
        "~",
        "\\",
        "[",
        "]",
        "{",
        "}",
        "<",
        ">",
        "|",
        "#my_tag and C# and issue#12",
        "trailing backslash \\",
        "\\\\(double)\\\\",
        "{hashtag|\\#|news} @[Acme](urn:li:organization:1)",
        "한국어: 서울 (2일차) #기후_행동 ~ 끝",
        "emoji 🚀👩‍💻🇰🇷 *bold* _it_",
        "https://example.org/a_(b)~c#frag <tag> | [x]{y}",
    ],
)
def test_linkedin_displayed_text_round_trips(text: str) -> None:
    request = LinkedInAdapter().build(job(text), LINKEDIN, TOKEN)
    assert LinkedInAdapter().displayed_text(request) == text


def test_reading_little_text_as_linkedin_shows_it() -> None:
    assert read_little("Report (draft) is out") == "Report "  # cut, as LinkedIn does
    assert read_little(r"Hi @[Acme](urn:li:organization:1) {hashtag|\#|news} #go") == (
        "Hi Acme #news #go"
    )


def test_linkedin_base_url_replaces_the_api_and_never_the_post_page() -> None:
    channel = LINKEDIN.model_copy(update={"base_url": "http://127.0.0.1:9/"})
    assert LinkedInAdapter().build(job(), channel, "").url == "http://127.0.0.1:9/rest/posts"
    created = answer(201, headers={"x-restli-id": "urn:li:share:1"})
    assert linkedin.read_answer(created, channel, NOW) == Published(
        "urn:li:share:1", "https://www.linkedin.com/feed/update/urn:li:share:1/", 201
    )


# -- LinkedIn: answers --------------------------------------------------------------------------

DUPLICATE_BODY = {
    "errorDetailType": "com.linkedin.common.error.BadRequest",
    "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
    f"Content is a duplicate of {DUPLICATE_URN}",
    "errorDetails": {
        "inputErrors": [
            {"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}
        ]
    },
    "status": 422,
}
DAY_LIMIT = {
    "status": 429,
    "code": "TOO_MANY_REQUESTS",
    "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is "
    "reached.",
}


@pytest.mark.parametrize(
    ("response", "kind", "expected"),
    [
        (
            answer(201, None, {"x-restli-id": "urn:li:share:7234567890123456789"}),
            Published,
            Published(
                "urn:li:share:7234567890123456789",
                "https://www.linkedin.com/feed/update/urn:li:share:7234567890123456789/",
                201,
            ),
        ),
        (answer(201), Unknown, "without a post id"),
        (
            answer(
                426,
                {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": "Requested version 20240101 is not active",
                },
            ),
            Failed,
            "set `version` for this channel in config.toml",
        ),
        (
            answer(
                401,
                {"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401},
            ),
            Failed,
            "reconnect the channel: LinkedIn access tokens last 60 days",
        ),
        (answer(403, {"code": "ACCESS_DENIED"}), Failed, "w_organization_social"),
        (
            answer(422, DUPLICATE_BODY),
            Failed,
            f"LinkedIn already has this exact post from this author: {DUPLICATE_URN}",
        ),
        (
            answer(
                422,
                {"status": 422, "code": "FIELD_LENGTH_TOO_LONG", "message": "Length exceeds 3000"},
            ),
            Failed,
            "FIELD_LENGTH_TOO_LONG): Length exceeds 3000",
        ),
        (answer(429, DAY_LIMIT), RetryAt, MIDNIGHT),
        (
            answer(429, {"status": 429, "message": "Too many requests"}),
            RetryAt,
            NOW + timedelta(minutes=15),
        ),
        (answer(429, DAY_LIMIT, {"Retry-After": "120"}), RetryAt, NOW + timedelta(seconds=120)),
        (answer(500, {"status": 500, "message": "Internal error"}), Unknown, "500"),
        (answer(503), Unknown, "503"),
        (answer(504, "gateway timeout"), Unknown, "504"),
        (
            answer(400, {"status": 400, "message": "Invalid version format: 2026"}),
            Failed,
            "Invalid version",
        ),
    ],
)
def test_reading_linkedin_answers(response: HttpResponse, kind: type, expected: object) -> None:
    outcome = linkedin.read_answer(response, LINKEDIN, NOW)
    assert type(outcome) is kind
    if isinstance(expected, Published):
        assert outcome == expected
    elif isinstance(expected, datetime):
        assert isinstance(outcome, RetryAt)
        assert (outcome.at, outcome.http_status) == (expected, 429)
    else:
        assert not isinstance(outcome, Published)
        assert str(expected) in outcome.reason


def test_linkedin_duplicate_after_an_earlier_request_is_that_post() -> None:
    outcome = linkedin.read_answer(answer(422, DUPLICATE_BODY), LINKEDIN, NOW, resend=True)
    assert outcome == Published(
        DUPLICATE_URN, f"https://www.linkedin.com/feed/update/{DUPLICATE_URN}/", 422
    )


def test_linkedin_second_throttle_waits_for_midnight() -> None:
    plain = answer(429, {"status": 429, "message": "Too many requests"})
    outcome = linkedin.read_answer(plain, LINKEDIN, NOW, throttled_before=True)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == MIDNIGHT


# -- LinkedIn: publishing and re-checking --------------------------------------------------------


def test_linkedin_publish_sends_once() -> None:
    platform = ScriptedPlatform(
        {("POST", "/rest/posts"): [reply(201, None, {"x-restli-id": "urn:li:share:1"})]}
    )
    attempted, saves = publish(LinkedInAdapter(), LINKEDIN, job(), platform)
    assert isinstance(attempted.outcome, Published)
    assert (saves.saved, attempted.state, len(platform.requests)) == ([], {}, 1)


def test_linkedin_timeout_is_unknown() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [timeout]})
    attempted, _ = publish(LinkedInAdapter(), LINKEDIN, job(), platform)
    assert isinstance(attempted.outcome, Unknown)


def test_linkedin_first_attempt_duplicate_fails_without_resending() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [reply(422, DUPLICATE_BODY)]})
    attempted, _ = publish(LinkedInAdapter(), LINKEDIN, job(), platform)
    assert isinstance(attempted.outcome, Failed)
    assert DUPLICATE_URN in attempted.outcome.reason
    assert len(platform.requests) == 1


def test_linkedin_reconcile_resends_the_identical_body_within_the_window() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [reply(422, DUPLICATE_BODY)]})
    unsettled = job(sent_at=NOW - timedelta(minutes=3))  # the first attempt was a day ago
    outcome = reconcile(LinkedInAdapter(), LINKEDIN, unsettled, platform)
    assert isinstance(outcome, Published)
    assert outcome.remote_id == DUPLICATE_URN
    assert (
        platform.requests[0].content == LinkedInAdapter().build(unsettled, LINKEDIN, TOKEN).content
    )


def listing(*elements: dict[str, object]) -> httpx.Response:
    return reply(200, {"elements": list(elements), "paging": {"start": 0, "count": 10}})


@pytest.mark.parametrize(
    ("reply_", "expected"),
    [
        (
            listing(
                {
                    "id": "urn:li:share:9",
                    "commentary": EN_COMMENTARY,
                    "createdAt": int((NOW - timedelta(minutes=20)).timestamp() * 1000),
                },
            ),
            Published(
                "urn:li:share:9", "https://www.linkedin.com/feed/update/urn:li:share:9/", 200
            ),
        ),
        (
            listing(
                {
                    "id": "urn:li:share:8",
                    "commentary": EN_COMMENTARY,
                    "createdAt": int((NOW - timedelta(days=2)).timestamp() * 1000),
                },
                {
                    "id": "urn:li:share:7",
                    "commentary": "other",
                    "createdAt": int(NOW.timestamp() * 1000),
                },
            ),
            None,
        ),
        (
            reply(
                403, {"status": 403, "code": "ACCESS_DENIED", "message": "Not enough permissions"}
            ),
            Unknown,
        ),
        (reply(401, {"status": 401, "message": "Invalid access token"}), Failed),
        (reply(429, DAY_LIMIT), RetryAt),
        (reply(503), RetryLater),
    ],
)
def test_linkedin_reconcile_past_the_window_lists_the_authors_posts(
    reply_: httpx.Response, expected: object
) -> None:
    platform = ScriptedPlatform({("GET", "/rest/posts"): [reply_]})
    unsettled = job(sent_at=NOW - timedelta(minutes=30))
    outcome = reconcile(LinkedInAdapter(), LINKEDIN, unsettled, platform)
    if expected is None or isinstance(expected, Published):
        assert outcome == expected
    else:
        assert type(outcome) is expected
    [request] = platform.requests
    assert str(request.url.query, "ascii").startswith(
        "author=urn%3Ali%3Aorganization%3A2414183&q=author"
    )
    assert request.headers["LinkedIn-Version"] == "202601"


# -- Facebook: the request and its answers -------------------------------------------------------


@pytest.mark.parametrize("text", [EN, KO])
def test_facebook_request_field_by_field(text: str) -> None:
    request = FacebookAdapter().build(job(text), FACEBOOK, TOKEN)
    assert request.method == "POST"
    assert request.url == "https://graph.facebook.com/v21.0/546349135390552/feed"
    assert "?" not in request.url and "Authorization" not in request.headers
    assert request.json() == {"message": text, "access_token": TOKEN}
    assert FacebookAdapter().displayed_text(request) == text


def graph_error(code: int, subcode: int | None = None) -> dict[str, object]:
    """The error body of PLATFORMS.md §5.2 with another code."""
    error: dict[str, object] = {
        "message": "Message describing the error",
        "type": "OAuthException",
        "code": code,
        "error_subcode": subcode,
        "error_user_title": "A title",
        "error_user_msg": "A message",
        "fbtrace_id": "EJplcsCHuLu",
    }
    if subcode is None:
        del error["error_subcode"]
    return {"error": error}


THROTTLED_LATER = NOW + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("response", "kind", "detail"),
    [
        (
            answer(200, {"id": FB_POST}),
            Published,
            "https://www.facebook.com/546349135390552/posts/1116689038356556",
        ),
        (answer(400, graph_error(190, 460)), Failed, "reconnect the page"),
        (answer(400, graph_error(4)), RetryAt, THROTTLED_LATER),
        (answer(400, graph_error(17)), RetryAt, THROTTLED_LATER),
        (answer(400, graph_error(32)), RetryAt, THROTTLED_LATER),
        (answer(400, graph_error(613)), RetryAt, THROTTLED_LATER),
        (answer(400, graph_error(80001)), RetryAt, THROTTLED_LATER),
        (answer(400, graph_error(341)), RetryAt, THROTTLED_LATER),
        (answer(403, graph_error(368)), Failed, "will not retry on its own"),
        (answer(400, graph_error(506)), Failed, "identical to the previous one"),
        (answer(500, graph_error(1)), Unknown, "whether it posted is unclear"),
        (answer(503, graph_error(2)), Unknown, "temporary"),
        (answer(403, graph_error(10)), Failed, "permission"),
        (answer(403, graph_error(200)), Failed, "permission"),
        (answer(403, graph_error(299)), Failed, "permission"),
        (answer(400, graph_error(100)), Failed, "code 100: Message describing the error"),
        (answer(400, graph_error(1609005)), Failed, "code 1609005"),
        (answer(500, "<html>Server Error</html>"), Unknown, "500"),
        (answer(502), Unknown, "502"),
        (answer(200, {"success": True}), Unknown, "200"),
    ],
)
def test_reading_facebook_answers(response: HttpResponse, kind: type, detail: object) -> None:
    outcome = facebook.read_answer(response, NOW)
    assert type(outcome) is kind
    if isinstance(outcome, Published):
        assert (outcome.remote_id, outcome.remote_url) == (FB_POST, detail)
    elif isinstance(outcome, RetryAt):
        assert outcome.at == detail
    else:
        assert str(detail) in outcome.reason


def test_facebook_throttle_waits_as_the_usage_header_says() -> None:
    usage = {
        "546349135390552": [
            {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}
        ]
    }
    response = answer(400, graph_error(32), {"X-Business-Use-Case-Usage": json.dumps(usage)})
    outcome = facebook.read_answer(response, NOW)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == NOW + timedelta(minutes=7)
    assert regain_access({"x-business-use-case-usage": "not json"}, NOW) is None
    zero = {"1": [{"estimated_time_to_regain_access": 0}]}
    assert regain_access({"X-Business-Use-Case-Usage": json.dumps(zero)}, NOW) is None


def test_facebook_base_url_replaces_the_api_and_never_the_post_page() -> None:
    channel = FACEBOOK.model_copy(update={"base_url": "http://127.0.0.1:9"})
    request = FacebookAdapter().build(job(), channel, "")
    assert request.url == "http://127.0.0.1:9/v21.0/546349135390552/feed"
    assert facebook.post_url("1_2") == "https://www.facebook.com/1/posts/2"
    assert facebook.post_url("12") == "https://www.facebook.com/12"


# -- Facebook: publishing and re-checking --------------------------------------------------------


def test_facebook_502_is_unknown_and_the_token_stays_out_of_the_url() -> None:
    platform = ScriptedPlatform({("POST", "/v21.0/546349135390552/feed"): [reply(502)]})
    attempted, saves = publish(FacebookAdapter(), FACEBOOK, job(), platform)
    assert isinstance(attempted.outcome, Unknown)
    assert (saves.saved, attempted.state) == ([], {})
    assert platform.requests[0].url.query == b""


def feed(*posts: tuple[str, str, datetime]) -> httpx.Response:
    data = [
        {"id": i, "message": m, "created_time": t.strftime("%Y-%m-%dT%H:%M:%S+0000")}
        for i, m, t in posts
    ]
    return reply(200, {"data": data, "paging": {}})


@pytest.mark.parametrize(
    ("reply_", "expected"),
    [
        (feed(("1_2", "other", NOW), (FB_POST, EN, NOW - timedelta(minutes=9))), Published),
        (feed((FB_POST, EN, NOW - timedelta(days=1))), None),
        (feed(), None),
        (reply(400, graph_error(10)), Unknown),
        (reply(400, graph_error(190, 463)), Failed),
        (reply(400, graph_error(4)), RetryAt),
        (reply(500), RetryLater),
    ],
)
def test_facebook_reconcile_looks_for_the_message_among_recent_posts(
    reply_: httpx.Response, expected: type | None
) -> None:
    path = "/v21.0/546349135390552/published_posts"
    platform = ScriptedPlatform({("GET", path): [reply_]})
    unsettled = job(sent_at=NOW - timedelta(minutes=10))
    outcome = reconcile(FacebookAdapter(), FACEBOOK, unsettled, platform)
    if expected is None:
        assert outcome is None
    else:
        assert type(outcome) is expected
    if isinstance(outcome, Published):
        assert outcome.remote_id == FB_POST
    [request] = platform.requests
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in str(request.url)


def test_facebook_gives_a_new_post_a_moment_to_be_listed() -> None:
    path = "/v21.0/546349135390552/published_posts"
    platform = ScriptedPlatform({("GET", path): [feed()]})
    sent_at = NOW - timedelta(seconds=5)
    outcome = reconcile(FacebookAdapter(), FACEBOOK, job(sent_at=sent_at), platform)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == sent_at + facebook.LISTING_GRACE


# -- Threads -------------------------------------------------------------------------------------

USER = "/v1.0/17841400000000001"
PERMALINK = "https://www.threads.net/@demo/post/C1a2b3"


@pytest.mark.parametrize("text", [EN, KO])
def test_threads_requests_field_by_field(text: str) -> None:
    adapter = ThreadsAdapter()
    container = adapter.build(job(text), THREADS, TOKEN)
    assert container.method == "POST"
    assert container.url == "https://graph.threads.net/v1.0/17841400000000001/threads"
    assert container.json() == {"media_type": "TEXT", "text": text, "access_token": TOKEN}
    assert adapter.displayed_text(container) == text
    publish_request = adapter.build_publish(THREADS, CONTAINER, TOKEN)
    assert publish_request.url == (
        f"https://graph.threads.net/v1.0/17841400000000001/threads_publish?creation_id={CONTAINER}"
    )
    assert publish_request.json() == {"access_token": TOKEN}
    assert TOKEN not in container.url + publish_request.url


def test_threads_saves_the_container_before_publishing_it() -> None:
    platform = ScriptedPlatform(
        {
            ("POST", f"{USER}/threads"): [reply(200, {"id": CONTAINER})],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(200, {"id": MEDIA, "permalink": PERMALINK})],
        }
    )
    attempted, saves = publish(ThreadsAdapter(), THREADS, job(), platform)
    assert saves.saved == [({threads.CONTAINER: CONTAINER}, 1)]  # after creating, before publishing
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)
    [publish_request] = platform.sent("POST", f"{USER}/threads_publish")
    assert publish_request.url.params["creation_id"] == CONTAINER
    assert platform.sent("GET", f"/v1.0/{MEDIA}")[0].headers["Authorization"] == f"Bearer {TOKEN}"


def status(value: str) -> httpx.Response:
    return reply(200, {"id": CONTAINER, "status": value})


def test_threads_retry_publishes_the_saved_container_without_making_another() -> None:
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status("FINISHED")],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(200, {"id": MEDIA, "permalink": PERMALINK})],
        }
    )
    attempted, saves = publish(
        ThreadsAdapter(), THREADS, job(state={threads.CONTAINER: CONTAINER}), platform
    )
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)
    assert saves.saved == []
    assert platform.sent("POST", f"{USER}/threads") == []


@pytest.mark.parametrize("dead", ["EXPIRED", "ERROR"])
def test_threads_replaces_an_expired_or_failed_container(dead: str) -> None:
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status(dead)],
            ("POST", f"{USER}/threads"): [reply(200, {"id": "555"})],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(500)],
        }
    )
    attempted, saves = publish(
        ThreadsAdapter(), THREADS, job(state={threads.CONTAINER: CONTAINER}), platform
    )
    assert saves.saved == [({threads.CONTAINER: "555"}, 2)]
    assert platform.sent("POST", f"{USER}/threads_publish")[0].url.params["creation_id"] == "555"
    assert attempted.outcome == Published(MEDIA, None, 200)  # the post exists without a link


def test_threads_waits_for_a_container_in_progress() -> None:
    platform = ScriptedPlatform({("GET", f"/v1.0/{CONTAINER}"): [status("IN_PROGRESS")]})
    attempted, _ = publish(
        ThreadsAdapter(), THREADS, job(state={threads.CONTAINER: CONTAINER}), platform
    )
    assert isinstance(attempted.outcome, RetryLater)
    assert len(platform.requests) == 1


@pytest.mark.parametrize(
    ("reply_", "kind"),
    [
        (timeout, RetryLater),  # a container is private: making another cannot post twice
        (reply(503), RetryLater),
        (reply(400, graph_error(190, 460)), Failed),
        (reply(400, graph_error(4)), RetryAt),
        (reply(400, graph_error(100)), Failed),
    ],
)
def test_threads_container_trouble_never_reaches_publish(reply_: Reply, kind: type) -> None:
    platform = ScriptedPlatform({("POST", f"{USER}/threads"): [reply_]})
    attempted, saves = publish(ThreadsAdapter(), THREADS, job(), platform)
    assert type(attempted.outcome) is kind
    assert saves.saved == []


@pytest.mark.parametrize(
    ("reply_", "kind"),
    [(timeout, Unknown), (reply(503), Unknown), (reply(400, graph_error(17)), RetryAt)],
)
def test_threads_publish_step_trouble(reply_: Reply, kind: type) -> None:
    platform = ScriptedPlatform(
        {
            ("POST", f"{USER}/threads"): [reply(200, {"id": CONTAINER})],
            ("POST", f"{USER}/threads_publish"): [reply_],
        }
    )
    attempted, _ = publish(ThreadsAdapter(), THREADS, job(), platform)
    assert type(attempted.outcome) is kind


def threads_listing(*items: tuple[str, str, datetime]) -> httpx.Response:
    data = [
        {
            "id": i,
            "text": t,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink": PERMALINK,
        }
        for i, t, at in items
    ]
    return reply(200, {"data": data, "paging": {}})


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        (
            {
                f"/v1.0/{CONTAINER}": [status("PUBLISHED")],
                f"{USER}/threads": [
                    threads_listing(
                        ("9", "other", NOW), (MEDIA, EN, NOW), ("1", EN, NOW - timedelta(days=3))
                    )
                ],
            },
            Published(MEDIA, PERMALINK, 200),
        ),
        (
            {f"/v1.0/{CONTAINER}": [status("PUBLISHED")], f"{USER}/threads": [threads_listing()]},
            Unknown,
        ),
        ({f"/v1.0/{CONTAINER}": [status("FINISHED")]}, None),
        ({f"/v1.0/{CONTAINER}": [status("EXPIRED")]}, None),
        ({f"/v1.0/{CONTAINER}": [status("IN_PROGRESS")]}, RetryLater),
        ({f"/v1.0/{CONTAINER}": [reply(400, graph_error(100, 33))]}, Unknown),
        ({f"/v1.0/{CONTAINER}": [reply(400, graph_error(190))]}, Failed),
        ({f"/v1.0/{CONTAINER}": [timeout]}, RetryLater),
    ],
)
def test_threads_reconcile_reads_the_container_status(
    replies: dict[str, list[Reply]], expected: object
) -> None:
    platform = ScriptedPlatform({("GET", path): r for path, r in replies.items()})
    outcome = reconcile(
        ThreadsAdapter(), THREADS, job(state={threads.CONTAINER: CONTAINER}), platform
    )
    if expected is None or isinstance(expected, Published):
        assert outcome == expected
    else:
        assert type(outcome) is expected
    assert all("access_token" not in str(r.url) for r in platform.requests)


def test_threads_reconcile_without_a_container_is_safe_to_send() -> None:
    assert reconcile(ThreadsAdapter(), THREADS, job(), ScriptedPlatform({})) is None


# -- Identity checks -----------------------------------------------------------------------------


def identify(
    adapter: LinkedInAdapter | FacebookAdapter | ThreadsAdapter,
    channel: LinkedInChannel | FacebookChannel | ThreadsChannel,
    platform: ScriptedPlatform,
) -> str:
    """The identity's name, or the check's error message."""

    async def check(client: httpx.AsyncClient) -> str:
        try:
            return (await adapter.identify(client, channel, CREDENTIALS, NOW)).name
        except ChannelCheckError as error:
            return f"error: {error}"

    return run(platform, check)


MEMBER = LINKEDIN.model_copy(update={"author": "urn:li:person:abc123"})


@pytest.mark.parametrize(
    ("channel", "script", "expected"),
    [
        (
            MEMBER,
            {("GET", "/v2/userinfo"): [reply(200, {"sub": "abc123", "name": "Min-ji Kim"})]},
            "Min-ji Kim (urn:li:person:abc123)",
        ),
        (
            MEMBER,
            {("GET", "/v2/userinfo"): [reply(200, {"sub": "other", "name": "Someone"})]},
            "error: the token belongs to Someone (urn:li:person:other), not urn:li:person:abc123",
        ),
        (
            LINKEDIN,
            {("GET", "/rest/posts"): [listing()]},
            "LinkedIn page urn:li:organization:2414183",
        ),
        (
            LINKEDIN,
            {("GET", "/rest/posts"): [reply(403, {"status": 403, "code": "ACCESS_DENIED"})]},
            "error: LinkedIn refused (403): ACCESS_DENIED; reading the page's posts needs "
            "r_organization_social",
        ),
        (
            LINKEDIN,
            {
                ("GET", "/rest/posts"): [
                    reply(426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": "x"})
                ]
            },
            "error: LinkedIn no longer serves API version 202601 (x): set `version` for this "
            "channel in config.toml to a recent month (YYYYMM)",
        ),
    ],
)
def test_linkedin_identify(
    channel: LinkedInChannel, script: dict[tuple[str, str], list[Reply]], expected: str
) -> None:
    assert identify(LinkedInAdapter(), channel, ScriptedPlatform(script)) == expected


def test_facebook_identify_wants_the_pages_own_token() -> None:
    me = ("GET", "/v21.0/me")
    right = ScriptedPlatform({me: [reply(200, {"id": "546349135390552", "name": "Harbour"})]})
    assert identify(FacebookAdapter(), FACEBOOK, right) == "Harbour (page 546349135390552)"
    wrong = ScriptedPlatform({me: [reply(200, {"id": "42", "name": "Min-ji Kim"})]})
    assert identify(FacebookAdapter(), FACEBOOK, wrong).startswith(
        "error: the token belongs to Min-ji Kim (42), not page 546349135390552"
    )
    dead = ScriptedPlatform({me: [reply(400, graph_error(190, 460))]})
    assert identify(FacebookAdapter(), FACEBOOK, dead) == (
        "error: refused (400): code 190/460: Message describing the error"
    )


def test_threads_identify_checks_the_user() -> None:
    me = ("GET", "/v1.0/me")
    right = ScriptedPlatform({me: [reply(200, {"id": "17841400000000001", "username": "demo"})]})
    assert identify(ThreadsAdapter(), THREADS, right) == "@demo"
    wrong = ScriptedPlatform({me: [reply(200, {"id": "1", "username": "other"})]})
    assert identify(ThreadsAdapter(), THREADS, wrong).startswith(
        "error: the token belongs to @other"
    )


def test_linkedin_duplicate_is_found_among_input_errors_whatever_the_top_code() -> None:
    body = {**DUPLICATE_BODY, "code": "UNPROCESSABLE_ENTITY"}
    outcome = linkedin.read_answer(answer(422, body), LINKEDIN, NOW, resend=True)
    assert isinstance(outcome, Published)
    assert outcome.remote_id == DUPLICATE_URN


def test_threads_refused_publish_of_a_container_already_published_is_that_post() -> None:
    already = reply(400, graph_error(100))
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status("FINISHED"), status("PUBLISHED")],
            ("POST", f"{USER}/threads_publish"): [already],
            ("GET", f"{USER}/threads"): [threads_listing((MEDIA, EN, NOW))],
        }
    )
    attempted, _ = publish(
        ThreadsAdapter(), THREADS, job(state={threads.CONTAINER: CONTAINER}), platform
    )
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)
