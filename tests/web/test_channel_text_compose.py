"""The compose page's "write a different text for this channel" (issue 17, point 11): a channel's
own text per language, folded under the language's text (or under a template's fields), previewed
and counted as that channel's post, saved as the draft file's ``[channel_text.<channel id>]``
and shown again on the edit page; editing it alone sends an approved draft back to review."""

from __future__ import annotations

import tomllib

import httpx
import pytest

from drafts.authoring import draft_posts, get_draft, list_drafts
from drafts.config import Config
from drafts.lifecycle import DraftStatus
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    elements,
    form_fields,
    one,
    post_form,
    set_language,
    text,
    texts,
)
from tests.web.test_compose import HIRING

pytestmark = pytest.mark.anyio

LONG = (
    "The riverside park is open again after eighteen months of work. The city planted four "
    "hundred trees along the water, rebuilt the footbridge to the north bank and added a "
    "playground designed with the children of the two schools nearby. Guided walks start on "
    "Saturday at ten; the programme and a map are on our website."
)
SHORT = "The riverside park is open again. Guided walks on Saturday at ten."
PARK = {
    "kind": "update",
    "title": "Riverside park reopens",
    "channel": ["linkedin", "x-en"],
    "text:en": LONG,
    "text:ko": "강변 공원이 다시 문을 열었습니다.",
}


