"""The command line starts quickly: `tidings --help` and `--version` import none of what the
commands need, and the table that lets them stays true to the commands it stands for."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from drafts.config import Config
from drafts.errors import ConfigError
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import MIGRATIONS, Database, head_revision
from drafts.times import utcnow
from tests.conftest import TEST_CONFIG, sqlite_database
from tests.integration.drafting import add_author, add_posts
from tidings.cli.app import COMMANDS, Tidings
from tidings.cli.lazy import LazyCommand, StandIn

# What only the commands need: the storage layer, the web app's pages and catalogue, the
# platforms' HTTP client, images, and the text rules (twitter-text's patterns).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "jinja2",
    "babel",
    "httpx",
    "PIL",
    "alembic",
    "emoji",
    "drafts",
    "scheduler",
    "regex",
)

# What `tidings queue` needs none of: the schema's migrations, the platform adapters and their
# HTTP client, the emoji list, templates and images, (with nothing to measure) each platform's
# text rules, their URL patterns and the regex module, the draft file's models, and the changes
# since a review with the review workflow.
NOT_FOR_QUEUE = {
    "alembic",
    "scheduler.platforms",
    "httpx",
    "emoji",
    "jinja2",
    "babel",
    "PIL",
    "drafts.text_rules.platforms",
    "drafts.text_rules.urls",
    "regex",
    "drafts.draft_file",
    "drafts.changes",
    "drafts.review",
}

IMPORTED_BY = """
import json, sys
from tidings.cli import main
main({args!r})
heavy = {heavy!r}
print(json.dumps(sorted({{m for m in sys.modules if m.split(".")[0] in heavy}})), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[str, list[str]]:
    """What ``tidings ARGS`` printed, and which of HEAVY's modules it imported on the way."""
    script = IMPORTED_BY.format(args=list(args), heavy=HEAVY)
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout, json.loads(finished.stderr.splitlines()[-1])


def test_help_lists_every_command_without_importing_them() -> None:
    printed, heavy = imported_by("--help")
    assert heavy == []
    commands_panel = printed.split("Commands")[1].splitlines()[1:]
    listed = [
        line[2:].split()[0] for line in commands_panel if line.startswith("│ ") and line[2] != " "
    ]
    assert listed == [entry.name for entry in COMMANDS]


def test_version_is_the_installed_package_and_imports_no_command() -> None:
    printed, heavy = imported_by("--version")
    assert (printed, heavy) == (f"tidings {version('tidings')}\n", [])


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    printed, heavy = imported_by("draft", "--help")
    assert "Add, list, show and edit drafts." in printed
    assert "sqlmodel" in heavy


def first_paragraph(command: typer.core.TyperCommand | typer.core.TyperGroup) -> str:
    return " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("entry", COMMANDS, ids=[entry.name for entry in COMMANDS])
def test_each_listing_says_what_its_command_says(entry: LazyCommand) -> None:
    stand_in = Tidings(name="tidings").commands[entry.name]
    assert isinstance(stand_in, StandIn)
    command = stand_in.command
    assert isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup)
    assert first_paragraph(command) == entry.help, "say it in COMMANDS (tidings/cli/app.py)"


# What `tidings log` needs none of: the adapters and their HTTP client (an image's remote id is
# read from its post only when a post on the page has images), the migrations, templates, the
# text rules' URL patterns and the regex module, the draft file's models, the drafts' workflow
# (authoring, review, queueing) and the daemon's due-post queries.
NOT_FOR_LOG = {
    "alembic",
    "scheduler.platforms",
    "httpx",
    "jinja2",
    "babel",
    "PIL",
    "drafts.text_rules.platforms",
    "drafts.text_rules.urls",
    "regex",
    "drafts.draft_file",
    "drafts.authoring",
    "drafts.review",
    "drafts.queueing",
    "scheduler.due",
}


@pytest.mark.parametrize(
    ("command", "answer", "not_needed"),
    [("queue", "Nothing is queued.", NOT_FOR_QUEUE), ("log", "No attempts yet.", NOT_FOR_LOG)],
)
def test_a_list_on_an_empty_database_imports_no_migrations_adapters_or_templates(
    tmp_path: Path, sqlite_template: Path, command: str, answer: str, not_needed: set[str]
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "tidings.db")
    config = tmp_path / "config.toml"
    config.write_text(TEST_CONFIG.replace("unused.db", str(tmp_path / "tidings.db")), "utf-8")
    printed, heavy = imported_by("--config", str(config), command)
    assert printed == f"{answer}\n"
    assert not not_needed & set(heavy)


@pytest.mark.parametrize(
    ("command", "shown"),
    [(("log",), "attempt 1: retry"), (("--json", "queue"), '"media": []')],
    ids=["log", "queue --json"],
)
def test_a_page_of_posts_that_send_no_images_imports_no_adapters(
    tmp_path: Path,
    sqlite_template: Path,
    config: Config,
    library: TemplateLibrary,
    command: tuple[str, ...],
    shown: str,
) -> None:
    database = sqlite_database(sqlite_template, tmp_path)
    posts = add_posts(database, config, library, add_author(database), "Riverside park reopens")
    post_id = posts["linkedin", "en"]
    with database.writing() as session:
        tried = Attempt(post_id=post_id, number=1, worker="w", started_at=utcnow(), outcome="retry")
        session.add(tried)
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.due_at = PostStatus.RETRYING, utcnow()
    database.dispose()
    path = tmp_path / "config.toml"
    path.write_text(TEST_CONFIG.replace("unused.db", str(tmp_path / "tidings.db")), "utf-8")
    printed, heavy = imported_by("--config", str(path), *command)
    assert shown in printed
    assert not {"scheduler.platforms", "httpx"} & set(heavy)


def test_the_schema_check_knows_alembic_s_head_and_the_recorded_revision(
    database: Database, tmp_path: Path
) -> None:
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(alembic).get_current_head()
    assert head_revision() == head == database.current_revision()
    database.check_schema()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(ConfigError, match=r"has an older schema \(0001\): run `tidings init`"):
        database.check_schema()
    (tmp_path / "empty.db").touch()
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ConfigError, match="is empty: run `tidings init`"):
        empty.check_schema()
    empty.dispose()
    missing = Database(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(ConfigError, match=r"missing\.db does not exist: run `tidings init`"):
        missing.check_schema()
    missing.dispose()
    assert not (tmp_path / "missing.db").exists()  # said, not made
