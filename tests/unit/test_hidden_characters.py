"""Characters readers cannot see are a problem in a post; what scripts and emoji need is not."""

from __future__ import annotations

import pytest

from drafts.config import Config
from drafts.models import Post
from drafts.text_rules.hidden import hidden_characters
from tidings.cli.views import post_json, print_post

OVERRIDE = (
    "contains an invisible right-to-left override (U+202E) at character 9, "
    "which changes the order readers see"
)


def problems(text: str) -> list[str]:
    return [found.problem() for found in hidden_characters(text)]


def test_a_right_to_left_override_is_named_with_where_it_is() -> None:
    assert problems("Invoice \u202efdp.exe") == [OVERRIDE]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("#Par\u200bks", "zero width space (U+200B)"),
        ("pay\u2060now", "word joiner (U+2060)"),
        ("\ufeffHello", "zero width no-break space (U+FEFF)"),
        ("in\u00advisible", "soft hyphen (U+00AD)"),
        ("a\u200db", "zero width joiner (U+200D)"),  # joins nothing here
        ("공원\u3164소식", "hangul filler (U+3164)"),
        ("hi\U000e0041", "tag latin capital letter a (U+E0041)"),  # a hidden letter
        ("x \u2066isolated\u2069", "left-to-right isolate (U+2066)"),
    ],
)
def test_invisible_and_bidi_characters_are_problems(text: str, name: str) -> None:
    assert f"contains an invisible {name} at character " in problems(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "👩‍💻 개발자 모임, 토요일 오후 2시 🏴󠁧󠁢󠁳󠁣󠁴󠁿 👨‍👩‍👧‍👦 👍🏽",  # ZWJ sequences, a tag flag, a skin tone
        "강변 공원이 다시 문을 열었습니다. #공원",
        "می\u200cخواهم",  # Persian needs the zero width non-joiner
        "क्\u200dष",  # a Devanagari half form: a joiner after the virama
        "\u200fשלום\u200e 2026",  # right-to-left and left-to-right marks
        "葛\U000e0100飾区",  # an ideographic variation selector
    ],
)
def test_what_scripts_and_emoji_need_is_not_a_problem(text: str) -> None:
    assert problems(text) == []


def test_several_of_one_kind_are_one_problem_counted_in_characters_readers_see() -> None:
    assert problems("👩‍💻 a\u200bb\u200bc \u202e") == [
        "contains an invisible zero width space (U+200B) at character 4 (2 in all), "
        "which readers do not see but platforms count",
        "contains an invisible right-to-left override (U+202E) at character 9, "
        "which changes the order readers see",
    ]


def test_draft_show_and_its_json_list_the_problem(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    post = Post(
        id=7,
        draft_id=1,
        channel="linkedin",
        platform="linkedin",
        language="en",
        text="Invoice \u202efdp.exe",
        length=0,
        status="pending",
    )
    assert post_json(post, config)["problems"] == [OVERRIDE]
    print_post(post, config, config.zone)
    shown = " ".join(capsys.readouterr().out.split())
    assert "✗ 1 problem(s)" in shown
    assert f"✗ {OVERRIDE}" in shown
