"""A channel's own text per language (issue 17, point 11): ``[channel_text.<channel id>]`` in a
draft file replaces the draft's text, or its template's, for that channel's post in that
language. It is counted by that channel's platform, and the content hash reviewers approve
covers it, so an approval never covers a channel text edited since."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlmodel import select

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError, ReviewError
from drafts.lifecycle import DraftStatus
from drafts.models import User, Variant
from drafts.rendering import TemplateLibrary
from drafts.review import StaleReview, approve, submit
from drafts.storage import MIGRATIONS, Database, head_revision
from drafts.users import Role, add_user
from tests.integration.command_line import fails, run, snapshot, use_folder

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)

# Too long for X (280), well within LinkedIn's 3,000.
LONG_EN = (
    "🌳 The riverside park is open again after eighteen months of work. The city planted "
    "four hundred trees along the water, rebuilt the footbridge to the north bank, and "
    "added a playground designed with the children of the two schools nearby. Guided walks "
    "start on Saturday at ten; the full programme and a map are on our website. "
    "https://example.org/riverside-park #Parks #Seoul"
)
SHORT_EN = "🌳 The riverside park is open again: https://example.org/riverside-park #Parks"
KO = "🌳 강변 공원이 18개월의 공사를 마치고 다시 문을 열었습니다. #공원"


def park(x_text: str | None = SHORT_EN, extra: str = "") -> str:
    """The park draft on LinkedIn and X, X with its own English text when ``x_text`` is given."""
    lines = [
        'kind = "update"',
        'title = "Riverside park reopens"',
        'channels = ["linkedin", "x-en"]',
        "[text]",
        f"en = {json.dumps(LONG_EN, ensure_ascii=False)}",
        f"ko = {json.dumps(KO, ensure_ascii=False)}",
    ]
    if x_text is not None:
        lines += ["[channel_text.x-en]", f"en = {json.dumps(x_text, ensure_ascii=False)}"]
    return "\n".join(lines) + "\n" + extra


HIRING = """
kind = "hiring"
title = "Programme officer, Seoul"
template = "hiring"
channels = ["linkedin", "x-en"]
languages = ["ko", "en"]

[fields]
position = { en = "Programme Officer", ko = "프로그램 오피서" }
organisation = "Tidings Test Network"
location = { en = "Seoul, Republic of Korea", ko = "대한민국 서울" }
deadline = 2026-12-18
link = "https://example.org/jobs/programme-officer"

