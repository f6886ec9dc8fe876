"""The LinkedIn adapter: the exact request, answers read as outcomes, and the re-check paths,
against a scripted in-memory platform (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from drafts.channels import LinkedInChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms import linkedin
from scheduler.platforms.base import Credentials, HttpResponse
from scheduler.platforms.linkedin import LinkedInAdapter, read_little
from tests import fakes
from tests.fakes import (
    MemoryVault,
    Reply,
    Scripted,
    ScriptedPlatform,
    answer,
    reply,
    timeout,
)

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
DUPLICATE_URN = "urn:li:share:7141138937766391808"
CREDENTIALS = Credentials(TOKEN, MemoryVault())


# A post whose first attempt was a day ago, and each step against a scripted platform.
job = partial(fakes.job, first_attempt_at=NOW - timedelta(days=1))
ON = Scripted(LinkedInAdapter(), LINKEDIN, CREDENTIALS, NOW)
publish, reconcile, identify = ON.publish, ON.reconcile, ON.identify


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
    assert LinkedInAdapter().build(job(EN), channel, "").url == "http://127.0.0.1:9/rest/posts"
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
    attempted, saves = publish(job(EN), platform)
    assert isinstance(attempted.outcome, Published)
    assert (saves, attempted.state, len(platform.requests)) == ([], {}, 1)


def test_linkedin_timeout_is_unknown() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [timeout]})
    attempted, _ = publish(job(EN), platform)
    assert isinstance(attempted.outcome, Unknown)


def test_linkedin_first_attempt_duplicate_fails_without_resending() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [reply(422, DUPLICATE_BODY)]})
    attempted, _ = publish(job(EN), platform)
    assert isinstance(attempted.outcome, Failed)
    assert DUPLICATE_URN in attempted.outcome.reason
    assert len(platform.requests) == 1


def test_linkedin_reconcile_resends_the_identical_body_within_the_window() -> None:
    platform = ScriptedPlatform({("POST", "/rest/posts"): [reply(422, DUPLICATE_BODY)]})
    unsettled = job(EN, last_sent_at=NOW - timedelta(minutes=3))  # the first attempt was a day ago
    outcome = reconcile(unsettled, platform)
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
    unsettled = job(EN, last_sent_at=NOW - timedelta(minutes=30))
    outcome = reconcile(unsettled, platform)
    if expected is None or isinstance(expected, Published):
        assert outcome == expected
    else:
        assert type(outcome) is expected
    [request] = platform.requests
    assert str(request.url.query, "ascii").startswith(
        "author=urn%3Ali%3Aorganization%3A2414183&q=author"
    )
    assert request.headers["LinkedIn-Version"] == "202601"


# -- Identity check -----------------------------------------------------------------------------

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
    platform = ScriptedPlatform(script)
    assert identify(platform, channel) == expected


def test_linkedin_duplicate_is_found_among_input_errors_whatever_the_top_code() -> None:
    body = {**DUPLICATE_BODY, "code": "UNPROCESSABLE_ENTITY"}
    outcome = linkedin.read_answer(answer(422, body), LINKEDIN, NOW, resend=True)
    assert isinstance(outcome, Published)
    assert outcome.remote_id == DUPLICATE_URN
