"""The Facebook Pages adapter: the exact request, Graph answers read as outcomes, and the
re-check among the page's posts, against a scripted in-memory platform (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from drafts.channels import FacebookChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms import facebook
from scheduler.platforms.base import LISTING_GRACE, Credentials, HttpResponse
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.graph_errors import regain_access
from tests import fakes
from tests.fakes import (
    MemoryVault,
    Scripted,
    ScriptedPlatform,
    answer,
    graph_error,
    reply,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TOKEN = "token-0123456789"
EN = "Launch day! Read the notes (v2): https://example.org/notes_v2 #OpenSource @team 🚀"
KO = "서울 기후 포럼 (2일차): https://example.org/forum #기후 #서울 🌏"
FACEBOOK = FacebookChannel(
    id="fb", platform="facebook", languages=("en", "ko"), page_id="546349135390552", token_env="T"
)
FB_POST = "546349135390552_1116689038356556"
CREDENTIALS = Credentials(TOKEN, MemoryVault())


# A post whose first attempt was a day ago, and each step against a scripted platform.
job = partial(fakes.job, first_attempt_at=NOW - timedelta(days=1))
ON = Scripted(FacebookAdapter(), FACEBOOK, CREDENTIALS, NOW)
publish, reconcile, identify = ON.publish, ON.reconcile, ON.identify


# -- Facebook: the request and its answers -------------------------------------------------------


@pytest.mark.parametrize("text", [EN, KO])
def test_facebook_request_field_by_field(text: str) -> None:
    request = FacebookAdapter().build(job(text), FACEBOOK, TOKEN)
    assert request.method == "POST"
    assert request.url == "https://graph.facebook.com/v21.0/546349135390552/feed"
    assert "?" not in request.url and "Authorization" not in request.headers
    assert request.json() == {"message": text, "access_token": TOKEN}
    assert FacebookAdapter().displayed_text(request) == text


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
    request = FacebookAdapter().build(job(EN), channel, "")
    assert request.url == "http://127.0.0.1:9/v21.0/546349135390552/feed"
    assert facebook.post_url("1_2") == "https://www.facebook.com/1/posts/2"
    assert facebook.post_url("12") == "https://www.facebook.com/12"


# -- Facebook: publishing and re-checking --------------------------------------------------------


def test_facebook_502_is_unknown_and_the_token_stays_out_of_the_url() -> None:
    platform = ScriptedPlatform({("POST", "/v21.0/546349135390552/feed"): [reply(502)]})
    attempted, saves = publish(job(EN), platform)
    assert isinstance(attempted.outcome, Unknown)
    assert (saves, attempted.state) == ([], {})
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
    unsettled = job(EN, last_sent_at=NOW - timedelta(minutes=10))
    outcome = reconcile(unsettled, platform)
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
    outcome = reconcile(job(EN, last_sent_at=sent_at), platform)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == sent_at + LISTING_GRACE


# -- Identity check -----------------------------------------------------------------------------


def test_facebook_identify_wants_the_pages_own_token() -> None:
    me = ("GET", "/v21.0/me")
    right = ScriptedPlatform({me: [reply(200, {"id": "546349135390552", "name": "Harbour"})]})
    assert identify(right) == "Harbour (page 546349135390552)"
    wrong = ScriptedPlatform({me: [reply(200, {"id": "42", "name": "Min-ji Kim"})]})
    assert identify(wrong).startswith(
        "error: the token belongs to Min-ji Kim (42), not page 546349135390552"
    )
    dead = ScriptedPlatform({me: [reply(400, graph_error(190, 460))]})
    assert identify(dead) == ("error: refused (400): code 190/460: Message describing the error")