[channel_text.x-en]
en = "We're hiring a Programme Officer in Seoul: https://example.org/jobs/programme-officer"
"""


def read(config: Config, source: str) -> DraftContent:
    return read_draft_file(source, "park.toml", config, NOW)


@pytest.fixture
def people(database: Database) -> dict[str, User]:
    with database.writing() as session:
        return {
            name: add_user(session, name=name, role=role, password_hash=None, actor=None)
            for name, role in [("mina", Role.AUTHOR), ("joon", Role.REVIEWER)]
        }


def add(
    database: Database, config: Config, library: TemplateLibrary, author: User, source: str
) -> int:
    with database.writing() as session:
        draft = add_draft(
            session, content=read(config, source), author=author, config=config, library=library
        )
        assert draft.id is not None
        return draft.id


def texts(database: Database, draft_id: int) -> dict[tuple[str, str], str]:
    with database.reading() as session:
        return {(p.channel, p.language): p.text for p in draft_posts(session, draft_id)}


def refusal(database: Database, config: Config, draft_id: int, author: User) -> str:
    """Why submitting the draft is refused."""
    with pytest.raises(ReviewError) as error, database.writing() as session:
        submit(session, draft_id=draft_id, actor=author, config=config)
    return str(error.value)


def test_the_x_post_sends_its_own_text_and_linkedin_keeps_the_long_one(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"], park())
    assert texts(database, draft_id) == {
        ("linkedin", "en"): LONG_EN,
        ("linkedin", "ko"): KO,
        ("x-en", "en"): SHORT_EN,
    }
    with database.reading() as session:
        stored = {
            v.language: v.channel_texts
            for v in session.exec(select(Variant).where(Variant.draft_id == draft_id))
        }
    assert stored == {"en": {"x-en": SHORT_EN}, "ko": {}}


def test_a_channel_text_is_counted_by_its_own_platform(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    mina = people["mina"]
    long_only = add(database, config, library, mina, park(x_text=None))
    refused = refusal(database, config, long_only, mina)
    assert re.search(
        r"cannot be submitted: x-en \(en\): 3\d\d weighted characters, over X's limit of 280",
        refused,
    )
    assert "linkedin" not in refused

    draft_id = add(database, config, library, mina, park())
    with database.reading() as session:
        lengths = {(p.channel, p.length, p.length_limit) for p in draft_posts(session, draft_id)}
    # 77 characters as written; X counts its 34-character link as 23 and the emoji as two.
    assert ("x-en", 67, 280) in lengths
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=mina, config=config)

    too_long = add(database, config, library, mina, park(x_text="Open again! " * 25))
    refused = refusal(database, config, too_long, mina)
    assert refused.endswith("x-en (en): 299 weighted characters, over X's limit of 280 by 19")
    assert "linkedin" not in refused


def test_a_channel_text_replaces_a_templates_text(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    draft_id = add(database, config, library, people["mina"], HIRING)
    posts = texts(database, draft_id)
    assert posts[("x-en", "en")] == (
        "We're hiring a Programme Officer in Seoul: https://example.org/jobs/programme-officer"
    )
    assert "December 18, 2026" in posts[("linkedin", "en")]  # rendered by the template
    assert "2026년 12월 18일" in posts[("linkedin", "ko")]


def test_editing_only_a_channel_text_sends_an_approved_draft_back_to_review(
    database: Database, config: Config, library: TemplateLibrary, people: dict[str, User]
) -> None:
    mina, joon = people["mina"], people["joon"]
    draft_id = add(database, config, library, mina, park())
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=mina, config=config)
        approved = approve(
            session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW
        )
        seen = approved.draft.content_hash
    assert approved.draft.status == DraftStatus.APPROVED

    edited = SHORT_EN.replace("open again", "open again, with a new footbridge")
    with database.writing() as session:
        outcome = edit_draft(
            session,
            draft_id=draft_id,
            content=read(config, park(x_text=edited)),
            editor=mina,
            config=config,
            library=library,
        )
    assert outcome.changed and outcome.back_to_review
    with database.reading() as session:
        draft = get_draft(session, draft_id)
    assert draft.status == DraftStatus.IN_REVIEW
    assert draft.content_hash != seen
    assert texts(database, draft_id)[("x-en", "en")] == edited
    assert texts(database, draft_id)[("linkedin", "en")] == LONG_EN

    with pytest.raises(StaleReview), database.writing() as session:
        approve(
            session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW, seen=seen
        )


BAD_CHANNEL_TEXTS = [
    (
        '[channel_text.mastodon]\nen = "Open again"\n',
        "park.toml: channel_text.mastodon: mastodon is not one of the draft's channels "
        "(linkedin, x-en)",
    ),
    (
        '[channel_text.x-en]\nko = "다시 열었습니다"\n',
        "park.toml: channel_text.x-en.ko: x-en does not publish in ko",
    ),
    (
        '[channel_text.linkedin]\nfr = "Rouvert"\n',
        "park.toml: channel_text.linkedin.fr: fr is not one of the draft's languages (en, ko)",
    ),
    (
        '[channel_text.linkedin]\nen = "  "\n',
        "park.toml: channel_text.linkedin.en: is empty (leave it out and linkedin sends the en "
        "text)",
    ),
    (
        "[channel_text.linkedin]\n",
        'park.toml: channel_text.linkedin: gives no text (like en = "...")',
    ),
    (
        "[channel_text.linkedin]\nen = 3\n",
        "park.toml: channel_text.linkedin.en: Input should be a valid string",
    ),
    (
        f'[channel_text.linkedin]\nen = "{"a" * 50_001}"\n',
        "park.toml: channel_text.linkedin.en: 50,001 characters; a text or field may hold at "
        "most 50,000",
    ),
]


@pytest.mark.parametrize(
    ("table", "expected"),
    BAD_CHANNEL_TEXTS,
    ids=["other-channel", "not-the-channels", "not-the-drafts", "empty", "none", "number", "long"],
)
def test_a_channel_text_no_post_would_send_is_one_clear_line_and_nothing_is_stored(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    expected: str,
) -> None:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    (tmp_path / "park.toml").write_text(park(x_text=None), encoding="utf-8")
    run(["draft", "add", "park.toml", "--as", "mina"])
    before = snapshot(tmp_path)

    (tmp_path / "park.toml").write_text(park(x_text=None, extra=table), encoding="utf-8")
    assert fails(["draft", "add", "park.toml", "--as", "mina"], capsys) == f"error: {expected}"
    assert (
        fails(["draft", "edit", "1", "park.toml", "--as", "mina"], capsys) == f"error: {expected}"
    )
    assert snapshot(tmp_path) == before


def test_draft_show_shows_each_channels_text_and_what_changed_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_folder(tmp_path, monkeypatch)
    run(["init"])
    run(["user", "add", "mina", "--role", "author"])
    run(["user", "add", "joon", "--role", "reviewer"])
    (tmp_path / "park.toml").write_text(park(), encoding="utf-8")
    run(["draft", "add", "park.toml", "--as", "mina"])
    capsys.readouterr()
    run(["draft", "show", "1", "--json"])
    posts = json.loads(capsys.readouterr().out)["posts"]
    assert {(p["channel"], p["language"]): p["text"] for p in posts} == {
        ("linkedin", "en"): LONG_EN,
        ("linkedin", "ko"): KO,
        ("x-en", "en"): SHORT_EN,
    }

    run(["submit", "1", "--as", "mina"])
    run(["approve", "1", "--as", "joon"])
    edited = park(x_text=SHORT_EN.replace("open again", "open once more"))
    (tmp_path / "park.toml").write_text(edited, encoding="utf-8")
    run(["draft", "edit", "1", "park.toml", "--as", "mina"])
    capsys.readouterr()
    run(["draft", "show", "1"])
    shown = capsys.readouterr().out
    assert "status: in_review" in shown
    assert "open once more" in shown  # the X post as it will be sent
    assert "The riverside park is open again after eighteen months" in shown  # LinkedIn's
    changes = shown[shown.index("Changed since joon approved it") :]
    assert "x-en" in changes and "linkedin" not in changes  # only the X post changed
    assert "once more" in changes


def test_variants_stored_before_channel_texts_have_none(database: Database) -> None:
    """Migration 0011 adds ``variant.channel_texts``: a variant stored at 0010 has none."""
    with database.engine.begin() as connection:
        migrations = AlembicConfig()
        migrations.set_main_option("script_location", str(MIGRATIONS))
        migrations.attributes["connection"] = connection
        command.downgrade(migrations, "0010")
        connection.execute(
            text(
                'INSERT INTO "user" (id, name, role, created_at) '
                "VALUES (1, 'mina', 'author', :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO draft (id, kind, title, channels, languages, publish_next_slot, "
                "status, author_id, content_hash, review_round, source, created_at, updated_at) "
                "VALUES (1, 'update', 'Park', '[\"x-en\"]', '[\"en\"]', false, 'draft', 1, "
                "'0', 0, '', :now, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO variant (id, draft_id, language, text, fields) "
                "VALUES (1, 1, 'en', 'Open again', '{}')"
            )
        )
    assert database.migrate() == head_revision()  # 0011 and every later migration
    with database.reading() as session:
        variant = session.get(Variant, 1)
    assert variant is not None and variant.channel_texts == {}


def test_a_channel_text_for_a_draft_the_file_cannot_read_adds_its_own_problem(
    config: Config,
) -> None:
    """Problems in a channel text are listed beside the file's others, not instead of them."""
    source = park(x_text=None, extra='[channel_text.x-en]\nko = "다시"\n').replace(
        'kind = "update"', 'kind = "tweetstorm"'
    )
    with pytest.raises(DraftError) as error:
        read(config, source)
    assert str(error.value).startswith("park.toml: 2 problems: kind: 'tweetstorm' is not a kind")
    assert str(error.value).endswith("channel_text.x-en.ko: x-en does not publish in ko")
