"""`tidings draft show` and `tidings log` at 80 and at 200 columns: every line fits the terminal,
and nothing is cut short: a post's heading, its whole text, each problem under it, the time,
channel and link of each attempt."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len
from sqlmodel import select

from drafts.models import Attempt, Post
from drafts.storage import Database
from drafts.times import show, utcnow
from tests.integration.command_line import LOCAL_CONFIG, run, use_folder

# A channel id as long as one may be (40 characters): the heading of its post is longer than a
# panel's border at 80 columns.
LONG_ID = "mastodon-seoul-metropolitan-government-k"
CONFIG = (
    LOCAL_CONFIG
    + f"""
[[channels]]
id = "{LONG_ID}"
platform = "mastodon"
languages = ["en"]
base_url = "https://social.example"
token_env = "TIDINGS_TEST_MASTODON_TOKEN"
"""
)
FITS = f"""
kind = "update"
title = "Riverside park reopens"
channels = ["{LONG_ID}"]
[text]
en = "🌳 The riverside park is open again after eighteen months of work. #Parks"
"""
LONG_TEXT = (
    "An announcement far too long for X, to see how a terminal shows it: the riverside park is "
    "open again after eighteen months of work, with new paths, a boardwalk along the river, "
    "better lighting, three playgrounds, a café by the bridge and a small library in the old "
    "boathouse. Read more at https://example.org/news/2026/riverside-park-reopens-with-a-long-"
    "address-that-goes-on-and-on-until-it-is-longer-than-two-hundred-characters-which-is-what-"
    "a-terminal-of-two-hundred-columns-needs-to-see 강변 공원이 다시 문을 열었습니다\u200b"
)
TOO_LONG = f"""
kind = "update"
title = "Too long"
channels = ["x-en"]
languages = ["en"]
[text]
en = "{LONG_TEXT}"
"""
LINK = (
    "https://social.example/@seoul_metropolitan_government_newsroom/113452345234523452345"
    "?with=a-query-that-makes-the-link-longer-than-eighty-columns"
)
ERROR = (
    "refused (422): Validation failed: Text character limit of 500 exceeded, and the instance "
    "said so at length so that the error runs over several lines"
)


def squashed(text: str) -> str:
    """``text`` without spaces, line breaks or panel borders: what wrapping may have split."""
    return re.sub(r"[\s│╭╮╰╯─]", "", text)


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    run(list(args))
    return capsys.readouterr().out


def assert_fits(output: str, width: int) -> None:
    too_wide = [line for line in output.splitlines() if cell_len(line.rstrip()) > width]
    assert not too_wide, "\n".join(too_wide)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_folder(tmp_path, monkeypatch, CONFIG)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "fits.toml").write_text(FITS, encoding="utf-8")
    (tmp_path / "too-long.toml").write_text(TOO_LONG, encoding="utf-8")
    run(["draft", "add", "fits.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    run(["schedule", "1", "--at", "2099-03-02 10:00", "--as", "mina"])
    run(["draft", "add", "too-long.toml", "--as", "mina"])
    return tmp_path


@pytest.mark.parametrize("width", [80, 200])
def test_draft_show_wraps_the_heading_the_text_and_every_problem(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    scheduled = printed(capsys, "draft", "show", "1")
    refused = printed(capsys, "draft", "show", "2")

    assert_fits(scheduled + refused, width)
    heading = f"#1 {LONG_ID} · Mastodon · en · scheduled at 2099-03-02 10:00 KST"
    assert squashed(heading) in squashed(scheduled)
    assert "…" not in scheduled + refused  # rich's mark for what it cut
    assert squashed(LONG_TEXT) in squashed(refused)
    assert squashed("✗ 2 problem(s)") in squashed(refused)
    for problem in (
        "weighted characters, over X's limit of 280 by",
        "contains an invisible zero width space (U+200B) at character",
    ):
        assert squashed(problem) in squashed(refused)


@pytest.mark.parametrize("width", [80, 200])
def test_log_wraps_each_attempt_and_keeps_its_link_whole(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    database = Database(f"sqlite:///{workdir / 'tidings.db'}")
    started = utcnow() - timedelta(minutes=5)
    with database.writing() as session:
        post = session.exec(select(Post).where(Post.channel == LONG_ID)).one()
        assert post.id is not None
        for number, (url, error, outcome) in enumerate(
            [(None, ERROR, "failed"), (LINK, None, "published")], start=1
        ):
            session.add(
                Attempt(
                    post_id=post.id,
                    number=number,
                    worker="worker-host.example.org:4242",
                    started_at=started + timedelta(minutes=number),
                    finished_at=started + timedelta(minutes=number, seconds=1),
                    outcome=outcome,
                    http_status=200 if url else 422,
                    remote_url=url,
                    error=error,
                    duration_ms=1234,
                )
            )
    database.dispose()
    monkeypatch.setenv("COLUMNS", str(width))

    shown = printed(capsys, "log")

    lines = [line.rstrip() for line in shown.splitlines()]
    assert f"    {LINK}" in lines  # whole, for the terminal to wrap: a broken link opens nowhere
    assert_fits("\n".join(line for line in lines if line != f"    {LINK}"), width)
    assert "…" not in shown
    when = show(started + timedelta(minutes=1), ZoneInfo("Asia/Seoul"))
    for words in (
        f"{when} · post {post.id} · {LONG_ID} · {post.language} · attempt 1: failed",
        "HTTP 422 · 1,234 ms · by worker-host.example.org:4242",
        ERROR,
        "attempt 2: published",
    ):
        assert squashed(words) in squashed(shown)
