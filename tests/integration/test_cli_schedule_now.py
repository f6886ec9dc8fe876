"""`tidings schedule ID --at now` publishes now (the posts are due at once, for the daemon to
send), `--at +10s` is ten seconds from now, `tidings unschedule ID` takes a scheduled draft
out of the queue; a time from now that cannot be read is one line, exit status 1, no change."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drafts.times import utcnow
from tests.integration.command_line import approved_draft, fails, run, snapshot, use_folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Draft 1, approved: mina wrote it, joon approved it."""
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    approved_draft(tmp_path)
    return tmp_path


def stored(folder: Path) -> tuple[str, list[tuple[str, datetime | None]]]:
    """Draft 1's status, and each of its posts' status and due time."""
    with sqlite3.connect(folder / "tidings.db") as db:
        [(status,)] = db.execute("SELECT status FROM draft WHERE id = 1").fetchall()
        rows = db.execute("SELECT status, due_at FROM post WHERE draft_id = 1 ORDER BY id")
        posts = [(post, _utc(due) if due else None) for post, due in rows]
    return status, posts


def _utc(stored_time: str) -> datetime:
    """A time as SQLite holds it (UTC, without an offset), aware."""
    return datetime.fromisoformat(stored_time).replace(tzinfo=UTC)


def scheduled_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    run([*args, "--json"])
    posts: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return posts


def test_at_now_makes_every_post_due_now(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = utcnow()
    posts = scheduled_json(["schedule", "1", "--at", "now", "--as", "mina"], capsys)
    after = utcnow()
    assert len(posts) == 2  # linkedin, in English and in Korean
    status, stored_posts = stored(workdir)
    assert status == "scheduled"
    assert {post for post, _ in stored_posts} == {"scheduled"}
    for _, due in stored_posts:
        assert due is not None and before <= due <= after
    due_now = {datetime.fromisoformat(str(post["due_at"])) for post in posts}
    assert due_now == {due for _, due in stored_posts}


def test_at_now_says_the_draft_is_due_now(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    run(["schedule", "1", "--at", "NOW", "--as", "mina"])
    said = capsys.readouterr().out
    assert said.startswith("Draft 1 is due now: a running daemon (`tidings run`) publishes it:")


def test_at_now_is_explained_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    run(["schedule", "--help"])
    shown = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "'now' to publish now" in shown
    assert "'+10s'" in shown


@pytest.mark.parametrize(
    ("at", "ahead"),
    [("+10s", timedelta(seconds=10)), ("+5m", timedelta(minutes=5)), ("+2h", timedelta(hours=2))],
)
def test_a_time_from_now(
    workdir: Path, capsys: pytest.CaptureFixture[str], at: str, ahead: timedelta
) -> None:
    before = utcnow()
    scheduled_json(["schedule", "1", "--at", at, "--as", "mina"], capsys)
    after = utcnow()
    status, posts = stored(workdir)
    assert status == "scheduled"
    for _, due in posts:
        assert due is not None and before + ahead <= due <= after + ahead


@pytest.mark.parametrize(
    "at", ["+10x", "+1.5h", "+s", "-5m", "+10 minutes", "+" + "9" * 5000 + "s"]
)
def test_a_time_from_now_that_cannot_be_read_changes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], at: str
) -> None:
    before = snapshot(workdir)
    line = fails(["schedule", "1", "--at", at, "--as", "mina"], capsys)
    assert line.startswith("error: at: "), line
    if len(at) > 100:
        assert "is past the year 9999" in line
    else:
        assert f"{at!r} is not a time from now: give + a whole number and s, m, h or d" in line
        assert "like +10s, +5m, +2h or +1d" in line
    assert snapshot(workdir) == before


def test_unschedule_takes_the_posts_out_of_the_queue(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["schedule", "1", "--at", "+2h", "--as", "mina"])
    capsys.readouterr()
    run(["unschedule", "1", "--as", "joon"])
    assert capsys.readouterr().out.strip() == (
        "Draft 1 unscheduled (2 post(s) no longer due); it stays approved: "
        "`tidings schedule 1` queues it again."
    )
    assert stored(workdir) == ("approved", [("pending", None), ("pending", None)])
    run(["queue"])
    assert "Nothing is queued." in capsys.readouterr().out
    before = snapshot(workdir)
    again = fails(["unschedule", "1", "--as", "joon"], capsys)
    assert "draft 1 is approved; unschedule needs a draft that is scheduled" in again
    assert snapshot(workdir) == before
    run(["schedule", "1", "--at", "now", "--as", "mina"])  # and it can be queued again
    assert stored(workdir)[0] == "scheduled"
