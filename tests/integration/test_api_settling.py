# ruff: noqa: F811 (the fixtures of test_api, imported, are the parameters)
"""Settling posts through the API: a failed post marked published at its address, another
sent again and published, with an admin token, as ``tidings post mark-published/retry``."""

from __future__ import annotations

from datetime import timedelta

from drafts.api_tokens import Scope, new_token
from drafts.config import Config
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.sandbox.server import RunningSandbox
from tests.integration.publishing import drain
from tests.integration.test_api import (  # noqa: F401 (the fixtures)
    HELLO,
    api,
    api_config,
    client,
    tokens,
)

LIVE = "https://mastodon.example/@library/1"


def test_an_admin_token_settles_failed_posts(
    api: str,
    api_config: Config,
    database: Database,
    tokens: dict[str, str],
    sandbox: RunningSandbox,
) -> None:
    with database.writing() as session:
        sol = find_user(session, "sol")
        admin = new_token(session, user_name="sol", name="ops", scopes=[Scope.ADMIN], actor=sol)
    with client(api, tokens["mina"]) as mina, client(api, tokens["joon"]) as joon:
        draft = mina.post("/drafts", json=HELLO).json()
        mina.post(f"/drafts/{draft['id']}/submit")
        read = joon.get(f"/drafts/{draft['id']}").json()
        joon.post(f"/drafts/{draft['id']}/approve", json={"content_hash": read["content_hash"]})
        at = (utcnow() + timedelta(minutes=5)).isoformat()
        mina.post(f"/drafts/{draft['id']}/schedule", json={"at": at})
        sandbox.state.faults.add("status", "mastodon", status=422, times=1)
        sandbox.state.faults.add("status", "webhook", status=422, times=1)
        drain(database, api_config, now=lambda: utcnow() + timedelta(minutes=10))
        toot, hook = mina.get("/posts", params={"draft_id": draft["id"]}).json()["posts"]
        assert (toot["status"], hook["status"]) == ("failed", "failed")

        refused = mina.post(f"/posts/{toot['id']}/retry")  # an author's token, without admin
        assert refused.status_code == 403
        assert refused.json()["error"]["field"] == "scopes"

    with client(api, admin) as ops:
        bad = ops.post(f"/posts/{toot['id']}/mark-published", json={"url": "javascript:x"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "url"
        given = {"url": LIVE, "remote_id": "110000000000000001"}
        marked = ops.post(f"/posts/{toot['id']}/mark-published", json=given)
        assert marked.status_code == 200, marked.text
        assert (marked.json()["status"], marked.json()["remote_url"]) == ("published", LIVE)
        assert marked.json()["remote_id"] == "110000000000000001"  # what a next part replies to
        retried = ops.post(f"/posts/{hook['id']}/retry")
        assert retried.status_code == 200 and retried.json()["status"] == "scheduled"
        drain(database, api_config)
        assert ops.get(f"/posts/{hook['id']}").json()["status"] == "published"
        settled = ops.post(f"/posts/{toot['id']}/retry")
        assert settled.status_code == 409
        assert settled.json()["error"]["message"] == (
            f"post {toot['id']} is published; only a post that needs attention or failed "
            "can be settled"
        )
        assert ops.post("/posts/99999/retry").status_code == 404
    sent = [post.text for post in sandbox.state.posts()]
    assert sent == ["The central library now opens at eight on weekdays."]  # the hook's, once
