"""twitter-text's own conformance vectors, run against Tidings' port of it.

The vectors are carried in tests/unit/data (their headers name the source and licence): every
vector of the weighted-length sections of validate.yml, and of the URL sections of extract.yml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from drafts.text_rules.twitter import MAX_WEIGHTED_LENGTH, parse
from drafts.text_rules.urls import extract_urls

DATA = Path(__file__).parent / "data"

# Vectors the port fails on purpose, with the reason.
KNOWN_DEVIATIONS = {
    "Extract a hyphenated TLD (usually a typo)": (
        "twitter-text's JavaScript 3.1.0 finds no URL here either: its TLD lookahead "
        "(?=[^0-9a-zA-Z@+-]|$), which its Java shares, refuses a TLD followed by '-'"
    ),
}


def _vectors(file: str, *sections: str) -> list[Any]:
    tests = yaml.safe_load((DATA / file).read_text(encoding="utf-8"))["tests"]
    return [
        pytest.param(
            vector,
            id=f"{section}: {vector['description']}",
            marks=(
                [pytest.mark.xfail(reason=KNOWN_DEVIATIONS[vector["description"]], strict=True)]
                if vector["description"] in KNOWN_DEVIATIONS
                else []
            ),
        )
        for section in sections
        for vector in tests[section]
    ]


@pytest.mark.parametrize(
    "vector",
    _vectors(
        "twitter_text_validate.yml",
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        "UnicodeDirectionalMarkerCounterTest",
    ),
)
def test_weighted_length(vector: dict[str, Any]) -> None:
    # The display and valid ranges are UTF-16 offsets for twitter-text's own text field; Tidings
    # reports problems, not highlights, so only the counts are compared.
    result = parse(vector["text"])
    expected = vector["expected"]
    assert result.weighted_length == expected["weightedLength"]
    assert result.valid is expected["valid"]
    assert result.weighted_length * 1000 // MAX_WEIGHTED_LENGTH == expected["permillage"]


@pytest.mark.parametrize(
    "vector", _vectors("twitter_text_extract_urls.yml", "urls", "tco_urls_with_params")
)
def test_extract_urls(vector: dict[str, Any]) -> None:
    assert [url.url for url in extract_urls(vector["text"])] == vector["expected"]


@pytest.mark.parametrize(
    "vector",
    _vectors("twitter_text_extract_urls.yml", "urls_with_indices", "urls_with_directional_markers"),
)
def test_extract_urls_with_indices(vector: dict[str, Any]) -> None:
    found = [
        {"url": url.url, "indices": [url.start, url.end]} for url in extract_urls(vector["text"])
    ]
    assert found == vector["expected"]


def test_every_vector_is_carried() -> None:
    """The data files hold each section whole: 22 + 2 weighted-length vectors, 106 URL ones."""
    validate = yaml.safe_load((DATA / "twitter_text_validate.yml").read_text(encoding="utf-8"))
    extract = yaml.safe_load((DATA / "twitter_text_extract_urls.yml").read_text(encoding="utf-8"))
    assert len(validate["tests"]["WeightedTweetsWithDiscountedEmojiCounterTest"]) == 22
    assert len(validate["tests"]["UnicodeDirectionalMarkerCounterTest"]) == 2
    assert {section: len(vectors) for section, vectors in extract["tests"].items()} == {
        "urls": 89,
        "urls_with_indices": 10,
        "urls_with_directional_markers": 2,
        "tco_urls_with_params": 5,
    }
