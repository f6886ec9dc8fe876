"""The sandbox speaks each platform's documented contract over real loopback HTTP.

Success shapes, the main error shapes and the platform-specific promises (Mastodon
idempotency, LinkedIn duplicates and versions, Bluesky sessions and rkeys, X refresh
rotation, Threads' publish-once), exercised with plain httpx.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import httpx
import pytest

from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.webhook import signature_for
from scheduler.sandbox.x import weighted_length
from tests.integration.sandbox_fixtures import (
    AUTH,
    ORG,
    OTHER_TOKEN,
    RKEY,
    TOKEN,
    bluesky_create,
    bluesky_login,
    linkedin_body,
    linkedin_headers,
)

# -- Mastodon ---------------------------------------------------------------------------------


def test_mastodon_status_shape_headers_and_record(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    response = client.post(
        "/api/v1/statuses",
        json={"status": "서울 소식 <b>\nhttps://example.org/r", "visibility": "unlisted",
              "language": "ko", "spoiler_text": "CW"},
        headers={**AUTH, "Idempotency-Key": "a1"},
    )  # fmt: skip

    assert response.status_code == 200
    status = response.json()
    assert status["url"] == f"{sandbox.base_url}/@demo/{status['id']}"
    assert status["content"].startswith("<p>서울 소식 &lt;b&gt;<br />")
    assert (status["visibility"], status["language"], status["spoiler_text"]) == (
        "unlisted",
        "ko",
        "CW",
    )
    assert datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"] == "299"
    assert datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    [post] = sandbox.state.posts("mastodon")
    assert post.remote_id == status["id"]
    assert post.text == "서울 소식 <b>\nhttps://example.org/r"
    assert post.details["visibility"] == "unlisted"
    assert post.details["idempotency_key"] == "a1"
    assert post.auth == f"Bearer …({len(TOKEN)} chars)"
    assert "authorization" not in post.headers
    assert client.get(status["url"]).status_code == 200


def test_mastodon_idempotency_key_returns_the_same_status_per_token(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    def post(token: str, key: str, text: str = "Once only") -> str:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        response = client.post("/api/v1/statuses", json={"status": text}, headers=headers)
        assert response.status_code == 200
        return str(response.json()["id"])

    first = post(TOKEN, "key-1")
    assert post(TOKEN, "key-1", "even with another text") == first
    assert post(TOKEN, "key-2") != first
    assert post(OTHER_TOKEN, "key-1") != first
    assert len(sandbox.state.posts("mastodon")) == 3


def test_mastodon_counts_graphemes_and_urls_as_23(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    long_url = "https://example.org/" + "a" * 200
    fits = "가" * 476 + " " + long_url  # 476 + 1 + 23 = 500
    assert client.post("/api/v1/statuses", json={"status": fits}, headers=AUTH).status_code == 200

    over = client.post("/api/v1/statuses", json={"status": "👩‍👩‍👧" * 501}, headers=AUTH)
    assert over.status_code == 422
    assert over.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}

    sandbox.state.settings.mastodon_max_characters = 10
    instance = client.get("/api/v2/instance").json()
    assert instance["configuration"]["statuses"]["max_characters"] == 10
    short = client.post("/api/v1/statuses", json={"status": "x" * 11}, headers=AUTH)
    assert short.json()["error"] == "Validation failed: Text character limit of 10 exceeded"


def test_mastodon_errors(client: httpx.Client) -> None:
    unauthenticated = client.post("/api/v1/statuses", json={"status": "hi"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"error": "The access token is invalid"}
    blank = client.post("/api/v1/statuses", data={"status": " "}, headers=AUTH)
    assert (blank.status_code, blank.json()) == (422, {"error": "Validation failed: Text can't be blank"})  # fmt: skip
    account = client.get("/api/v1/accounts/verify_credentials", headers=AUTH)
    assert account.json()["username"] == "demo"


# -- Webhook ---------------------------------------------------------------------------------


def test_webhook_answers_ok_and_records_the_signature(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.settings.webhook_secrets = {"team": "s3cret"}
    body = json.dumps({"text": "배포 완료"}, ensure_ascii=False).encode()
    good = signature_for("s3cret", body)
    headers = {"Content-Type": "application/json", "X-Tidings-Signature": good}

    response = client.post("/hooks/team", content=body, headers=headers)
    client.post("/hooks/team", content=body, headers={**headers, "X-Tidings-Signature": "sha256=0"})
    client.post("/hooks/other", json={"text": "unsigned"})

    assert (response.status_code, response.text) == (200, "ok")
    signed, forged, unsigned = sandbox.state.posts("webhook")
    assert (signed.text, signed.channel, signed.details["signature"]) == ("배포 완료", "team", good)
    assert signed.details["signature_valid"] is True
    assert forged.details["signature_valid"] is False
    assert unsigned.details == {"signature": None, "signature_valid": None}
    assert client.post("/hooks/team", content=b"not json").status_code == 400


# -- LinkedIn --------------------------------------------------------------------------------


def test_linkedin_created_with_urn_header_and_unescaped_display(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    commentary = r"Launch \(v2\) a\_b \#not @[Acme](urn:li:organization:1) #real ok\!"
    response = client.post(
        "/rest/posts", json=linkedin_body(commentary), headers=linkedin_headers()
    )

    assert response.status_code == 201
    assert response.content == b""
    urn = response.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")
    [post] = sandbox.state.posts("linkedin")
    assert post.text == "Launch (v2) a_b #not Acme #real ok!"
    assert (post.remote_id, post.channel) == (urn, ORG)
    assert post.details["truncated_at"] is None
    assert post.remote_url == f"https://www.linkedin.com/feed/update/{urn}/"
    assert client.get(f"/www.linkedin.com/feed/update/{urn}/").status_code == 200
    assert client.get("/v2/userinfo", headers=AUTH).json()["sub"]


def test_linkedin_truncates_at_an_unescaped_reserved_character(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    body = linkedin_body("Report (draft) is out")
    assert client.post("/rest/posts", json=body, headers=linkedin_headers()).status_code == 201
    [post] = sandbox.state.posts("linkedin")
    assert (post.text, post.details["truncated_at"]) == ("Report ", 7)


def test_linkedin_duplicate_names_the_first_post(client: httpx.Client) -> None:
    body = linkedin_body("Same words twice")
    first = client.post("/rest/posts", json=body, headers=linkedin_headers())
    again = client.post("/rest/posts", json=body, headers=linkedin_headers())
    urn = first.headers["x-restli-id"]
    assert again.status_code == 422
    assert again.json() == {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
        f"Content is a duplicate of {urn}",
        "errorDetails": {
            "inputErrors": [
                {"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}
            ]
        },
        "status": 422,
    }


def test_linkedin_version_and_protocol_headers(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    body = linkedin_body("Versions")
    retired = client.post("/rest/posts", json=body, headers=linkedin_headers("202001"))
    assert retired.status_code == 426
    assert retired.json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 202001 is not active",
    }
    missing = client.post("/rest/posts", json=body, headers=AUTH)
    assert missing.status_code == 400
    no_restli = {k: v for k, v in linkedin_headers().items() if not k.startswith("X-Restli")}
    assert client.post("/rest/posts", json=body, headers=no_restli).status_code == 400

    sandbox.state.settings.linkedin_retired_versions = frozenset({"202610"})
    assert client.post("/rest/posts", json=body, headers=linkedin_headers()).status_code == 426
    assert (
        client.post("/rest/posts", json=body, headers=linkedin_headers("202001")).status_code == 201
    )
    assert sandbox.state.posts("linkedin")[0].details["version"] == "202001"


def test_linkedin_missing_field_and_token(client: httpx.Client) -> None:
    body = linkedin_body("No author")
    del body["author"]
    invalid = client.post("/rest/posts", json=body, headers=linkedin_headers())
    assert invalid.status_code == 422
    assert invalid.json()["errorDetails"]["inputErrors"][0]["code"] == "MISSING_FIELD"
    headers = {k: v for k, v in linkedin_headers().items() if k != "Authorization"}
    unauthenticated = client.post("/rest/posts", json=linkedin_body("x"), headers=headers)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["serviceErrorCode"] == 65600


# -- Bluesky ---------------------------------------------------------------------------------


def test_bluesky_session_post_and_get_record(sandbox: RunningSandbox, client: httpx.Client) -> None:
    session = bluesky_login(client)
    text = "새 소식: 보고서 https://example.org/r #도시"
    facets = [
        {"index": {"byteStart": 22, "byteEnd": 43},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/r"}]},
        {"index": {"byteStart": 44, "byteEnd": 51},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "도시"}]},
    ]  # fmt: skip
    created = bluesky_create(client, session, {"text": text, "langs": ["ko"], "facets": facets})

    assert created.status_code == 200, created.text
    uri = f"at://{session['did']}/app.bsky.feed.post/{RKEY}"
    assert created.json()["uri"] == uri
    assert created.json()["cid"].startswith("bafyrei")
    assert created.headers["RateLimit-Limit"] == "5000"
    assert created.headers["RateLimit-Policy"] == "5000;w=3600"
    assert int(created.headers["RateLimit-Reset"]) > 0
    [post] = sandbox.state.posts("bluesky")
    assert post.details["facets"] == [
        {"kind": "link", "text": "https://example.org/r", "target": "https://example.org/r"},
        {"kind": "tag", "text": "#도시", "target": "도시"},
    ]
    assert client.get(post.permalink).status_code == 200

    query = {"repo": session["did"], "collection": "app.bsky.feed.post", "rkey": RKEY}
    found = client.get("/xrpc/com.atproto.repo.getRecord", params=query)
    assert (found.status_code, found.json()["uri"], found.json()["value"]["text"]) == (
        200,
        uri,
        text,
    )
    missing = client.get(
        "/xrpc/com.atproto.repo.getRecord", params={**query, "rkey": "3lbxzxbmhy22d"}
    )
    assert missing.status_code == 400
    assert missing.json()["error"] == "RecordNotFound"


def test_bluesky_existing_rkey_and_invalid_records(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    session = bluesky_login(client)
    assert bluesky_create(client, session, {"text": "first"}).status_code == 200
    taken = bluesky_create(client, session, {"text": "second"})
    assert (taken.status_code, taken.json()["error"]) == (500, "InternalServerError")

    too_long = bluesky_create(client, session, {"text": "가" * 301}, rkey=None)
    assert too_long.status_code == 400
    assert too_long.json() == {
        "error": "InvalidRequest",
        "message": "Invalid app.bsky.feed.post record: "
        "Record/text must not be longer than 300 graphemes",
    }
    bad_facet = {"text": "short", "facets": [{"index": {"byteStart": 0, "byteEnd": 99},
                                              "features": [{"$type": "app.bsky.richtext.facet#tag",
                                                            "tag": "x"}]}]}  # fmt: skip
    assert bluesky_create(client, session, bad_facet, rkey=None).status_code == 400
    langs = {"text": "many", "langs": ["en", "ko", "ja", "fr"]}
    assert "more than 3" in bluesky_create(client, session, langs, rkey=None).json()["message"]
    assert bluesky_create(client, session, {"text": "x"}, rkey="not-a-tid").status_code == 400
    assert len(sandbox.state.posts("bluesky")) == 1


def test_bluesky_sessions_expire_refresh_and_rotate(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.settings.bluesky_access_ttl = timedelta(0)
    session = bluesky_login(client)
    expired = bluesky_create(client, session, {"text": "late"})
    assert (expired.status_code, expired.json()) == (
        400,
        {"error": "ExpiredToken", "message": "Token has expired"},
    )

    def refresh(token: str) -> httpx.Response:
        return client.post(
            "/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {token}"},
        )

    assert refresh(session["accessJwt"]).json()["error"] == "InvalidToken"
    sandbox.state.settings.bluesky_access_ttl = timedelta(hours=2)
    renewed = refresh(session["refreshJwt"])
    assert renewed.status_code == 200
    assert renewed.json()["did"] == session["did"]
    assert refresh(session["refreshJwt"]).status_code == 401  # rotated away
    assert bluesky_create(client, renewed.json(), {"text": "on time"}).status_code == 200
    assert len(sandbox.state.requests("bluesky", path="createSession")) == 1


# -- X ---------------------------------------------------------------------------------------


def test_x_created_shape_headers_and_duplicate(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    response = client.post(
        "/2/tweets", json={"text": "Hello https://example.com/launch"}, headers=AUTH
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["text"] == "Hello https://example.com/launch"
    for name in ("x-rate-limit-reset", "x-user-limit-24hour-reset"):
        assert int(response.headers[name]) > int(time.time())
    assert response.headers["x-user-limit-24hour-remaining"] == "99"
    [listed] = client.get("/_sandbox/posts", params={"platform": "x"}).json()["posts"]
    assert listed["remote_url"] == f"https://x.com/i/web/status/{data['id']}"
    assert listed["page"] == f"/x.com/i/web/status/{data['id']}"  # the public path, on the sandbox
    assert client.get(listed["page"]).status_code == 200

    again = client.post(
        "/2/tweets", json={"text": "Hello https://example.com/launch"}, headers=AUTH
    )
    assert again.status_code == 403
    assert again.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    too_long = client.post("/2/tweets", json={"text": "가" * 141}, headers=AUTH)
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["message"] == "Your Tweet text is too long."
    assert client.post("/2/tweets", json={"text": "no token"}).status_code == 401
    assert client.get("/2/users/me", headers=AUTH).json()["data"]["username"] == "tidings_demo"


def test_x_lists_the_accounts_recent_posts_as_documented(client: httpx.Client) -> None:
    for text in ("first", "second", "third"):
        assert client.post("/2/tweets", json={"text": text}, headers=AUTH).status_code == 201
    me = client.get("/2/users/me", headers=AUTH).json()["data"]["id"]

    def listed(**query: str) -> httpx.Response:
        return client.get(f"/2/users/{me}/tweets", params=query, headers=AUTH)

    newest = listed(max_results="5").json()
    assert [post["text"] for post in newest["data"]] == ["third", "second", "first"]
    assert set(newest["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert newest["meta"]["result_count"] == 3
    timed = listed(max_results="5", **{"tweet.fields": "created_at"}).json()["data"]
    assert all(post["created_at"].endswith("Z") for post in timed)
    assert listed(max_results="4").status_code == 400  # 5 to 100
    assert client.get("/2/users/42/tweets", headers=AUTH).json() == {"meta": {"result_count": 0}}
    assert client.get(f"/2/users/{me}/tweets").status_code == 401


@pytest.mark.parametrize(
    ("text", "length"),
    [("Hi http://test.co", 26), ("http://test.co", 23), ("😷👾😡🔥💩", 10), ("🙋🏽👨‍🎤", 4),
     ("1⃣", 2), ("example.com", 23), ("ÁB", 2), ("한국어", 6)],
)  # fmt: skip
def test_x_weighted_length_matches_twitter_text_vectors(text: str, length: int) -> None:
    assert weighted_length(text) == length


def test_x_refresh_rotates_and_issued_tokens_expire(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.state.settings.x_access_ttl = timedelta(0)

    def refresh(token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "cid"}
        return client.post("/2/oauth2/token", data=form)

    first = refresh("configured-refresh-token")
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["refresh_token"] != "configured-refresh-token"
    spent = refresh("configured-refresh-token")
    assert spent.status_code == 400
    assert spent.json()["error_description"] == "Value passed for the token was invalid."
    assert refresh(tokens["refresh_token"]).status_code == 200

    expired = client.post(
        "/2/tweets",
        json={"text": "late"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert expired.status_code == 401
    assert tokens["access_token"] not in json.dumps(client.get("/_sandbox/requests").json())


# -- Telegram --------------------------------------------------------------------------------


def test_telegram_send_message_sequence_and_limits(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    bot = "/bot123456:ABC-DEF_secret"
    sent = [
        client.post(f"{bot}/sendMessage", json={"chat_id": "@news", "text": f"소식 {n}"})
        for n in range(2)
    ]
    other = client.post(f"{bot}/sendMessage", json={"chat_id": -1001234567890, "text": "hi"})

    result = sent[0].json()["result"]
    assert sent[0].json()["ok"] is True
    assert [r.json()["result"]["message_id"] for r in sent] == [1, 2]
    assert other.json()["result"]["message_id"] == 1
    assert (result["chat"]["username"], result["text"]) == ("news", "소식 0")
    assert isinstance(result["date"], int)
    assert (
        client.post(
            f"{bot}/sendMessage", json={"chat_id": "@news", "text": "가" * 4096}
        ).status_code
        == 200
    )
    too_long = client.post(f"{bot}/sendMessage", json={"chat_id": "@news", "text": "😀" * 2049})
    assert too_long.status_code == 400
    assert too_long.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is too long",
    }
    assert all("ABC-DEF" not in r.path for r in sandbox.state.requests("telegram"))
    assert client.get(f"{bot}/getMe").json()["result"]["is_bot"] is True


def test_telegram_html_parse_mode_is_shown_parsed(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    body = {"chat_id": "@news", "text": "<b>Bold</b> &amp; plain", "parse_mode": "HTML"}
    assert client.post("/bot1:x/sendMessage", json=body).json()["result"]["text"] == "Bold & plain"
    markdown = {"chat_id": "@news", "text": "Version 2.0", "parse_mode": "MarkdownV2"}
    refused = client.post("/bot1:x/sendMessage", json=markdown)
    assert refused.status_code == 400
    assert "reserved" in refused.json()["description"]


# -- Facebook and Threads --------------------------------------------------------------------


def test_facebook_feed_post_and_consecutive_duplicate(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    path = "/v21.0/546349135390552/feed"
    first = client.post(path, params={"access_token": TOKEN}, json={"message": "Page news"})
    assert first.status_code == 200
    page_id, post_id = first.json()["id"].split("_")
    assert page_id == "546349135390552"
    page = f"/www.facebook.com/546349135390552/posts/{post_id}"
    assert client.get(page).status_code == 200

    duplicate = client.post(path, json={"message": "Page news", "access_token": TOKEN})
    assert duplicate.status_code == 400
    error = duplicate.json()["error"]
    assert (error["code"], error["type"]) == (506, "OAuthException")
    assert error["fbtrace_id"]
    assert client.post(path, json={"message": "Other"}, headers=AUTH).status_code == 200
    no_token = client.post(path, json={"message": "x"})
    assert no_token.json()["error"]["code"] == 104
    assert client.get("/v21.0/me", headers=AUTH).json()["id"]
    [recorded, _] = sandbox.state.posts("facebook")
    assert "access_token" not in recorded.body
    assert recorded.auth == f"access_token …({len(TOKEN)} chars)"


def test_threads_container_publish_once_and_status(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    token = {"access_token": TOKEN}
    container = client.post(
        "/v1.0/me/threads", params={**token, "media_type": "TEXT", "text": "스레드"}
    )
    creation_id = container.json()["id"]

    def status() -> str:
        found = client.get(f"/v1.0/{creation_id}", params={**token, "fields": "status"})
        return str(found.json()["status"])

    assert status() == "FINISHED"
    published = client.post(
        "/v1.0/me/threads_publish", params={**token, "creation_id": creation_id}
    )
    assert published.status_code == 200
    assert status() == "PUBLISHED"
    again = client.post("/v1.0/me/threads_publish", params={**token, "creation_id": creation_id})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == 100
    [post] = sandbox.state.posts("threads")
    assert (post.remote_id, post.text) == (published.json()["id"], "스레드")
    media = client.get(f"/v1.0/{post.remote_id}", params={**token, "fields": "permalink,text"})
    permalink = media.json()["permalink"]
    assert permalink.startswith("https://www.threads.net/@demo/post/")
    assert client.get(sandbox.page_for(permalink)).status_code == 200
    too_long = client.post("/v1.0/me/threads", params={**token, "text": "a" * 501})
    assert too_long.status_code == 400
