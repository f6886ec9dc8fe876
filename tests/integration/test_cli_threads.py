"""Threads and first comments on the command line (issue 11 point 4): ``draft show`` prints a
post's chain part by part, numbered and counted, with how each part follows the one before; the
JSON has ``parts`` and ``comment``; the queue is one line a chain, saying which part comes next
or waits; ``tidings log`` names the part each attempt tried. A thread is published for real, to
the sandbox over loopback, by ``tidings run --drain``."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.sandbox.server import RunningSandbox, running_sandbox
from tests.integration.command_line import LOCAL_CONFIG, run, use_folder

PARTS = [
    "The harbour walk opens on Saturday morning.",
    "Bring the family: the new boardwalk runs two kilometres along the water.",
    "Food stalls and a brass band will be there from noon.",
]
COMMENT = "Map and timetable: https://example.org/harbour-walk"
REPEAT = 'publish_at = "2031-03-03 09:00"\nrepeat = "FREQ=WEEKLY;BYDAY=MO;COUNT=2"\n'
PLAIN = """
kind = "update"
title = "Riverside park reopens"
channels = ["x-en"]
[text]
en = "The riverside park is open again."
"""


def thread_file(channels: list[str], parts: list[str] = PARTS) -> str:
    return f"""
kind = "event"
title = "Harbour walk"
channels = {json.dumps(channels)}
first_comment = "{COMMENT}"
[text]
en = {json.dumps(parts, ensure_ascii=False)}
"""


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    run(list(args))
    return capsys.readouterr().out


def lines_of(shown: str) -> list[str]:
    return [line.strip() for line in shown.splitlines()]


def attempt_heads(shown: str) -> list[str]:
    """Each attempt's first line in ``tidings log``, with what the terminal's width wrapped onto
    the next lines (the attempt's facts under it are indented)."""
    heads: list[str] = []
    for line in shown.splitlines():
        if re.match(r"\d{4}-\d{2}-\d{2} ", line):
            heads.append(line.strip())
        elif heads and line.strip() and not line.startswith("    "):
            heads[-1] += " " + line.strip()
    return heads


def post_cells(shown: str) -> list[str]:
    """The queue tables' ``post`` column, a cell wrapped over several lines read as one."""
    cells: list[str] = []
    for line in shown.splitlines():
        if not line.startswith("│"):
            continue
        columns = [column.strip() for column in line.split("│")]
        if columns[2]:  # a row's first line: its channel (a time may wrap)
            cells.append(columns[4])
        else:
            cells[-1] += " " + columns[4]
    return cells


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> Path:
    config = LOCAL_CONFIG.replace(
        'base_url = "http://127.0.0.1:9"', f'base_url = "{sandbox.base_url}"'
    )
    use_folder(tmp_path, monkeypatch, config=config)
    monkeypatch.setenv("TIDINGS_TEST_MASTODON_TOKEN", "sandbox-token")
    monkeypatch.setenv("TIDINGS_SECRET_KEY", secrets.token_urlsafe(32))  # the daemon's vault
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    run(["user", "add", "ara", "--role", "admin"])
    return tmp_path


def add(workdir: Path, source: str) -> None:
    (workdir / "draft.toml").write_text(source, encoding="utf-8")
    run(["draft", "add", "draft.toml", "--as", "mina"])


def approve(draft_id: int) -> None:
    run(["submit", str(draft_id), "--as", "mina"])
    run(["approve", str(draft_id), "--as", "joon"])


def test_draft_show_prints_each_part_counted_and_how_it_follows_the_one_before(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(workdir, thread_file(["x-en", "linkedin"]))
    assert "Added draft 1: Harbour walk (2 posts)." in lines_of(capsys.readouterr().out)
    shown = lines_of(printed(capsys, "draft", "show", "1"))
    x_heading = next(line for line in shown if line.startswith("#1 x-en"))
    assert x_heading.endswith("· thread of 3 + comment")
    x_chain = shown[
        shown.index(x_heading) : shown.index(next(each for each in shown if "linkedin ·" in each))
    ]
    labels = [line for line in x_chain if line.startswith(("part ", "first comment", "↳"))]
    assert labels == [
        "part 1/3 · #1 · pending",
        "↳ reply to part 1",
        "part 2/3 · #2 · pending",
        "↳ reply to part 2",
        "part 3/3 · #3 · pending",
        "↳ reply to part 3",
        "first comment · #4 · pending",
    ]
    counts = [line for line in x_chain if line.endswith("✓ fits")]
    assert counts == [
        f"{len(text)} / 280 weighted characters  ✓ fits" for text in [*PARTS[:2], PARTS[2]]
    ] + ["42 / 280 weighted characters  ✓ fits"]  # the link counts 23
    for text in [*PARTS, COMMENT]:
        assert any(text in line for line in x_chain)
    # LinkedIn has no threads: the parts joined as one post, the comment under it.
    linkedin = shown[shown.index(next(each for each in shown if each.startswith("#5 linkedin"))) :]
    assert linkedin[0].endswith("· + comment")
    chain_lines = [line for line in linkedin if line.startswith(("post ·", "first comment", "↳"))]
    assert chain_lines == [
        "post · #5 · pending",
        "↳ comment on the post",
        "first comment · #6 · pending",
    ]
    joined = len("\n\n".join(PARTS))
    assert f"{joined} / 3,000 characters  ✓ fits" in linkedin

    add(workdir, PLAIN)  # a plain post reads as before: no parts, no arrows
    plain = printed(capsys, "draft", "show", "2")
    assert "part" not in plain and "↳" not in plain and "comment" not in plain
    heading = next(line for line in lines_of(plain) if line.startswith("#7"))
    assert heading == "#7 x-en · X · en · pending"


def test_json_gives_a_post_its_parts_and_its_comment(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(workdir, thread_file(["x-en", "linkedin"]))
    add(workdir, PLAIN)
    posts = json.loads(printed(capsys, "draft", "show", "1", "--json"))["posts"]
    assert [(post["id"], post["channel"]) for post in posts] == [(1, "x-en"), (5, "linkedin")]
    x, linkedin = posts
    assert x["text"] == PARTS[0] and x["status"] == "pending"  # the post's keys: its first part's
    assert [
        (part["number"], part["id"], part["text"], part["length"], part["limit"], part["status"])
        for part in x["parts"]
    ] == [(n, n, text, len(text), 280, "pending") for n, text in enumerate(PARTS, start=1)]
    assert {(part["remote_id"], part["remote_url"]) for part in x["parts"]} == {(None, None)}
    assert x["comment"] == {
        "number": 4,
        "id": 4,
        "text": COMMENT,
        "length": 42,
        "limit": 280,
        "status": "pending",
        "remote_id": None,
        "remote_url": None,
        "problems": [],
    }
    assert [part["text"] for part in linkedin["parts"]] == ["\n\n".join(PARTS)]
    assert linkedin["comment"]["text"] == COMMENT
    assert linkedin["comment"]["number"] == 2
    # counted as a comment (not escaped, against a comment's limit), not as a post
    assert (linkedin["comment"]["length"], linkedin["comment"]["limit"]) == (len(COMMENT), 1250)

    (plain,) = json.loads(printed(capsys, "draft", "show", "2", "--json"))["posts"]
    assert plain["comment"] is None
    assert [(part["number"], part["id"], part["text"]) for part in plain["parts"]] == [
        (1, plain["id"], plain["text"])
    ]


def drain_with_part_two_refused(sandbox: RunningSandbox) -> None:
    """Draft 1, a thread to Mastodon, published now: the second status the platform is sent is
    refused, so part 2 stops the chain."""
    run(["schedule", "1", "--at", "now", "--as", "mina"])
    sandbox.state.faults.add("status", "mastodon", path="/api/v1/statuses", status=422, after=1)
    run(["run", "--drain"])


def test_the_queue_is_a_line_a_chain_and_the_log_names_each_part(
    workdir: Path, capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox
) -> None:
    add(workdir, thread_file(["mastodon"]))
    approve(1)
    run(["schedule", "1", "--at", "+1h", "--as", "mina"])
    assert post_cells(printed(capsys, "queue")) == ["#1 · thread of 3 + comment"]

    drain_with_part_two_refused(sandbox)
    (cell,) = post_cells(printed(capsys, "queue"))
    assert cell.startswith("#3 · thread of 3 + comment, part 3/3 waits: part 2/3 ")
    (queued,) = json.loads(printed(capsys, "queue", "--json"))
    assert (queued["id"], queued["status"], queued["next_part"]) == (1, "published", 3)
    assert [part["status"] for part in queued["parts"]][::2] == ["published", "scheduled"]
    assert queued["parts"][0]["remote_id"] is not None
    assert queued["comment"]["status"] == "scheduled"

    assert printed(capsys, "post", "retry", "2", "--as", "ara").startswith(
        "Post 2 (part 2/3) is queued again"
    )
    assert post_cells(printed(capsys, "queue")) == ["#2 · thread of 3 + comment, part 2/3 next"]
    run(["run", "--drain"])
    assert printed(capsys, "queue").strip() == "Nothing is queued."
    assert [post.text for post in sandbox.state.posts("mastodon")] == [*PARTS, COMMENT]

    heads = attempt_heads(printed(capsys, "log"))
    tried = [head.split(" · ", 1)[1] for head in heads]  # after the time, newest first
    assert tried == [
        "post 4 · mastodon · en · first comment · attempt 1: published",
        "post 3 · mastodon · en · part 3/3 · attempt 1: published",
        "post 2 · mastodon · en · part 2/3 · attempt 2: published",
        "post 2 · mastodon · en · part 2/3 · attempt 1: failed",
        "post 1 · mastodon · en · part 1/3 · attempt 1: published",
    ]
    attempts = json.loads(printed(capsys, "log", "--json"))
    assert [(a["post_id"], a["part"], a["parts"]) for a in attempts] == [
        (4, 4, 3),
        (3, 3, 3),
        (2, 2, 3),
        (2, 2, 3),
        (1, 1, 3),
    ]


def test_changes_since_the_approval_name_the_part(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(workdir, thread_file(["x-en", "mastodon"]))
    approve(1)
    edited = [PARTS[0], PARTS[1].replace("two", "three"), PARTS[2]]
    (workdir / "draft.toml").write_text(thread_file(["x-en", "mastodon"], edited), "utf-8")
    run(["draft", "edit", "1", "draft.toml", "--as", "mina"])
    shown = printed(capsys, "draft", "show", "1")
    changes = lines_of(shown[shown.index("Changed since joon approved it") :])[1:]
    assert changes == [
        "en · x-en, mastodon · part 2/3: text changed",
        "Bring the family: the new boardwalk runs [-two-]{+three+} kilometres along the water.",
    ]


def test_a_repeating_thread_shows_its_later_occurrences_part_by_part(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weekly = thread_file(["mastodon"], ["The harbour walk is on Monday.", "Bring the family."])
    add(workdir, weekly.replace("[text]", REPEAT + "[text]"))
    shown = printed(capsys, "draft", "show", "1")
    later = lines_of(shown[shown.index("Later occurrences") :])
    assert later[later.index("occurrence 2 · Mon 2031-03-10 09:00 KST") + 1 :] == [
        "en · mastodon · part 1/2 · 1 pending: same text",
        "en · mastodon · part 2/2 · 1 pending: same text",
        "en · mastodon · first comment · 1 pending: same text",
    ]


def test_a_drain_that_leaves_parts_behind_a_failed_one_says_they_wait(
    workdir: Path, capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox
) -> None:
    add(workdir, thread_file(["mastodon"]))
    approve(1)
    capsys.readouterr()
    drain_with_part_two_refused(sandbox)
    drained = capsys.readouterr().out
    # Part 3 and the comment are still queued: the drain does not say nothing is.
    assert "no post is queued" not in drained
    assert "2 later parts wait behind a part that failed or needs a person" in drained

    run(["post", "retry", "2", "--as", "ara"])
    assert "Nothing else is due, and no post is queued." in printed(capsys, "run", "--drain")
