"""Sandbox fault injection, the ``/_sandbox/`` control routes and the HTML pages.

Each fault kind is checked for what a client actually sees over loopback HTTP: the
platform's own error shape and reset headers, the exception httpx raises when the
connection is cut or the answer comes too late, and that the post exists regardless.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from scheduler.sandbox import FaultError, RunningSandbox, SandboxState
from tests.fakes import Clock
from tests.integration.sandbox_fixtures import (
    AUTH,
    RKEY,
    TOKEN,
    bluesky_create,
    bluesky_login,
    linkedin_body,
    linkedin_headers,
    sandbox_and_client,
)


def toot(client: httpx.Client, text: str = "Toot", key: str | None = None) -> httpx.Response:
    headers = {**AUTH, "Idempotency-Key": key} if key else AUTH
    return client.post("/api/v1/statuses", json={"status": text}, headers=headers)


def test_latency_fault_and_default_latency(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.state.faults.add("latency", "mastodon", ms=150)
    started = time.monotonic()
    assert toot(client).status_code == 200
    assert time.monotonic() - started >= 0.15
    assert sandbox.state.requests("mastodon")[-1].fault == "latency"

    started = time.monotonic()
    toot(client, "fast again")
    assert time.monotonic() - started < 0.15

    client.patch("/_sandbox/settings", json={"default_latency_ms": 60})
    started = time.monotonic()
    client.post("/hooks/a", json={"text": "slowed"})
    assert time.monotonic() - started >= 0.06


def test_status_fault_answers_the_platform_shape_and_creates_nothing(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add(
        "status", "mastodon", status=503, times=2, headers={"Retry-After": "1"}
    )

    failures = [toot(client), toot(client)]
    success = toot(client)

    assert [r.status_code for r in failures] == [503, 503]
    assert failures[0].json() == {"error": "Service Unavailable"}
    assert failures[0].headers["Retry-After"] == "1"
    assert success.status_code == 200
    assert len(sandbox.state.posts("mastodon")) == 1
    assert [r.fault for r in sandbox.state.requests("mastodon")] == ["status", "status", None]


def test_status_fault_matches_a_path_substring(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("status", "bluesky", path="createRecord", status=502)
    session = bluesky_login(client)  # not matched: a different path
    failed = bluesky_create(client, session, {"text": "upstream down"})
    assert (failed.status_code, failed.json()["error"]) == (502, "UpstreamFailure")
    assert sandbox.state.posts("bluesky") == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "check"),
    [
        ("POST", "/api/v1/statuses", {"json": {"status": "x"}, "headers": AUTH},
         lambda r: datetime.fromisoformat(r.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
         and r.headers["X-RateLimit-Remaining"] == "0"),
        ("POST", "/2/tweets", {"json": {"text": "x"}, "headers": AUTH},
         lambda r: int(r.headers["x-rate-limit-reset"]) > 0 and r.json()["status"] == 429),
        ("POST", "/xrpc/com.atproto.server.createSession",
         {"json": {"identifier": "a.test", "password": "p"}},
         lambda r: int(r.headers["RateLimit-Reset"]) > 0
         and r.json()["error"] == "RateLimitExceeded"),
        ("POST", "/bot1:x/sendMessage", {"json": {"chat_id": "@c", "text": "x"}},
         lambda r: r.json()["parameters"]["retry_after"] >= 1),
        ("POST", "/hooks/team", {"json": {"text": "x"}}, lambda r: r.headers["Retry-After"]),
        ("POST", "/v21.0/1/feed", {"json": {"message": "x"}, "headers": AUTH},
         lambda r: r.json()["error"]["code"] == 32),
    ],
)  # fmt: skip
def test_status_429_over_http_carries_each_platform_reset(
    sandbox: RunningSandbox,
    client: httpx.Client,
    method: str,
    path: str,
    kwargs: dict[str, object],
    check: object,
) -> None:
    added = client.post("/_sandbox/faults", json={"kind": "status", "status": 429, "reset_in": 2})
    assert added.status_code == 201
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 429
    assert callable(check)
    assert check(response)
    assert sandbox.state.posts() == []


def test_rate_limit_refuses_until_reset_and_flags_early_requests() -> None:
    clock = Clock()
    with sandbox_and_client(SandboxState(clock=clock)) as (sandbox, client):
        fault = sandbox.state.faults.add("rate_limit", "x", reset_in=0.4)
        told = client.post("/2/tweets", json={"text": "first"}, headers=AUTH)
        impatient = client.post("/2/tweets", json={"text": "again"}, headers=AUTH)

        assert (told.status_code, impatient.status_code) == (429, 429)
        assert told.headers["x-rate-limit-remaining"] == "0"
        assert int(told.headers["x-rate-limit-reset"]) >= int(fault.reset_at.timestamp())  # type: ignore[union-attr]
        assert [r.seq for r in sandbox.state.early_requests("x")] == [
            sandbox.state.requests("x")[1].seq
        ]

        clock.advance(seconds=0.39)
        still = client.post("/2/tweets", json={"text": "just before"}, headers=AUTH)
        assert still.status_code == 429 and len(sandbox.state.early_requests()) == 2

        clock.advance(seconds=0.02)
        after = client.post("/2/tweets", json={"text": "after reset"}, headers=AUTH)
        assert after.status_code == 201
        assert len(sandbox.state.early_requests()) == 2


def test_rate_limit_earliness_is_per_client(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.state.faults.add("rate_limit", "mastodon", reset_in=5)
    for token in ("first-channel-token", "second-channel-token"):
        refused = client.post(
            "/api/v1/statuses", json={"status": "x"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 429
    assert sandbox.state.early_requests() == []


def test_x_daily_cap_reports_the_24_hour_reset(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("rate_limit", "x", reset_in=3600, scope="day")
    refused = client.post("/2/tweets", json={"text": "capped"}, headers=AUTH)
    assert refused.headers["x-user-limit-24hour-remaining"] == "0"
    day_reset = int(refused.headers["x-user-limit-24hour-reset"])
    assert day_reset > int(refused.headers["x-rate-limit-reset"])


def test_drop_after_accept_stores_the_post_and_cuts_the_connection(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("drop_after_accept", "mastodon")
    with pytest.raises(httpx.RemoteProtocolError):
        toot(client, "Maybe posted", key="retry-me")

    [post] = sandbox.state.posts("mastodon")
    retried = toot(client, "Maybe posted", key="retry-me")
    assert retried.json()["id"] == post.remote_id
    assert len(sandbox.state.posts("mastodon")) == 1
    assert sandbox.state.requests("mastodon")[0].fault == "drop_after_accept"


def test_drop_after_accept_cuts_even_an_empty_bodied_answer(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("drop_after_accept", "linkedin")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/rest/posts", json=linkedin_body("Cut"), headers=linkedin_headers())
    again = client.post("/rest/posts", json=linkedin_body("Cut"), headers=linkedin_headers())
    assert again.status_code == 422  # the duplicate check finds the post that was stored
    assert sandbox.state.posts("linkedin")[0].remote_id in again.json()["message"]


def test_slow_after_accept_times_out_the_client_after_the_post_exists(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    session = bluesky_login(client)
    sandbox.state.faults.add("slow_after_accept", "bluesky", seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": session["did"], "collection": "app.bsky.feed.post", "rkey": RKEY,
                  "record": {"text": "slow", "createdAt": "2026-11-29T00:00:00Z"}},
            headers={"Authorization": f"Bearer {session['accessJwt']}"},
            timeout=0.2,
        )  # fmt: skip
    query = {"repo": session["did"], "collection": "app.bsky.feed.post", "rkey": RKEY}
    assert client.get("/xrpc/com.atproto.repo.getRecord", params=query).status_code == 200


def test_after_accept_faults_wait_for_a_request_that_stores_a_post(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("drop_after_accept", "mastodon")
    assert client.get("/api/v2/instance").status_code == 200
    assert toot(client, "").status_code == 422
    with pytest.raises(httpx.RemoteProtocolError):
        toot(client, "Stored")


@pytest.mark.parametrize(
    ("platform", "request_args", "status", "expected"),
    [
        ("mastodon", ("POST", "/api/v1/statuses", {"json": {"status": "x"}, "headers": AUTH}),
         401, {"error": "The access token is invalid"}),
        ("x", ("POST", "/2/tweets", {"json": {"text": "x"}, "headers": AUTH}),
         401, {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank",
               "status": 401}),
        ("telegram", ("POST", "/bot1:x/sendMessage", {"json": {"chat_id": "@c", "text": "x"}}),
         401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
        ("bluesky", ("POST", "/xrpc/com.atproto.server.createSession",
                     {"json": {"identifier": "a.test", "password": "wrong"}}),
         401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
    ],
)  # fmt: skip
def test_revoked_token_answers_each_platform_auth_error(
    sandbox: RunningSandbox,
    client: httpx.Client,
    platform: str,
    request_args: tuple[str, str, dict[str, object]],
    status: int,
    expected: dict[str, object],
) -> None:
    sandbox.state.faults.add("revoked", platform, times=None)
    method, path, kwargs = request_args
    for _ in range(2):  # times=None: stays revoked
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert (response.status_code, response.json()) == (status, expected)
    assert sandbox.state.posts() == []


def test_revoked_and_expired_graph_tokens_answer_code_190(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.faults.add("revoked", "facebook")
    sandbox.state.faults.add("expired", "threads")
    revoked = client.post("/v21.0/1/feed", json={"message": "x"}, headers=AUTH).json()["error"]
    expired = client.post("/v1.0/me/threads", params={"text": "x", "access_token": TOKEN})
    assert (revoked["code"], revoked["error_subcode"]) == (190, 460)
    assert (expired.json()["error"]["code"], expired.json()["error"]["error_subcode"]) == (190, 463)


def test_control_routes_add_list_clear_and_reset(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    batch = [{"kind": "latency", "platform": "x", "ms": 5}, {"kind": "revoked", "times": None}]
    assert client.post("/_sandbox/faults", json=batch).status_code == 201
    assert [f["kind"] for f in client.get("/_sandbox/faults").json()["faults"]] == [
        "latency",
        "revoked",
    ]
    assert client.post("/_sandbox/faults", json={"kind": "explode"}).status_code == 400
    assert client.delete("/_sandbox/faults").json() == {"faults": []}

    toot(client, "kept until reset")
    posts = client.get("/_sandbox/posts", params={"platform": "mastodon"}).json()["posts"]
    assert [p["text"] for p in posts] == ["kept until reset"]
    log = client.get("/_sandbox/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/api/v1/statuses", 200)
    ]
    assert client.patch("/_sandbox/settings", json={"nonsense": 1}).status_code == 400
    assert client.post("/_sandbox/reset").status_code == 200
    assert client.get("/_sandbox/posts").json() == {"posts": []}


def test_fault_book_rejects_unknown_kinds() -> None:
    state = SandboxState()
    with pytest.raises(FaultError):
        state.faults.add("explode")  # type: ignore[arg-type]
    with pytest.raises(FaultError):
        state.faults.add("status", "mastdon")
    with pytest.raises(FaultError):
        state.faults.add("status", "x", times=0)
    at = datetime.now(UTC) + timedelta(seconds=5)
    assert state.faults.add("rate_limit", "x", reset_at=at).times is None


def test_pages_escape_html_and_show_korean(sandbox: RunningSandbox, client: httpx.Client) -> None:
    text = "<script>alert('x')</script> 부산 사례 연구"
    status = toot(client, text).json()

    index = client.get("/")
    page = client.get(status["url"])

    for html in (index.text, page.text):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; 부산 사례 연구" in html
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert 'lang="en"' in index.text


def test_secrets_never_appear_in_what_the_sandbox_shows(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    toot(client)
    client.post("/v21.0/1/feed", params={"access_token": TOKEN}, json={"message": "m"})
    client.post("/bot99:SECRETBOT/sendMessage", json={"chat_id": "@c", "text": "t"})
    shown = json.dumps(
        [client.get("/_sandbox/posts").json(), client.get("/_sandbox/requests").json()]
    )
    pages = client.get("/").text + "".join(
        client.get(p.permalink).text for p in sandbox.state.posts()
    )
    for secret in (TOKEN, "SECRETBOT"):
        assert secret not in shown
        assert secret not in pages


def test_unknown_paths_are_logged_404s(sandbox: RunningSandbox, client: httpx.Client) -> None:
    assert client.post("/api/v1/statuss", json={}).status_code == 404
    assert client.get("/@demo/123").status_code == 404
    assert [(r.path, r.status, r.platform) for r in sandbox.state.requests()] == [
        ("/api/v1/statuss", 404, None),
        ("/@demo/123", 404, None),
    ]
