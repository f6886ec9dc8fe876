"""``tidings prune --published-before DATE``: the date read in ``[tidings] timezone``, a dry run
that changes nothing, one summary line, the audit log kept with the prune's own entry, the
VACUUM advice on SQLite and ``--vacuum`` taking it; a date that cannot be read or a user who is
not an admin is one line, exit status 1, nothing changed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drafts.authoring import draft_posts
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft
from drafts.storage import Database
from tests.integration.command_line import GOOD, fails, run, snapshot, use_folder

# 01:00 on 2025-01-01 in Seoul ([tidings] timezone), still 2024 in UTC.
ENDED = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Drafts 1 and 2 (one post each): draft 1 published at ENDED, draft 2 still a draft."""
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "hana", "--role", "admin"])
    run(["user", "add", "mina", "--role", "author", "--as", "hana"])
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    run(["draft", "add", "good.toml", "--as", "mina"])
    run(["draft", "add", "good.toml", "--as", "mina"])
    database = Database(f"sqlite:///{tmp_path / 'tidings.db'}")
    with database.writing() as session:
        draft = session.get(Draft, 1)
        assert draft is not None
        draft.status, draft.updated_at = DraftStatus.DONE, ENDED
        for post in draft_posts(session, 1):
            post.status, post.updated_at = PostStatus.PUBLISHED, ENDED
    with sqlite3.connect(tmp_path / "tidings.db") as db:
        db.execute("UPDATE audit_log SET at = '2024-12-31 16:00:00.000000'")
    database.dispose()
    return tmp_path


def printed(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    run(args)
    return capsys.readouterr().out


def audit(folder: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(folder / "tidings.db") as db:
        return db.execute(
            "SELECT id, actor, action, draft_id FROM audit_log ORDER BY id"
        ).fetchall()


def drafts(folder: Path) -> list[int]:
    with sqlite3.connect(folder / "tidings.db") as db:
        return [row[0] for row in db.execute("SELECT id FROM draft ORDER BY id")]


def test_the_date_is_in_the_configured_timezone_and_a_dry_run_changes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workdir)
    # Midnight in Seoul is before the post ended at 01:00 there.
    out = printed(["prune", "--published-before", "2025-01-01", "--as", "hana"], capsys)
    assert out.startswith("Pruned 0 drafts, 0 posts, 0 attempts (")
    assert snapshot(workdir)[:5] == before[:5]

    out = printed(
        ["prune", "--published-before", "2025-01-01 02:00", "--dry-run", "--as", "hana"], capsys
    )
    assert out == (
        "Would prune 1 draft, 2 posts, 0 attempts (2 variants, 0 reviews, 0 images) that ended "
        "before 2025-01-01 02:00 KST; nothing was changed.\n"
    )
    assert snapshot(workdir)[:5] == before[:5]


def test_prune_deletes_the_finished_draft_keeps_the_audit_log_and_advises_vacuum(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logged = audit(workdir)
    out = printed(["prune", "--published-before", "2025-01-01 02:00", "--as", "hana"], capsys)
    summary, advice = out.splitlines()
    assert summary == (
        "Pruned 1 draft, 2 posts, 0 attempts (2 variants, 0 reviews, 0 images) that ended "
        "before 2025-01-01 02:00 KST; the audit log is kept."
    )
    assert "--vacuum" in advice
    assert drafts(workdir) == [2]
    after = audit(workdir)
    assert after[: len(logged)] == logged
    [entry] = after[len(logged) :]
    assert entry[1:] == ("hana", "prune", None)

    out = printed(
        ["prune", "--published-before", "2025-01-01 02:00", "--vacuum", "--as", "hana"], capsys
    )
    assert out.splitlines()[-1].startswith(f"VACUUM: {workdir / 'tidings.db'} went from ")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--published-before", "someday", "--as", "hana"],
            "error: published-before: 'someday' is not a time such as '2026-12-01 10:00', "
            "'2026-12-01T10:00+09:00' or '+2h'",
        ),
        (
            ["--published-before", "2025-02-30", "--as", "hana"],
            "error: published-before: '2025-02-30' is not a time such as '2026-12-01 10:00', "
            "'2026-12-01T10:00+09:00' or '+2h'",
        ),
        (
            ["--published-before", "2025-01-01 02:00", "--as", "mina"],
            "error: mina is an author and may not prune drafts",
        ),
    ],
)
def test_a_bad_date_or_a_user_who_is_not_an_admin_changes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    before = snapshot(workdir)
    assert fails(["prune", *args], capsys) == line
    assert snapshot(workdir) == before
