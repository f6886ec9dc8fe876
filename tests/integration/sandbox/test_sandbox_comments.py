"""The sandbox's comments (PLATFORMS.md §10.2) over real loopback HTTP, with requests built by
hand: LinkedIn's ``/rest/socialActions/{urn}/comments`` and Facebook's ``/{post-id}/comments``,
kept under their post, verbatim, and shown under it on the sandbox's pages."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

import httpx

from scheduler.sandbox import RunningSandbox
from tests.integration.sandbox_fixtures import AUTH, ORG, TOKEN, linkedin_body, linkedin_headers

# Plain text on LinkedIn: every character a post's commentary must escape, and a backslash.
VERBATIM = r"Apply by Friday (KST) at https://example.org/a_b *now* #hiring \o/ {x} <y> | ~z 서울"
PAGE = "100200300400500"
GRAPH = "/v21.0"


def linkedin_post(client: httpx.Client) -> str:
    created = client.post("/rest/posts", json=linkedin_body("The post"), headers=linkedin_headers())
    assert created.status_code == 201
    return created.headers["x-restli-id"]


def linkedin_comments(urn: str) -> str:
    return f"/rest/socialActions/{quote(urn, safe='')}/comments"


def comment_body(urn: str, text: str = VERBATIM, actor: str = ORG) -> dict[str, Any]:
    return {"actor": actor, "object": urn, "message": {"text": text}}


def test_linkedin_comment_is_kept_verbatim_under_its_post(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    urn = linkedin_post(client)

    made = client.post(linkedin_comments(urn), json=comment_body(urn), headers=linkedin_headers())

    assert made.status_code == 201
    comment = made.json()
    assert comment["commentUrn"] == f"urn:li:comment:({urn},{comment['id']})"
    assert comment["message"]["text"] == VERBATIM
    assert (comment["actor"], comment["object"]) == (ORG, urn)
    assert isinstance(comment["created"]["time"], int)
    [post, received] = sandbox.state.posts("linkedin")
    assert (received.comment, received.reply_to) == (True, urn)
    assert received.text == VERBATIM  # plain text: not read as little text, nothing cut
    assert received.remote_id == comment["commentUrn"]
    assert sandbox.state.chain("linkedin", urn) == [post, received]
    listed = client.get(linkedin_comments(urn), headers=linkedin_headers())
    assert listed.status_code == 200
    assert [c["commentUrn"] for c in listed.json()["elements"]] == [comment["commentUrn"]]


def test_linkedin_comment_refusals_name_what_is_wrong(client: httpx.Client) -> None:
    urn = linkedin_post(client)
    path = linkedin_comments(urn)

    unknown = "urn:li:share:1"
    missing = client.post(
        linkedin_comments(unknown), json=comment_body(unknown), headers=linkedin_headers()
    )
    no_text = client.post(path, json=comment_body(urn, text=""), headers=linkedin_headers())
    elsewhere = client.post(path, json=comment_body("urn:li:share:2"), headers=linkedin_headers())
    bad_actor = client.post(path, json=comment_body(urn, actor="me"), headers=linkedin_headers())
    no_version = client.post(path, json=comment_body(urn), headers=AUTH)
    no_token = client.post(path, json=comment_body(urn), headers={"LinkedIn-Version": "202610"})

    assert missing.status_code == 404
    assert (no_text.status_code, no_text.json()["message"]) == (
        422,
        "Field is required at /message/text",
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errorDetails"]["inputErrors"][0]["code"] == "INVALID_URN_ID"
    assert bad_actor.json()["message"] == "Invalid URN at /actor"
    assert no_version.status_code == 400
    assert no_token.status_code == 401
    assert client.get(path, headers=linkedin_headers()).json()["elements"] == []


def facebook_post(client: httpx.Client) -> str:
    created = client.post(f"{GRAPH}/{PAGE}/feed", json={"message": "The post", **token()})
    return str(created.json()["id"])


def token() -> dict[str, str]:
    return {"access_token": TOKEN}


def test_facebook_comment_is_kept_under_its_post_and_listed(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    post_id = facebook_post(client)
    first = client.post(f"{GRAPH}/{post_id}/comments", json={"message": VERBATIM, **token()})
    second = client.post(f"{GRAPH}/{post_id}/comments", json={"message": "Later", **token()})

    assert first.status_code == second.status_code == 200
    comment_id = first.json()["id"]
    assert comment_id.startswith(post_id.split("_")[1] + "_")
    [post, received, _] = sandbox.state.posts("facebook")
    assert (received.comment, received.reply_to, received.text) == (True, post_id, VERBATIM)
    assert "access_token" not in received.body
    newest = client.get(
        f"{GRAPH}/{post_id}/comments",
        params={"order": "reverse_chronological", "fields": "id,message,created_time,from"},
        headers=AUTH,
    ).json()["data"]
    assert [c["message"] for c in newest] == ["Later", VERBATIM]
    assert newest[1]["from"]["id"] == PAGE
    assert post.remote_id == post_id


def test_facebook_comment_refusals_are_graph_errors(client: httpx.Client) -> None:
    post_id = facebook_post(client)

    unknown = client.post(f"{GRAPH}/{PAGE}_1/comments", json={"message": "Hi", **token()})
    empty = client.post(f"{GRAPH}/{post_id}/comments", json={"message": "", **token()})
    anonymous = client.post(f"{GRAPH}/{post_id}/comments", json={"message": "Hi"})
    unknown_read = client.get(f"{GRAPH}/{PAGE}_1/comments", headers=AUTH)

    error = unknown.json()["error"]
    assert (unknown.status_code, error["code"], error["error_subcode"]) == (400, 100, 33)
    assert unknown_read.json()["error"]["error_subcode"] == 33
    assert empty.json()["error"]["message"] == "(#100) Missing message or attachment"
    assert anonymous.json()["error"]["code"] == 104


def test_pages_show_each_comment_under_its_post(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    urn = linkedin_post(client)
    client.post(linkedin_comments(urn), json=comment_body(urn), headers=linkedin_headers())
    [post, received] = sandbox.state.posts("linkedin")

    index = client.get("/").text
    page = client.get(received.permalink)

    shown = escape(VERBATIM)
    assert index.count(shown) == 1  # under its post, not listed as a post of its own
    assert index.index(escape(post.text)) < index.index(shown)
    assert "linkedin (1)" in index
    assert page.status_code == 200
    assert f"linkedin post {escape(urn)}" in page.text  # a comment's link leads to its post
    assert shown in page.text
