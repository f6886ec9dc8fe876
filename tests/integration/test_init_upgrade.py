"""``tidings init`` on a database of an older schema says it is upgrading before it starts (an
upgrade can rewrite every post), then what it did; the rows are all there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.storage import Database, head_revision
from tests.integration.command_line import run, use_folder
from tests.integration.test_covering_indexes_migration import to_revision
from tests.integration.test_page_growth import NOW, add


def test_init_says_it_upgrades_before_it_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    database = Database(f"sqlite:///{tmp_path / 'tidings.db'}")
    add(database, 1, 3, PostStatus.PUBLISHED, NOW)
    to_revision(database, "0026", up=False)
    database.dispose()
    capsys.readouterr()

    run(["init"])

    lines = capsys.readouterr().out.splitlines()
    head, shown = head_revision(), database.display_url
    assert lines == [
        f"Upgrading the database {shown} from schema 0026 to {head} (on a large database this "
        "can take minutes).",
        f"Upgraded the database {shown} from schema 0026 to {head}.",
    ]
    run(["init"])
    assert capsys.readouterr().out.splitlines() == [
        f"The database {shown} is up to date (schema {head})."
    ]
    with database.reading() as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == 3
