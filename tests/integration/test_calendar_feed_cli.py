"""``tidings queue --ics`` prints the calendar feed, and ``tidings user feed-token NAME
[--renew]`` makes a user's feed link once (a renewed one ends the old), kept as its hash only;
a wrong combination or someone else's link is one line, exit status 1, nothing changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from drafts.feed_tokens import token_hash
from tests.integration.command_line import GOOD, fails, run, snapshot, use_folder

TITLE = "강변 공원 재개장"  # a Korean title


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Draft 1 (a Korean title), approved and scheduled a day ahead; mina, joon and hana."""
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "hana", "--role", "admin"])
    run(["user", "add", "mina", "--role", "author", "--as", "hana"])
    run(["user", "add", "joon", "--role", "reviewer", "--as", "hana"])
    draft = GOOD.replace('"Riverside park reopens"', f'"{TITLE}"')
    (tmp_path / "good.toml").write_text(draft, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    run(["schedule", "1", "--at", "+1d", "--as", "mina"])
    return tmp_path


def printed(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    run(args)
    return capsys.readouterr().out


def stored_hash(folder: Path, name: str) -> str | None:
    with sqlite3.connect(folder / "tidings.db") as db:
        [(hashed,)] = db.execute("SELECT feed_token_hash FROM user WHERE name = ?", (name,))
    return hashed  # type: ignore[no-any-return]


def token_in(output: str) -> str:
    [link] = [line.strip() for line in output.splitlines() if "/calendar.ics?" in line]
    return parse_qs(urlsplit(link).query)["token"][0]


def test_queue_ics_prints_the_calendar(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = Calendar.from_ical(printed(["queue", "--ics"], capsys))
    events = feed.walk("VEVENT")
    assert len(events) == 2  # linkedin in English and in Korean
    assert {str(e["summary"]) for e in events} == {f"linkedin: {TITLE}"}
    assert {e["dtstart"].params["TZID"] for e in events} == {"Asia/Seoul"}

    before = snapshot(workdir)
    assert fails(["queue", "--ics", "--channel", "linkedin"], capsys).startswith("error: ics: ")
    assert snapshot(workdir) == before


def test_a_feed_link_is_shown_once_and_a_renewed_one_ends_the_old(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = token_in(printed(["user", "feed-token", "mina", "--as", "mina"], capsys))
    assert stored_hash(workdir, "mina") == token_hash(first)  # the hash only

    again = printed(["user", "feed-token", "mina", "--as", "mina"], capsys)
    assert "/calendar.ics?" not in again and "--renew" in again  # not shown twice
    assert stored_hash(workdir, "mina") == token_hash(first)

    renewed = token_in(printed(["user", "feed-token", "mina", "--renew", "--as", "hana"], capsys))
    assert renewed != first
    assert stored_hash(workdir, "mina") == token_hash(renewed)  # the old link ends

    before = snapshot(workdir)
    refusal = fails(["user", "feed-token", "mina", "--renew", "--as", "joon"], capsys)
    assert "manage users" in refusal
    assert snapshot(workdir) == before
