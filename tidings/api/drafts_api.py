"""``/api/v1/drafts``: create a draft from the draft-file fields as JSON, read, edit, submit,
approve, request changes, schedule and cancel it, each through the functions the command line
uses, each answering the draft as ``tidings draft show --json`` prints it."""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from shutil import copyfileobj
from tempfile import TemporaryDirectory
from typing import Annotated, Any

import tomli_w
from fastapi import APIRouter, Body, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from drafts import keyset
from drafts.api_tokens import Caller, Scope
from drafts.authoring import add_draft, draft_place, draft_posts, edit_draft, get_draft, list_drafts
from drafts.config import Config
from drafts.draft_file import DraftContent, DraftFile, read_draft_file
from drafts.errors import DraftError
from drafts.learned_limits import learned_limits
from drafts.media_files import read_media
from drafts.media_store import MAX_FILE_BYTES, CleanImage
from drafts.messages import problem
from drafts.models import Draft
from drafts.post_media import images_by_post
from drafts.queueing import ScheduleRequest, cancel_draft, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.users import Capability
from drafts.validation import one_line, problems
from tidings.api.auth import allow
from tidings.cli.views import draft_json

MAX_PAGE = 200


class DraftPage(BaseModel):
    drafts: list[dict[str, Any]]
    after: str | None = Field(description="Give it as ?after= for the next page; null on the last.")


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_hash: str = Field(
        min_length=16,
        max_length=64,
        pattern=r"^[0-9a-f]+$",
        description="The draft's content_hash as read: an approval covers what was read.",
    )
    comment: str = Field(default="", max_length=5000)


class ChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=5000)


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(default=None, description="ISO 8601 with its offset.")
    next_slot: bool = False


