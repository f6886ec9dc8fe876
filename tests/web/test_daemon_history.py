"""What the daemon writes in a draft's history, read in the reader's language (issue 17 point 8):
each attempt's line ("attempt 1: published") and the draft's end ("draft.done"), as a real
daemon run on the sandbox records them, and the lines a daemon taking over another's post
writes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from drafts.authoring import draft_posts
from drafts.config import Config
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox import RunningSandbox
from tests.integration.publishing import drain, queue_posts, sandbox_config
from tests.web.conftest import Person, client, elements, log_in, set_language, text
from tests.web.test_korean_messages import ENGLISH, KOREAN, history, over_http
from tidings.web.reasons import Reasons


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """Mastodon accounts and a webhook on the sandbox."""
    return sandbox_config(sandbox.base_url, monkeypatch)


@pytest.fixture
def published(database: Database, config: Config, library: TemplateLibrary) -> Iterator[int]:
    """A draft in English and Korean on Mastodon, published by one daemon run: its id."""
    post_ids = queue_posts(database, config, library, channels=["mastodon"], languages=("en", "ko"))
    summary = drain(database, config)
    assert summary.outcomes == {"published": len(post_ids)}, summary
    with database.reading() as session:
        post = session.get(Post, post_ids[0])
        assert post is not None
        yield post.draft_id


@over_http
async def test_the_daemons_history_lines_are_in_the_readers_words(
    app: Starlette, people: dict[str, Person], database: Database, published: int
) -> None:
    lines: dict[str, list[str]] = {}
    for language in ("ko", "en"):
        set_language(database, "joon", language)
        async with client(app) as browser:
            assert (await log_in(browser, people["joon"])).status_code == 303
            page = (await browser.get(f"/drafts/{published}")).text
            lines[language] = history(page)
    ko_lines, en_lines = lines["ko"], lines["en"]
    # Each publication says which post it was (of the draft's several), linked to its outcome.
    for post in ("mastodon · 영어", "mastodon · 한국어"):
        attempt = f"게시 완료 ({post}): 1번째 시도: 게시됨"
        assert sum(line.endswith(attempt) for line in ko_lines) == 1, ko_lines
    assert any(line.endswith("완료 처리 (더 게시할 게시물 없음)") for line in ko_lines), ko_lines
    assert not any("attempt" in line or "draft.done" in line for line in ko_lines), ko_lines
    assert not any("기록된 영어 원문" in line for line in ko_lines), ko_lines
    for post in ("mastodon · English", "mastodon · Korean"):
        attempt = f"published it ({post}): attempt 1: published"
        assert sum(line.endswith(attempt) for line in en_lines) == 1, en_lines
    assert any(line.endswith("marked it done (no post left to publish)") for line in en_lines)
    links = {text(link): link["href"] for link in elements(page, "a.history-post")}  # English
    with database.reading() as session:
        names = {"en": "English", "ko": "Korean"}
        assert links == {
            f"mastodon · {names[post.language]}": f"/posts/{post.id}"
            for post in draft_posts(session, published)
        }


def test_a_taken_over_attempt_is_told_without_english() -> None:
    told = Reasons("ko", KOREAN)
    recorded = (
        "attempt 2 by host-1:4242: taken over from host-1:4242 (no heartbeat for 95 s) "
        "with this attempt in flight"
    )
    assert told(recorded) == (
        "host-1:4242의 2번째 시도: 이 시도가 진행 중일 때 host-1:4242에게서 넘겨받았습니다 "
        "(95초 동안 응답 신호 없음)"
    )
    for why, said in (
        ("its process had ended", "프로세스가 종료됨"),
        ("its lease ran out", "점유 기한이 지남"),
    ):
        assert told(f"taken over from d:1 ({why}) with this attempt in flight").endswith(
            f"({said})"
        )
    assert told("attempt 3: X refused the post (403): no; gave up after 3 attempts") == (
        "3번째 시도: X에서 거부했습니다 (403): no; 3번 시도한 뒤 포기했습니다"
    )
    assert Reasons("en", ENGLISH)(recorded) == recorded
