"""Compose in any order (issue 17, point 4): what is written (a kind, from a template or free),
the title, the channels and the fields are chosen in whatever order an author likes, with or
without the page's script; the kind and the template are one choice; fields show their labels
and languages their names, in the viewer's language.

Without a script, the form's "Show what to fill in" button shows a template's fields; it needs
no title first (``formnovalidate``: the browser's own check of the required title would stop
it). With the script, ``/compose/content`` answers the content and images sections for the
form as it stands (``tests/browser/test_compose_order.py`` drives that in Chromium).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import tomli_w

from drafts.authoring import add_draft, get_draft, list_drafts
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    csrf_token,
    elements,
    form_fields,
    one,
    parse,
    post_form,
    set_language,
    text,
    texts,
)

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

DEADLINE = (utcnow() + timedelta(days=30)).date().isoformat()
HIRING_FIELDS = {
    "field:position": "Communications Officer",
    "field:location": "Seoul, Republic of Korea",
    "field:deadline": DEADLINE,
    "field:link": "https://example.org/jobs/communications-officer",
}


CHANNEL = {"channel": ["linkedin"]}  # the boxes a browser sends, ticked


def labels(html: str, selector: str) -> list[str]:
    """The words of each label holding an input matching ``selector`` (its own text, without
    the input's)."""
    found = []
    for field in elements(html, selector):
        label = field.find_parent("label")
        assert label is not None, f"{selector} has no label"
        found.append(" ".join(str(part).strip() for part in label.find_all(string=True)).strip())
    return found


def field_label(html: str, name: str) -> str:
    """The words an author reads for the field ``name`` (its label, without required/optional)."""
    label = one(html, f'[name="field:{name}"]').find_parent("label")
    assert label is not None
    return str(label.find(string=True)).strip()


def chosen_kind(html: str) -> str:
    """The text of the option the kind list has selected."""
    return text(one(html, 'select[name="kind"] option[selected]'))


async def shown_fields(browser: httpx.AsyncClient, typed: dict[str, Any]) -> httpx.Response:
    """The form as the author has it, with "Show what to fill in" pressed (no script)."""
    return await post_form(browser, "/compose", "refresh", typed)


async def test_a_template_chosen_before_the_title_shows_its_fields_by_their_labels(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    blank = (await as_mina.get("/compose")).text
    show = one(blank, 'button[name="action"][value="refresh"]')
    assert show.has_attr("formnovalidate")  # the browser asks for no title first
    assert one(blank, 'button[name="action"][value="preview"]').has_attr("formnovalidate")
    assert one(blank, 'input[name="title"]').has_attr("required")  # saving still needs one

    fields = await shown_fields(as_mina, {"kind": "hiring:hiring"})  # no title, no channel
    assert fields.status_code == 200
    assert field_label(fields.text, "position") == "Position"
    assert field_label(fields.text, "deadline") == "Deadline to apply"
    assert field_label(fields.text, "link") == "Link to the job"
    hint = one(fields.text, "#hint-position")
    assert text(hint) == 'the role\'s title, e.g. "Operations Officer"'
    assert one(fields.text, 'input[name="field:position"]')["aria-describedby"] == "hint-position"
    assert labels(fields.text, 'input[name="language"]') == ["English", "Korean"]
    assert labels(fields.text, 'input[name="field:position:ko"]') == ["Position (Korean)"]
    assert labels(fields.text, 'textarea[name="field:hashtags"]')[0].startswith("Hashtags")
    assert not any(label.startswith("position") for label in texts(fields.text, "label"))

    # The title and the channels come last; the draft is saved as chosen.
    typed = {
        **form_fields(fields.text, "/compose"),  # what the page shows, as a browser sends it
        **HIRING_FIELDS,
        "kind": "hiring:hiring",
        "title": "Communications officer",
        "channel": ["linkedin", "x-en"],
        "language": ["en", "ko"],
    }
    saved = await post_form(as_mina, "/compose", "save", typed)
    assert saved.status_code == 303, saved.text
    with database.reading() as session:
        [draft] = list_drafts(session)
    assert (draft.kind, draft.template, draft.languages) == ("hiring", "hiring", ["en", "ko"])


async def test_fields_and_languages_are_named_in_the_viewers_language(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    fields = await shown_fields(as_mina, {"kind": "hiring:hiring", "channel": ["linkedin"]})
    assert field_label(fields.text, "position") == "직책"
    assert field_label(fields.text, "deadline") == "지원 마감일"
    assert text(one(fields.text, "#hint-location")) == '근무하는 곳, 예: "대한민국 서울"'
    assert labels(fields.text, 'input[name="language"]') == ["영어", "한국어"]
    assert labels(fields.text, 'input[name="field:position:en"]') == ["직책 (영어)"]
    assert chosen_kind(fields.text) == "채용 (템플릿)"
    assert "linkedin LinkedIn · 영어, 한국어" in text(one(fields.text, "fieldset.channels"))


async def test_the_languages_follow_channels_chosen_after_the_template(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    fields = await shown_fields(as_mina, {"kind": "hiring:hiring"})
    assert [box["value"] for box in elements(fields.text, 'input[name="language"][checked]')] == [
        "en",
        "ko",
    ]  # no channel chosen yet: every language the template is written in
    typed = {
        **form_fields(fields.text, "/compose"),
        **HIRING_FIELDS,
        "kind": "hiring:hiring",
        "title": "Communications officer",
        "channel": ["x-en"],  # takes English only, chosen after the languages were shown
    }
    saved = await post_form(as_mina, "/compose", "save", typed)
    assert saved.status_code == 303, text(parse(saved.text))
    with database.reading() as session:
        [draft] = list_drafts(session)
    assert draft.languages == ["en"]


async def test_what_was_typed_stays_when_the_kind_changes_and_changes_back(
    as_mina: httpx.AsyncClient,
) -> None:
    free = {"kind": "update", "title": "Park", "channel": ["linkedin"], "text:en": "Open again"}
    hiring = await shown_fields(as_mina, {**free, "kind": "hiring:hiring"})
    assert elements(hiring.text, 'textarea[name="text:en"]') == []  # a template: no free text
    typed = {**form_fields(hiring.text, "/compose"), "field:position": "Gardener", **CHANNEL}
    assert typed["text:en"] == "Open again"  # carried, unseen

    event = await shown_fields(as_mina, {**typed, "kind": "event:event"})
    assert form_fields(event.text, "/compose")["field:position"] == "Gardener"  # carried
    back = await shown_fields(
        as_mina, {**form_fields(event.text, "/compose"), "kind": "update", **CHANNEL}
    )
    assert text(one(back.text, 'textarea[name="text:en"]')) == "Open again"
    again = await shown_fields(
        as_mina, {**form_fields(back.text, "/compose"), "kind": "hiring:hiring", **CHANNEL}
    )
    assert one(again.text, 'input[name="field:position"]')["value"] == "Gardener"


async def test_kind_and_template_are_one_choice(
    as_mina: httpx.AsyncClient,
    database: Database,
    config: Config,
    library: TemplateLibrary,
) -> None:
    blank = (await as_mina.get("/compose")).text
    assert elements(blank, 'select[name="template"]') == []
    chosen_by = [select.get("name") for select in elements(blank, "select")]
    assert chosen_by.count("kind") == 1  # beside it only the Repeat control's choice
    assert set(chosen_by) <= {"kind", "repeat_every"}, chosen_by
    assert texts(blank, 'select[name="kind"] optgroup:first-child option') == [
        "Update (template)",
        "Hiring (template)",
        "Event (template)",
    ]
    assert texts(blank, 'select[name="kind"] optgroup:last-child option') == [
        "Update (free text)",
        "Hiring (free text)",
        "Event (free text)",
        "Post (free text)",
    ]
    assert chosen_kind(blank) == "Update (free text)"
    asked = (await as_mina.get("/compose?kind=event:event")).text
    assert chosen_kind(asked) == "Event (template)"
    assert field_label(asked, "venue") == "Venue"

    typed = {"kind": "event", "title": "Forum", "channel": ["linkedin"], "text:en": "Come!"}
    saved = await post_form(as_mina, "/compose", "save", typed)
    draft_id = int(saved.headers["location"].split("/")[2])
    with database.reading() as session:
        draft = get_draft(session, draft_id)
        assert (draft.kind, draft.template) == ("event", None)

    # A draft file may pair a kind with another kind's template: its edit page says so.
    source = {
        "kind": "update",
        "title": "Hiring news",
        "template": "hiring",
        "channels": ["x-en"],
        "languages": ["en"],
        "fields": {
            **{key.removeprefix("field:"): value for key, value in HIRING_FIELDS.items()},
            "deadline": date.fromisoformat(DEADLINE),
        },
    }
    content = read_draft_file(tomli_w.dumps(source), "cli.toml", config, utcnow())
    with database.writing() as session:
        mina = find_user(session, "mina")
        added = add_draft(session, content=content, author=mina, config=config, library=library)
    edit = (await as_mina.get(f"/drafts/{added.id}/edit")).text
    assert chosen_kind(edit) == "Update (hiring template)"
    assert form_fields(edit, f"/drafts/{added.id}/edit")["field:position"] == (
        "Communications Officer"
    )


async def test_the_page_script_gets_the_sections_for_the_form_as_it_stands(
    as_mina: httpx.AsyncClient,
) -> None:
    token = csrf_token((await as_mina.get("/compose")).text)
    typed = {"csrf_token": token, "kind": "hiring:hiring", "channel": ["x-en"]}
    answer = await as_mina.post("/compose/content", data=typed)
    assert answer.status_code == 200
    assert elements(answer.text, "html, head, body, form") == []  # the sections alone
    content = one(answer.text, "fieldset#compose-content")
    assert one(content, 'input[name="template_shown"]')["value"] == "hiring"
    assert one(content, 'input[name="channels_shown"]')["value"] == "x-en"
    assert labels(str(content), 'input[name="language"]') == ["English"]
    assert field_label(answer.text, "position") == "Position"
    assert elements(answer.text, "fieldset#compose-images")