def without_nulls(value: Any, path: str) -> Any:
    """The draft-file fields as TOML can hold them: a key whose value is null is left out (as
    if not given); a null in a list is a DraftError naming where."""
    if isinstance(value, dict):
        return {
            key: without_nulls(item, f"{path}.{key}" if path else key)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        if any(item is None for item in value):
            raise DraftError(problem(path, "a list may not hold null"))
        return [without_nulls(item, f"{path}[{n}]") for n, item in enumerate(value)]
    return value


def kept_upload(upload: UploadFile, folder: Path) -> None:
    """``upload`` written into ``folder`` under its own name (without any folder part), read
    no further than an image may be long: a longer one is cut, and refused as too large."""
    name = Path(upload.filename or "").name
    if not name or name in {".", ".."}:
        raise DraftError(problem("images", "each file needs a name, as media[].file gives it"))
    with (folder / name).open("wb") as kept:
        copyfileobj(_Limited(upload, MAX_FILE_BYTES + 1), kept)


class _Limited:
    """A file read no further than ``limit`` bytes."""

    def __init__(self, upload: UploadFile, limit: int) -> None:
        self.upload, self.left = upload, limit

    def read(self, size: int = -1) -> bytes:
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.upload.file.read(wanted) if wanted > 0 else b""
        self.left -= len(data)
        return data


def router(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    calling: Callable[..., Caller],
    now: Callable[[], datetime],
) -> APIRouter:
    api = APIRouter(prefix="/drafts", tags=["drafts"])
    Who = Annotated[Caller, Depends(calling)]

    def shown(session: Session, draft: Draft) -> dict[str, Any]:
        posts = draft_posts(session, draft.id or 0)
        images = images_by_post(session, [post.id or 0 for post in posts])
        return draft_json(draft, posts, config, learned_limits(session), images)

    def content_of(fields: DraftFile) -> DraftContent:
        written = without_nulls(fields.model_dump(mode="python", exclude_none=True), "")
        return read_draft_file(tomli_w.dumps(written), "body", config, now())

    def added(
        who: Caller, content: DraftContent, images: list[CleanImage] | None = None
    ) -> dict[str, Any]:
        with database.writing() as session:
            made = add_draft(
                session,
                content=content,
                author=who.user,
                config=config,
                library=library,
                images=images or (),
            )
            return shown(session, made)

    @api.get("", response_model=DraftPage)
    def drafts(
        who: Who,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        after: Annotated[str | None, Query(max_length=200)] = None,
    ) -> DraftPage:
        """Drafts, most recently changed first, a page at a time."""
        allow(who, Scope.READ)
        with database.reading() as session:
            found = list_drafts(session, status=status, limit=limit + 1, after=after)
            page = keyset.paged(found, limit, draft_place)
            listed = [shown(session, draft) for draft in page.rows]
        return DraftPage(drafts=listed, after=page.after)

    @api.post("", status_code=201)
    def create(who: Who, fields: DraftFile) -> dict[str, Any]:
        """A new draft from the draft-file fields as JSON (its status: draft)."""
        allow(who, Scope.DRAFTS_WRITE, Capability.WRITE)
        content = content_of(fields)
        return added(who, content)

    @api.post("/with-images", status_code=201)
    def create_with_images(
        who: Who,
        draft: Annotated[
            str, Form(description="The draft-file fields as JSON; [[media]] names each file.")
        ],
        images: Annotated[list[UploadFile], File(description="The files media[].file names.")],
    ) -> dict[str, Any]:
        """A new draft with images (multipart): each ``media`` entry's ``file`` is the name
        of one of the uploaded files, cleaned and stored as a draft file's images are."""
        allow(who, Scope.DRAFTS_WRITE, Capability.WRITE)
        try:
            fields = DraftFile.model_validate_json(draft)
        except ValidationError as error:
            raise DraftError(one_line("draft", problems(error, {}))) from None
        content = content_of(fields)
        with TemporaryDirectory(prefix="tidings-api-") as folder:
            for upload in images:
                kept_upload(upload, Path(folder))
            content, cleaned = read_media(content, Path(folder), "draft")
        return added(who, content, cleaned)

    @api.get("/{draft_id}")
    def read(who: Who, draft_id: int) -> dict[str, Any]:
        """The draft and its posts as each platform will show them."""
        allow(who, Scope.READ)
        with database.reading() as session:
            return shown(session, get_draft(session, draft_id))

    @api.put("/{draft_id}")
    def edit(who: Who, draft_id: int, fields: DraftFile) -> dict[str, Any]:
        """Replace the draft's content; a reviewed draft whose posts change goes back to review."""
        allow(who, Scope.DRAFTS_WRITE, Capability.WRITE)
        content = content_of(fields)
        with database.writing() as session:
            outcome = edit_draft(
                session,
                draft_id=draft_id,
                content=content,
                editor=who.user,
                config=config,
                library=library,
            )
            return shown(session, outcome.draft)

    @api.post("/{draft_id}/submit")
    def send_to_review(who: Who, draft_id: int) -> dict[str, Any]:
        """Send the draft to review; refused with every problem if a post does not fit."""
        allow(who, Scope.DRAFTS_WRITE, Capability.WRITE)
        with database.writing() as session:
            return shown(session, submit(session, draft_id=draft_id, actor=who.user, config=config))

    @api.post("/{draft_id}/approve")
    def approve_draft(who: Who, draft_id: int, approval: Approval) -> dict[str, Any]:
        """Approve the content the caller read (its content_hash); enough approvals schedule
        a draft that has publish_at."""
        allow(who, Scope.REVIEW, Capability.REVIEW)
        with database.writing() as session:
            decision = approve(
                session,
                draft_id=draft_id,
                reviewer=who.user,
                comment=approval.comment,
                config=config,
                now=now(),
                seen=approval.content_hash,
            )
            return shown(session, decision.draft)

    @api.post("/{draft_id}/request-changes")
    def send_back(who: Who, draft_id: int, request: ChangeRequest) -> dict[str, Any]:
        """Send the draft back to its author with a comment; its posts are unscheduled."""
        allow(who, Scope.REVIEW, Capability.REVIEW)
        with database.writing() as session:
            draft = request_changes(
                session,
                draft_id=draft_id,
                reviewer=who.user,
                comment=request.comment,
                config=config,
            )
            return shown(session, draft)

    @api.post("/{draft_id}/schedule")
    def queue(who: Who, draft_id: int, when: Annotated[Schedule, Body()]) -> dict[str, Any]:
        """Queue an approved draft at a time or in each channel's next free slot."""
        allow(who, Scope.DRAFTS_WRITE, Capability.QUEUE)
        request = ScheduleRequest(at=when.at, next_slot=when.next_slot)
        with database.writing() as session:
            scheduled = schedule_draft(
                session,
                draft_id=draft_id,
                request=request,
                actor=who.user,
                config=config,
                now=now(),
            )
            return shown(session, scheduled.draft)

    @api.post("/{draft_id}/cancel")
    def cancel(who: Who, draft_id: int) -> dict[str, Any]:
        """Cancel the draft and its posts not yet out."""
        allow(who, Scope.DRAFTS_WRITE, Capability.QUEUE)
        with database.writing() as session:
            cancel_draft(session, draft_id=draft_id, actor=who.user)
            return shown(session, get_draft(session, draft_id))

    return api
