# ruff: noqa: F811 (the fixtures of test_api, imported, are the parameters)
"""Threads and first comments through the API (issue 11): a draft made with a list of parts,
``thread = "auto"`` and ``first_comment`` as JSON; a post is its chain, with ``parts`` (each
with its own number, text, length, limit, status, remote id and URL) and ``comment``, in the
draft, in the list of posts (one entry per chain) and for one post; published over loopback,
each part says where it is live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drafts.config import Config
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.sandbox.server import RunningSandbox
from tests.integration.publishing import drain
from tests.integration.test_api import (  # noqa: F401 (the fixtures)
    api,
    api_config,
    client,
    tokens,
)

PARTS = [
    "The central library opens at eight on weekdays.",
    "The reading room stays open until ten.",
    "Children's hour is on Saturday mornings.",
]
COMMENT = "Every branch's hours: https://library.example/hours"
THREAD = {
    "kind": "post",
    "title": "Library hours",
    "channels": ["mastodon"],
    "text": {"en": PARTS},
    "first_comment": {"en": COMMENT},
}
PART_KEYS = {"number", "text", "length", "limit", "status", "remote_id", "remote_url"}


def numbers(post: dict[str, Any]) -> tuple[list[int], int | None]:
    comment = post["comment"]
    return [part["number"] for part in post["parts"]], comment and comment["number"]


def test_a_thread_and_its_first_comment_are_one_post_with_parts_and_a_comment(
    api: str,
    api_config: Config,
    database: Database,
    tokens: dict[str, str],
    sandbox: RunningSandbox,
) -> None:
    with client(api, tokens["mina"]) as mina, client(api, tokens["joon"]) as joon:
        made = mina.post("/drafts", json=THREAD)
        assert made.status_code == 201, made.text
        draft = made.json()
        [post] = draft["posts"]
        assert numbers(post) == ([1, 2, 3], 4)
        assert [part["text"] for part in post["parts"]] == PARTS
        assert post["comment"]["text"] == COMMENT
        assert all(set(part) >= PART_KEYS for part in [*post["parts"], post["comment"]])
        assert [part["length"] for part in post["parts"]] == [len(text) for text in PARTS]
        assert {part["limit"] for part in post["parts"]} == {500}

        listed = mina.get("/posts", params={"draft_id": draft["id"]}).json()["posts"]
        assert [numbers(each) for each in listed] == [([1, 2, 3], 4)]  # one entry, the chain
        second = post["parts"][1]["id"]
        one_part = mina.get(f"/posts/{second}").json()
        assert numbers(one_part) == ([1, 2, 3], 4)

        mina.post(f"/drafts/{draft['id']}/submit")
        read = joon.get(f"/drafts/{draft['id']}").json()
        joon.post(f"/drafts/{draft['id']}/approve", json={"content_hash": read["content_hash"]})
        at = (utcnow() + timedelta(minutes=5)).isoformat()
        mina.post(f"/drafts/{draft['id']}/schedule", json={"at": at})
        drain(database, api_config, now=lambda: utcnow() + timedelta(minutes=10))

        [out] = mina.get("/posts", params={"draft_id": draft["id"]}).json()["posts"]
    chain = [*out["parts"], out["comment"]]
    assert [part["status"] for part in chain] == ["published"] * 4
    assert all(part["remote_id"] and part["remote_url"] for part in chain)
    assert len({part["remote_id"] for part in chain}) == 4
    assert [post.text for post in sandbox.state.posts()] == [*PARTS, COMMENT]


def test_thread_auto_splits_a_text_too_long_and_the_list_pages_by_chain(
    api: str, tokens: dict[str, str]
) -> None:
    long = " ".join(
        f"Sentence {n} says one more thing about the new library hours." for n in range(30)
    )
    fields = {
        "kind": "post",
        "title": "Long",
        "channels": ["mastodon", "team-chat"],
        "text": {"en": long},
        "thread": "auto",
        "first_comment": COMMENT,
    }
    with client(api, tokens["mina"]) as mina:
        made = mina.post("/drafts", json=fields)
        assert made.status_code == 201, made.text
        toot, hook = made.json()["posts"]
        assert len(toot["parts"]) > 1
        assert all(part["length"] <= part["limit"] for part in toot["parts"])
        assert toot["parts"][0]["text"].endswith(f" 1/{len(toot['parts'])}")
        pages = []
        after = None
        while True:
            params = {
                "draft_id": made.json()["id"],
                "limit": 1,
                **({"after": after} if after else {}),
            }
            page = mina.get("/posts", params=params).json()
            pages.append([post["channel"] for post in page["posts"]])
            if not (after := page["after"]):
                break
        assert pages == [["mastodon"], ["team-chat"]]  # a page a chain, its later parts in it
        assert hook["comment"]["text"] == COMMENT
