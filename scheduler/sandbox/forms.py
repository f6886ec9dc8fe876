"""Multipart forms, as the sandbox's upload endpoints read them: text fields and files."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile

from scheduler.sandbox.exchange import Call


@dataclass(frozen=True)
class FormFile:
    """One file of a multipart form, read whole."""

    data: bytes
    content_type: str


async def read_form(call: Call) -> tuple[dict[str, str], dict[str, FormFile]]:
    """The request's form: its text fields and its files by name (the form is closed after,
    so no spooled upload is left open)."""
    fields: dict[str, str] = {}
    files: dict[str, FormFile] = {}
    async with call.request.form() as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                kind = value.content_type or "application/octet-stream"
                files[name] = FormFile(await value.read(), kind)
            else:
                fields[name] = value
    return fields, files
