"""Checking an ``app.bsky.feed.post`` record the way the PDS lexicon validator does.

Messages follow @atproto/lexicon ("Record/text must not be longer than 300 graphemes"),
prefixed as the PDS prefixes them ("Invalid app.bsky.feed.post record: ..."). The facet
bounds check (byte offsets inside the UTF-8 text, on character boundaries) is the sandbox's
own strictness: the PDS stores such facets, but clients then render them wrongly.

An ``app.bsky.embed.images`` embed is checked against its lexicon (at most 4 images, each a
blob of an ``image/*`` type with a string ``alt``), and, the sandbox's own strictness again,
must give each image's ``aspectRatio``: the lexicon makes it optional, but without it
clients cannot lay the post out before the image loads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import regex

from scheduler.sandbox.state import JSON

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_LANGS = 3
MAX_IMAGES = 4
EMBED_IMAGES = "app.bsky.embed.images"
FEATURES = {
    "app.bsky.richtext.facet#mention": ("mention", "did"),
    "app.bsky.richtext.facet#link": ("link", "uri"),
    "app.bsky.richtext.facet#tag": ("tag", "tag"),
}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def validate_post(record: JSON, collection: str) -> str | None:
    """The PDS's complaint about a post record, or ``None`` when it is valid."""
    kind = record.get("$type")
    if kind is None:
        kind = record["$type"] = collection
    if kind != collection:
        return f"Invalid $type: expected {collection}, got {kind}"
    problem = _problem(record)
    return None if problem is None else f"Invalid {collection} record: {problem}"


def _problem(record: JSON) -> str | None:
    text = record.get("text")
    if not isinstance(text, str):
        return 'Record must have the property "text"'
    if len(text.encode()) > MAX_BYTES:
        return f"Record/text must not be longer than {MAX_BYTES} characters"
    if len(regex.findall(r"\X", text)) > MAX_GRAPHEMES:
        return f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes"
    created = record.get("createdAt")
    if not isinstance(created, str):
        return 'Record must have the property "createdAt"'
    if not _valid_datetime(created):
        return "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
    langs = record.get("langs")
    if langs is not None:
        if not isinstance(langs, list):
            return "Record/langs must be an array"
        if len(langs) > MAX_LANGS:
            return f"Record/langs must not have more than {MAX_LANGS} elements"
        for i, lang in enumerate(langs):
            if not isinstance(lang, str) or not _LANGUAGE.fullmatch(lang):
                return f"Record/langs/{i} must be a well-formed BCP 47 language tag"
    facets = record.get("facets")
    if facets is not None:
        if not isinstance(facets, list):
            return "Record/facets must be an array"
        for i, facet in enumerate(facets):
            problem = _facet_problem(facet, text.encode(), f"Record/facets/{i}")
            if problem is not None:
                return problem
    embed = record.get("embed")
    if isinstance(embed, dict) and embed.get("$type") == EMBED_IMAGES:
        return _images_problem(embed)
    return None


def _images_problem(embed: JSON) -> str | None:
    images = embed.get("images")
    if not isinstance(images, list):
        return 'Record/embed must have the property "images"'
    if len(images) > MAX_IMAGES:
        return f"Record/embed/images must not have more than {MAX_IMAGES} elements"
    for i, entry in enumerate(images):
        path = f"Record/embed/images/{i}"
        if not isinstance(entry, dict):
            return f"{path} must be an object"
        problem = _blob_problem(entry.get("image"), f"{path}/image")
        if problem is not None:
            return problem
        if not isinstance(entry.get("alt"), str):
            return f'{path} must have the property "alt"'
        problem = _ratio_problem(entry.get("aspectRatio"), f"{path}/aspectRatio")
        if problem is not None:
            return problem
    return None


def _blob_problem(blob: Any, path: str) -> str | None:
    if not isinstance(blob, dict) or blob.get("$type") != "blob":
        return f"{path} should be a blob ref"
    ref = blob.get("ref")
    if not isinstance(ref, dict) or not isinstance(ref.get("$link"), str):
        return f"{path} should be a blob ref"
    mime = blob.get("mimeType")
    if not isinstance(mime, str) or not mime.startswith("image/"):
        return f"{path} mimeType must be one of image/*"
    size = blob.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return f"{path} should be a blob ref"
    return None


def _ratio_problem(ratio: Any, path: str) -> str | None:
    if not isinstance(ratio, dict):
        return f"{path} is required by the sandbox: give each image's width and height"
    for name in ("width", "height"):
        value = ratio.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            return f'{path} must have the property "{name}"'
        if value < 1:
            return f"{path}/{name} can not be less than 1"
    return None


def _valid_datetime(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _facet_problem(facet: Any, text: bytes, path: str) -> str | None:
    if not isinstance(facet, dict):
        return f"{path} must be an object"
    index = facet.get("index")
    if not isinstance(index, dict):
        return f'{path} must have the property "index"'
    start, end = index.get("byteStart"), index.get("byteEnd")
    for name, value in (("byteStart", start), ("byteEnd", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            return f'{path}/index must have the property "{name}"'
        if value < 0:
            return f"{path}/index/{name} can not be less than 0"
    assert isinstance(start, int)
    assert isinstance(end, int)
    if start > end or end > len(text):
        return f"{path}/index must lie within the {len(text)} bytes of the text"
    try:
        text[start:end].decode()
    except UnicodeDecodeError:
        return f"{path}/index must not split a UTF-8 character"
    features = facet.get("features")
    if not isinstance(features, list) or not features:
        return f'{path} must have the property "features"'
    for j, feature in enumerate(features):
        kind = feature.get("$type") if isinstance(feature, dict) else None
        if kind not in FEATURES:
            return f"{path}/features/{j} must be a mention, link or tag"
        assert isinstance(feature, dict)
        if not isinstance(feature.get(FEATURES[kind][1]), str):
            return f'{path}/features/{j} must have the property "{FEATURES[kind][1]}"'
    return None


def display_facets(record: JSON) -> list[JSON]:
    """Each facet feature with the substring it points at: ``{kind, text, target}``."""
    text = record.get("text")
    facets = record.get("facets")
    if not isinstance(text, str) or not isinstance(facets, list):
        return []
    encoded = text.encode()
    shown: list[JSON] = []
    for facet in facets:
        try:
            index = facet["index"]
            span = encoded[index["byteStart"] : index["byteEnd"]].decode(errors="replace")
            for feature in facet["features"]:
                kind, attribute = FEATURES[feature["$type"]]
                shown.append({"kind": kind, "text": span, "target": feature[attribute]})
        except (KeyError, TypeError):
            continue  # only reachable with validate=false; show what can be shown
    return shown
