"""Review decisions from the draft page, checked by the service layer, shown as pages."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from bs4 import Tag

from drafts.authoring import get_draft
from drafts.lifecycle import DraftStatus
from drafts.storage import Database
from drafts.times import utcnow
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    csrf_token,
    elements,
    form_fields,
    has_form,
    parse,
    text,
    texts,
)

pytestmark = pytest.mark.anyio


def pieces(diff: Tag) -> list[tuple[str | None, str]]:
    """A diff's pieces in order: ``ins``, ``del`` or None (unchanged), each with its text."""
    return [(child.name, child.get_text()) for child in diff.children]


async def test_an_author_cannot_approve(as_mina: httpx.AsyncClient, drafts: Drafts) -> None:
    draft_id = drafts.add()
    page = await as_mina.get(f"/drafts/{draft_id}")
    assert not has_form(page.text, f"/drafts/{draft_id}/approve")
    response = await as_mina.post(
        f"/drafts/{draft_id}/approve", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 403
    assert "mina is an author and may not review drafts" in response.text
    assert "Traceback" not in response.text
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW


async def test_a_reviewer_approves_from_the_draft_page(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    form = form_fields(page.text, f"/drafts/{draft_id}/approve")
    response = await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form | {"comment": "Lovely, thank you"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/drafts/{draft_id}"
    assert drafts.status(draft_id) == DraftStatus.APPROVED
    after = await as_joon.get(f"/drafts/{draft_id}")
    assert f"Draft {draft_id} approved." in after.text
    assert "joon approved it" in after.text
    assert "Lovely, thank you" in after.text
    assert not has_form(after.text, f"/drafts/{draft_id}/approve")  # nothing left to approve


@SQLITE_ONLY
async def test_approving_twice_is_refused_with_the_reason(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    form = form_fields(
        (await as_joon.get(f"/drafts/{draft_id}")).text, f"/drafts/{draft_id}/approve"
    )
    await as_joon.post(f"/drafts/{draft_id}/approve", data=form)
    again = await as_joon.post(f"/drafts/{draft_id}/approve", data=form)
    assert again.status_code == 403
    assert "approve needs a draft that is in_review" in again.text


async def test_requesting_changes_needs_a_comment(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    empty = await as_joon.post(
        f"/drafts/{draft_id}/request-changes", data={"csrf_token": token, "comment": "  "}
    )
    assert empty.status_code == 400
    assert "comment: say what should change" in empty.text
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    sent = await as_joon.post(
        f"/drafts/{draft_id}/request-changes",
        data={"csrf_token": token, "comment": "Name the park <b>please</b>"},
    )
    assert sent.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.CHANGES_REQUESTED
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert "Name the park <b>please</b>" in text(parse(page.text))  # as text, not markup


@SQLITE_ONLY
async def test_an_unknown_draft_is_a_friendly_404(as_joon: httpx.AsyncClient) -> None:
    token = csrf_token((await as_joon.get("/")).text)
    page = await as_joon.get("/drafts/424242")
    assert page.status_code == 404
    assert "no draft 424242" in page.text
    action = await as_joon.post("/drafts/424242/approve", data={"csrf_token": token})
    assert action.status_code == 404
    assert (await as_joon.get("/drafts/abc")).status_code == 404


async def test_the_final_approval_schedules_a_draft_that_asks_for_the_next_slot(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": "Join us in the park"}, publish_at="next-slot")
    form = form_fields(
        (await as_joon.get(f"/drafts/{draft_id}")).text, f"/drafts/{draft_id}/approve"
    )
    response = await as_joon.post(f"/drafts/{draft_id}/approve", data=form)
    assert response.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert f"Draft {draft_id} approved and scheduled from " in page.text
    assert texts(page.text, "span.status.status-scheduled").count("scheduled") == 3
    assert "(Europe/London)" in page.text  # x-en's own timezone, beside the viewer's


@SQLITE_ONLY
async def test_an_approval_that_cannot_be_scheduled_changes_nothing(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"ko": "공원에서 만나요"}, publish_at="next-slot")  # x-ko has no slots
    form = form_fields(
        (await as_joon.get(f"/drafts/{draft_id}")).text, f"/drafts/{draft_id}/approve"
    )
    response = await as_joon.post(f"/drafts/{draft_id}/approve", data=form | {"comment": "좋아요"})
    assert response.status_code == 400
    assert "channel x-ko has no slots" in response.text
    kept = form_fields(response.text, f"/drafts/{draft_id}/approve")
    assert kept["comment"] == "좋아요"  # the comment is kept for another try
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW


async def test_after_an_edit_the_page_shows_what_changed_since_the_approval(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": "The park opens on Monday.", "ko": "공원은 월요일에 문을 엽니다."})
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert "Changed since" not in page.text  # nobody has decided yet
    await as_joon.post(
        f"/drafts/{draft_id}/approve", data=form_fields(page.text, f"/drafts/{draft_id}/approve")
    )
    assert "Changed since" not in (await as_joon.get(f"/drafts/{draft_id}")).text

    drafts.edit(
        draft_id, {"en": "The park opens on <b>Tuesday</b>.", "ko": "공원은 월요일에 문을 엽니다."}
    )
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    after = (await as_joon.get(f"/drafts/{draft_id}")).text
    changes = parse(after).find("section", attrs={"aria-labelledby": "changes-heading"})
    assert isinstance(changes, Tag)
    assert "Changed since joon approved it" in changes.h2.get_text()
    diffs = changes.find_all("p", class_="diff")
    assert [diff["lang"] for diff in diffs] == ["en"]  # LinkedIn's and X's; Korean as approved
    assert pieces(diffs[0]) == [
        (None, "The park opens on "),
        ("del", "Monday"),
        ("ins", "<b>Tuesday</b>"),
        (None, "."),
    ]
    assert len(changes.find_all(class_="change-changed")) == 1  # one change, said once


@SQLITE_ONLY
async def test_changes_are_shown_since_a_request_for_changes_when_none_approved(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": "Doors open at nine."})
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    await as_joon.post(
        f"/drafts/{draft_id}/request-changes", data={"csrf_token": token, "comment": "Say where."}
    )
    drafts.edit(draft_id, {"en": "Doors open at nine at the east gate."})
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert "Changed since joon asked for changes" in page
    diffs = [pieces(diff) for diff in elements(page, "p.diff")]
    assert [(None, "Doors open at nine"), ("ins", " at the east gate"), (None, ".")] in diffs


@SQLITE_ONLY
async def test_an_approval_after_the_publish_time_says_to_schedule_it_anew(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    draft_id = drafts.add({"en": "The fair opens at noon."}, publish_at=later)
    with database.writing() as session:  # the review took longer than planned
        get_draft(session, draft_id).publish_at = utcnow() - timedelta(hours=1)
    form = form_fields(
        (await as_joon.get(f"/drafts/{draft_id}")).text, f"/drafts/{draft_id}/approve"
    )
    await as_joon.post(f"/drafts/{draft_id}/approve", data=form)
    page = (await as_joon.get(f"/drafts/{draft_id}")).text
    assert (
        f"Draft {draft_id} approved; its publish time has passed: schedule it on this page."
    ) in page
    assert has_form(page, f"/drafts/{draft_id}/schedule")
    assert drafts.status(draft_id) == DraftStatus.APPROVED


async def test_an_approval_from_a_page_opened_before_an_edit_is_refused_with_the_diff(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": "Donations help the park: see the notice board."})
    opened = await as_joon.get(f"/drafts/{draft_id}")
    form = form_fields(opened.text, f"/drafts/{draft_id}/approve")
    drafts.edit(draft_id, {"en": "Donations help the park: WIRE MONEY to https://evil.example/pay"})

    refused = await as_joon.post(f"/drafts/{draft_id}/approve", data=form | {"comment": "ok"})
    assert refused.status_code == 409
    assert f"draft {draft_id} changed since you opened it" in refused.text
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    section = parse(refused.text).find("section", attrs={"aria-labelledby": "since-opened-heading"})
    assert isinstance(section, Tag), "no 'changed since you opened this page' section"
    removed = " ".join(node.get_text() for node in section.find_all("del"))
    added = " ".join(node.get_text() for node in section.find_all("ins"))
    assert ("notice board" in removed, "WIRE MONEY" in added, "evil" in added) == (
        True,
        True,
        True,
    )
    # The page now shows, and binds its form to, the content as it stands: approving it works.
    again = form_fields(refused.text, f"/drafts/{draft_id}/approve")
    assert again["seen"] != form["seen"]
    assert again["comment"] == "ok"
    approved = await as_joon.post(f"/drafts/{draft_id}/approve", data=again)
    assert approved.status_code == 303
    assert drafts.status(draft_id) == DraftStatus.APPROVED


@SQLITE_ONLY
async def test_an_approval_that_does_not_say_what_it_saw_is_refused(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    token = csrf_token((await as_joon.get(f"/drafts/{draft_id}")).text)
    answer = await as_joon.post(f"/drafts/{draft_id}/approve", data={"csrf_token": token})
    assert answer.status_code == 403
    assert "is not a content hash" in answer.text
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
