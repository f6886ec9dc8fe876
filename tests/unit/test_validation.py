"""pydantic's refusals as users read them: one problem per field, enumerations named."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from drafts.validation import not_one_of, one_line, problems


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["update", "hiring", "event", "post"]
    title: str
    when: str | date | None = None


def refused(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate(data)
    return [str(problem) for problem in problems(raised.value, data)]


def test_every_field_is_one_problem() -> None:
    assert refused({"kind": "tweetstorm", "when": [1]}) == [
        "kind: 'tweetstorm' is not a kind: update, hiring, event or post",
        "title: required but missing",
        "when: Input should be a valid string",  # said once, not once per member of the union
    ]


def test_a_misspelled_key_is_one_problem_at_the_key_as_written() -> None:
    assert refused({"kind": "post", "titel": "Parks"}) == [
        "titel: unknown key (did you mean title?)"
    ]
    assert refused({"kind": "post", "title": "Parks", "colour": "red"}) == [
        "colour: unknown key (misspelled?)"
    ]


def test_a_value_outside_an_enumeration_is_named_with_the_values_allowed() -> None:
    assert str(not_one_of("editr", "role", ["author", "reviewer", "editor"])) == (
        "'editr' is not a role: author, reviewer or editor (did you mean editor?)"
    )
    assert str(not_one_of("fr", "interface language", ["en"])) == (
        "'fr' is not an interface language: en"
    )
    long = str(not_one_of("x" * 500, "kind", ["post"]))
    assert long.startswith("'xxx") and long.endswith("… is not a kind: post")
    assert len(long) < 100


def test_several_problems_make_one_line() -> None:
    assert str(one_line("a.toml", ["kind: bad"])) == "a.toml: kind: bad"
    assert str(one_line("a.toml", ["kind: bad", "title: missing"])) == (
        "a.toml: 2 problems: kind: bad; title: missing"
    )
