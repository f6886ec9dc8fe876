"""The sandbox's replies, by hand-built requests from PLATFORMS.md §10.2 (not Tidings' adapters):
Mastodon's ``in_reply_to_id``, Threads' ``reply_to_id``, Telegram's ``reply_parameters`` and a
webhook payload's ``reply_to``; each checked against what exists, and recorded as the reply."""

from __future__ import annotations

import httpx

from scheduler.sandbox import RunningSandbox
from tests.integration.sandbox_fixtures import AUTH, TOKEN

STATUSES = "/api/v1/statuses"


def toot(client: httpx.Client, text: str, **fields: object) -> httpx.Response:
    return client.post(STATUSES, json={"status": text, **fields}, headers=AUTH)


def test_mastodon_records_a_reply_and_serves_it_in_the_status(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    first = toot(client, "첫째", language="ko").json()
    second = toot(client, "둘째", language="ko", in_reply_to_id=first["id"]).json()
    assert first["in_reply_to_id"] is None
    assert second["in_reply_to_id"] == first["id"]
    assert second["in_reply_to_account_id"] == first["account"]["id"]
    assert client.get(f"{STATUSES}/{second['id']}").json() == second
    assert [p.remote_id for p in sandbox.state.chain("mastodon", first["id"])] == [
        first["id"],
        second["id"],
    ]
    assert sandbox.state.post_by_id("mastodon", second["id"]).reply_to == first["id"]  # type: ignore[union-attr]


def test_mastodon_refuses_a_reply_to_a_status_it_does_not_have(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    refused = toot(client, "to nowhere", in_reply_to_id="999999")
    assert refused.status_code == 404
    assert refused.json() == {
        "error": "The post you are trying to reply to does not appear to exist."
    }
    assert sandbox.state.posts("mastodon") == []
    assert client.get(f"{STATUSES}/999999").status_code == 404


def test_mastodon_reply_keeps_its_idempotency_key(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    root = toot(client, "root").json()

    def reply(key: str) -> str:
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key}
        body = {"status": "reply", "in_reply_to_id": root["id"]}
        return str(client.post(STATUSES, json=body, headers=headers).json()["id"])

    assert reply("part-2") == reply("part-2") != reply("part-3")
    assert len(sandbox.state.posts("mastodon")) == 3
