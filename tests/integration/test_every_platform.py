"""Guarantee 4 on every platform: what the reviewer previewed is what the platform shows.

An English and a Korean post with a link, hashtags, emoji and LinkedIn's reserved characters go
through the daemon to every platform in the sandbox; each arrives with the fields PLATFORMS.md
documents, and the text the sandbox shows equals the stored post and its preview.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from drafts.config import Config, parse_config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.preview import preview
from scheduler.sandbox.server import RunningSandbox
from tests.integration.publishing import drain

EN = "🌏 Seoul's (pilot) heat_map is live: https://example.org/heat-map?city=seoul #ClimateAction #Seoul 🙋🏽"
KO = "🌏 서울 폭염 지도(시범)가 공개되었습니다 👨‍👩‍👧 https://example.org/heat-map #기후행동 #서울"


@pytest.fixture
def everywhere(everywhere_text: str) -> Config:
    """Every channel in English and Korean."""
    text = everywhere_text.replace('languages = ["en"]', 'languages = ["en", "ko"]')
    return parse_config(text, Path("config.toml"))


def test_every_platform_shows_exactly_the_previewed_text(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, everywhere: Config
) -> None:
    from tests.integration.publishing import queue_drafts

    channels = [channel.id for channel in everywhere.channels]
    queue_drafts(database, everywhere, library, channels=channels, texts={"en": EN, "ko": KO})
    drain(database, everywhere)

    with database.reading() as session:
        stored = list(session.exec(select(Post)))
    assert len(stored) == 2 * len(channels)
    assert {post.status for post in stored} == {PostStatus.PUBLISHED}
    for post in stored:
        channel = everywhere.channel(post.channel)
        previewed = preview(
            post_id=post.id or 0, text=post.text, language=post.language, channel=channel
        )
        assert previewed is not None
        assert previewed.displayed == post.text
        marker = {"en": "pilot", "ko": "시범"}[post.language]
        (arrived,) = [
            p
            for p in sandbox.state.posts(post.platform)
            if marker in json.dumps(p.body, ensure_ascii=False)
        ]
        assert arrived.text == post.text, (post.platform, post.language)
        check_fields(post, arrived.body, arrived.headers, arrived.details)
        check_link(post, arrived.remote_url, sandbox)
    assert len(sandbox.state.posts()) == len(stored)  # each exactly once


# Where each platform shows a post: its public site, whatever base_url the API is at. A
# Mastodon status lives on its instance, which the sandbox is; a webhook delivery has no page.
PUBLIC_SITES = {
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:share:",
    "x": "https://x.com/i/web/status/",
    "bluesky": "https://bsky.app/profile/tidings-demo.bsky.social/post/",
    "facebook": "https://www.facebook.com/100200300400500/posts/",
    "threads": "https://www.threads.net/@demo/post/",
    "telegram": "https://t.me/tidings_demo/",
}


def check_link(post: Post, link_in_the_sandbox: str, sandbox: RunningSandbox) -> None:
    """The post's link is the platform's public one, and the sandbox serves a page there."""
    if post.platform == "webhook":
        assert post.remote_url is None
        return
    site = PUBLIC_SITES.get(post.platform, f"{sandbox.base_url}/@demo/")
    assert post.remote_url is not None and post.remote_url.startswith(site), post.remote_url
    assert post.remote_url == link_in_the_sandbox
    page = httpx.get(sandbox.page_for(post.remote_url))
    assert page.status_code == 200 and html.escape(post.text) in page.text


def check_fields(post: Post, body: object, headers: dict[str, str], details: object) -> None:
    assert isinstance(body, dict)
    language = post.language
    match post.platform:
        case "linkedin":
            assert body["author"].startswith("urn:li:organization:")
            assert body["visibility"] == "PUBLIC"
            assert body["lifecycleState"] == "PUBLISHED"
            assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
            assert "\\(" in body["commentary"]
            assert headers["x-restli-protocol-version"] == "2.0.0"
        case "x":
            assert body == {"text": post.text}
        case "mastodon":
            assert body["language"] == language
            assert headers["idempotency-key"]
        case "bluesky":
            record = body["record"]
            assert record["langs"] == [language]
            encoded = record["text"].encode()
            spans = {
                encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode()
                for f in record["facets"]
            }
            hashtags = {"en": {"#ClimateAction", "#Seoul"}, "ko": {"#기후행동", "#서울"}}[language]
            assert hashtags <= spans
            assert any(span.startswith("https://example.org/heat-map") for span in spans)
        case "facebook":
            assert body["message"] == post.text
        case "threads":
            assert body["media_type"] == "TEXT"
        case "telegram":
            assert "parse_mode" not in body
            assert body["chat_id"] == "@tidings_demo"
        case "webhook":
            assert body == {"text": post.text}
            assert headers["x-tidings-signature"].startswith("sha256=")
    assert os.environ["TIDINGS_DEMO_X_TOKEN"] not in str(body) + str(headers) + str(details)


# What each platform's check makes of a send whose answer came too late (PLATFORMS.md "how to
# tell whether a timed-out request posted"): found and marked published, or a person is asked.
LATE_ANSWER = {
    "linkedin": PostStatus.PUBLISHED,  # the identical body again: DUPLICATE_POST names it
    "x": PostStatus.PUBLISHED,  # the one recent post of the account with this text
    "mastodon": PostStatus.PUBLISHED,  # the same Idempotency-Key returns the status
    "bluesky": PostStatus.PUBLISHED,  # the record key chosen before sending
    "facebook": PostStatus.PUBLISHED,  # found among the page's posts since the send
    "threads": PostStatus.PUBLISHED,  # the container's status
    "telegram": PostStatus.NEEDS_ATTENTION,  # nothing to ask
    "webhook": PostStatus.NEEDS_ATTENTION,  # nothing to ask
}


def test_a_late_answer_never_posts_twice_on_any_platform(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, everywhere: Config
) -> None:
    from tests.integration.publishing import queue_drafts

    channels = [channel.id for channel in everywhere.channels]
    queue_drafts(database, everywhere, library, channels=channels, texts={"en": EN})
    sandbox.state.faults.add("slow_after_accept", None, seconds=1.5, times=len(channels))
    drain(database, everywhere, request_timeout=0.5)

    with database.reading() as session:
        stored = list(session.exec(select(Post)))
    assert {post.platform: post.status for post in stored} == LATE_ANSWER
    for post in stored:
        assert len(sandbox.state.posts(post.platform)) == 1, post.platform  # never twice
        if post.status == PostStatus.PUBLISHED:
            assert post.remote_id == sandbox.state.posts(post.platform)[0].remote_id
