"""A thread whose daemon is killed (``kill -9``) while its third part is in flight (issue 11): the
next daemon asks the platform about that part, resumes at the first part not published, and every
part arrives exactly once, in order, each a reply to the one before."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import col, select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.publishing import queue_drafts, sandbox_config

HEARTBEAT = {"heartbeat_seconds": 0.5, "missed_beats": 3, "request_timeout": 60}
PARTS = [
    "Our night market returns to the old rail yard this Friday.",
    "Forty stalls, from dumplings to hand-bound notebooks, open at six.",
    "The tram runs every ten minutes until midnight.",
    "Bring a cup of your own: every stall takes them.",
]
COMMENT = "Stall map: https://example.org/night-market"


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config(sandbox.base_url, monkeypatch)


def test_a_kill_during_the_third_part_ends_with_every_part_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    tmp_path: Path,
) -> None:
    draft_id = queue_drafts(
        database,
        config,
        library,
        channels=["mastodon"],
        texts={"en": PARTS},
        extra=f'first_comment = "{COMMENT}"',
    )
    # The third part is stored by the "platform", then its answer hangs: in flight at the kill.
    sandbox.state.faults.add(
        "slow_after_accept", "mastodon", path="/api/v1/statuses", seconds=30, after=2
    )
    url = database.engine.url.render_as_string(hide_password=False)
    path = write_config(config, tmp_path, url, **HEARTBEAT)

    first = start_daemon(path)
    wait_until(lambda: len(sandbox.state.posts("mastodon")) == 3, 30, "the third part sent")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    sandbox.state.faults.clear()
    second = start_daemon(path, "--drain")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors

    with database.reading() as session:
        rows = list(
            session.exec(select(Post).where(Post.draft_id == draft_id).order_by(col(Post.part)))
        )
        third = list(session.exec(select(Attempt).where(Attempt.post_id == rows[2].id)))
    assert [(row.part, row.status) for row in rows] == [
        (number, PostStatus.PUBLISHED) for number in range(1, 6)
    ]
    received = sandbox.state.posts("mastodon")
    assert [post.text for post in received] == [*PARTS, COMMENT]  # each once, in order
    keys = Counter(post.headers["idempotency-key"] for post in received)
    assert set(keys.values()) == {1}
    assert [row.remote_id for row in rows] == [post.remote_id for post in received]
    # The part in flight was asked about, not sent blind: its key found the stored status.
    assert [a.outcome for a in sorted(third, key=lambda a: a.number)] == ["unknown", "published"]
    # Each part replies to the one before it, the comment to the last part.
    assert sandbox.state.chain("mastodon", rows[0].remote_id or "") == received