def cards(html: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """Each post card's text and counts, by (channel, language)."""
    return {
        (text(one(card, ".post-channel")), str(one(card, ".post-text")["lang"])): (
            text(one(card, ".post-text")),
            [text(count) for count in elements(card, ".counts li")],
        )
        for card in elements(html, "article.post")
    }


def offered(html: str) -> dict[str, str]:
    """The channel texts the form offers, by name, with their summaries."""
    return {
        str(one(folded, "textarea")["name"]): text(one(folded, "summary"))
        for folded in elements(html, "details.channel-text")
    }


@SQLITE_ONLY
async def test_a_channel_text_is_offered_where_two_chosen_channels_share_a_language(
    as_mina: httpx.AsyncClient,
) -> None:
    shown = await post_form(as_mina, "/compose", "refresh", PARK)
    assert shown.status_code == 200
    # English goes to LinkedIn and X; Korean to LinkedIn alone, whose text is the draft's.
    assert offered(shown.text) == {
        "channel_text:linkedin:en": "Write a different English text for linkedin",
        "channel_text:x-en:en": "Write a different English text for x-en",
    }
    assert all(not folded.has_attr("open") for folded in elements(shown.text, "details"))

    hiring = await post_form(as_mina, "/compose", "refresh", HIRING)
    assert set(offered(hiring.text)) == {"channel_text:linkedin:en", "channel_text:x-en:en"}


@SQLITE_ONLY
async def test_the_x_text_is_previewed_counted_saved_and_shown_again(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    long_only = await post_form(as_mina, "/compose", "preview", PARK)
    assert any("over X's limit" in problem for problem in texts(long_only.text, "p.problem"))

    typed = {**PARK, "channel_text:x-en:en": SHORT, "channel_text:linkedin:en": ""}
    preview = await post_form(as_mina, "/compose", "preview", typed)
    assert preview.status_code == 200, preview.text
    posts = cards(preview.text)
    assert posts["x-en", "en"] == (SHORT, [f"{len(SHORT)} / 280 weighted characters"])
    assert posts["linkedin", "en"][0] == LONG
    assert texts(preview.text, "p.problem") == []

    saved = await post_form(as_mina, "/compose", "save", typed)
    assert saved.status_code == 303, saved.text
    with database.reading() as session:
        [draft] = list_drafts(session)
        assert draft.id is not None
        stored = {(p.channel, p.language): p.text for p in draft_posts(session, draft.id)}
    assert stored["x-en", "en"] == SHORT
    assert stored["linkedin", "en"] == LONG
    # An empty channel text is no text: LinkedIn sends the draft's.
    assert tomllib.loads(draft.source)["channel_text"] == {"x-en": {"en": SHORT}}

    edit = await as_mina.get(f"/drafts/{draft.id}/edit")
    assert form_fields(edit.text, f"/drafts/{draft.id}/edit")["channel_text:x-en:en"] == SHORT
    unfolded = elements(edit.text, "details.channel-text[open] textarea")
    assert [box["name"] for box in unfolded] == ["channel_text:x-en:en"]  # written: shown


@SQLITE_ONLY
async def test_a_template_draft_sends_the_x_text_instead_of_the_templates(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    own = "We're hiring a Communications Officer in Seoul."
    saved = await post_form(as_mina, "/compose", "save", {**HIRING, "channel_text:x-en:en": own})
    assert saved.status_code == 303, saved.text
    with database.reading() as session:
        [draft] = list_drafts(session)
        assert draft.id is not None
        stored = {(p.channel, p.language): p.text for p in draft_posts(session, draft.id)}
    assert stored["x-en", "en"] == own
    assert "Communications Officer" in stored["linkedin", "en"] != own


@SQLITE_ONLY
async def test_a_channel_no_longer_chosen_keeps_its_text_on_the_page_but_sends_nothing(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {**PARK, "channel": ["linkedin", "mastodon"], "channel_text:x-en:en": SHORT}
    page = await post_form(as_mina, "/compose", "refresh", typed)
    kept = one(page.text, 'input[type="hidden"][name="channel_text:x-en:en"]')
    assert kept["value"] == SHORT  # choosing X back shows it again
    saved = await post_form(as_mina, "/compose", "save", typed)
    assert saved.status_code == 303, saved.text
    with database.reading() as session:
        [draft] = list_drafts(session)
    assert "channel_text" not in tomllib.loads(draft.source)


@SQLITE_ONLY
async def test_editing_only_the_x_text_sends_an_approved_draft_back_to_review(
    as_mina: httpx.AsyncClient, database: Database, config: Config
) -> None:
    typed = {**PARK, "channel_text:x-en:en": SHORT}
    submitted = await post_form(as_mina, "/compose", "submit", typed)
    draft_id = int(submitted.headers["location"].split("/")[2])
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
        approved_hash = get_draft(session, draft_id).content_hash

    edited = {**typed, "channel_text:x-en:en": SHORT.replace("at ten", "at eleven")}
    again = await post_form(as_mina, f"/drafts/{draft_id}/edit", "save", edited)
    assert again.status_code == 303, again.text
    with database.reading() as session:
        draft = get_draft(session, draft_id)
        x_post = next(p for p in draft_posts(session, draft_id) if p.channel == "x-en")
    assert draft.status == DraftStatus.IN_REVIEW
    assert draft.content_hash != approved_hash
    assert x_post.text.endswith("at eleven.")


@SQLITE_ONLY
async def test_the_korean_page_offers_a_channel_text_in_korean(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    set_language(database, "mina", "ko")
    shown = await post_form(as_mina, "/compose", "refresh", PARK)
    assert offered(shown.text)["channel_text:x-en:en"] == "x-en 채널에 보낼 영어 본문 따로 쓰기"
    hint = one(shown.text, "#channel-text-hint-x-en-en")
    assert (
        text(hint)
        == "x-en 채널에는 초안 본문 대신 이 본문을 보냅니다. 비워 두면 초안 본문을 보냅니다."
    )


def own_text_labels(html: str) -> dict[tuple[str, str], str]:
    """The "own text" label of each post card that has one, by (channel, language)."""
    return {
        (text(one(card, ".post-channel")), str(one(card, ".post-text")["lang"])): text(label)
        for card in elements(html, "article.post")
        for label in elements(card, ".own-text-label")
    }


@SQLITE_ONLY
async def test_a_card_says_its_text_is_the_channels_own(
    as_mina: httpx.AsyncClient, database: Database
) -> None:
    typed = {**PARK, "channel_text:x-en:en": SHORT}
    preview = await post_form(as_mina, "/compose", "preview", typed)
    assert own_text_labels(preview.text) == {("x-en", "en"): "own text"}

    saved = await post_form(as_mina, "/compose", "save", typed)
    edit = saved.headers["location"]
    assert own_text_labels((await as_mina.get(edit)).text) == {("x-en", "en"): "own text"}
    draft_page = edit.removesuffix("/edit")
    assert own_text_labels((await as_mina.get(draft_page)).text) == {("x-en", "en"): "own text"}

    set_language(database, "mina", "ko")
    [label] = own_text_labels((await as_mina.get(draft_page)).text).values()
    assert label == "채널 전용 글"
