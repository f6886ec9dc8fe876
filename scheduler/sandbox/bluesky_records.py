"""Checking an ``app.bsky.feed.post`` record the way the PDS lexicon validator does.

Messages follow @atproto/lexicon ("Record/text must not be longer than 300 graphemes"),
prefixed as the PDS prefixes them ("Invalid app.bsky.feed.post record: ..."). The facet
bounds check (byte offsets inside the UTF-8 text, on character boundaries) is the sandbox's
own strictness: the PDS stores such facets, but clients then render them wrongly.
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
