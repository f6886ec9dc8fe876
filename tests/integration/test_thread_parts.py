"""Threads and first comments (issue 11), from the draft file to the posts: a text as a list of
parts, ``thread = "auto"``, ``first_comment``; each part measured on its own; the content hash
covering every part and the comment."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from drafts.composing import RenderedPost, compose, content_hash
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import DraftError, ReviewError
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from tests.integration.drafting import add_author, add_content

NOW = datetime(2031, 1, 1, tzinfo=UTC)
KOREAN_SENTENCES = (
    "우리 동네 도서관이 열한 달의 수리를 마치고 토요일에 다시 문을 열었습니다.",
    "자원봉사자 마흔 명이 책 사천 권을 하루 만에 서가로 옮겼고, 아이들은 새 회원증을 받았습니다!",
    "이번 겨울에는 어르신을 위한 글쓰기 모임과 청소년 코딩 교실이 새로 시작됩니다.",
    "모든 프로그램은 무료이며 누리집에서 신청하실 수 있습니다.",
)
# About 600 syllables: X weighs each one double, so it takes several parts there.
KOREAN = " ".join(KOREAN_SENTENCES * 4)


def read(lines: list[str], config: Config) -> DraftContent:
    source = "\n".join(['kind = "update"', 'title = "Library"', *lines]) + "\n"
    return read_draft_file(source, "draft.toml", config, NOW)


def posts_of(lines: list[str], config: Config, library: TemplateLibrary) -> list[RenderedPost]:
    return compose(read(lines, config), config, library)


def chain(posts: list[RenderedPost], channel: str) -> list[RenderedPost]:
    return [post for post in posts if post.channel == channel]


def test_auto_splits_a_long_korean_text_for_x_and_leaves_linkedin_whole(
    config: Config, library: TemplateLibrary
) -> None:
    posts = posts_of(
        [
            'channels = ["x-ko", "linkedin"]',
            'thread = "auto"',
            "[text]",
            f"ko = {json.dumps(KOREAN)}",
        ],
        config,
        library,
    )
    x = chain(posts, "x-ko")
    assert len(x) > 2
    assert [(p.part, p.parts) for p in x] == [(n, len(x)) for n in range(1, len(x) + 1)]
    assert all(p.measurements[0].fits for p in x), [p.length for p in x]
    assert [p.text.rsplit(" ", 1)[1] for p in x] == [f"{n}/{len(x)}" for n in range(1, len(x) + 1)]
    assert " ".join(p.text.rsplit(" ", 1)[0] for p in x) == KOREAN
    (linkedin,) = chain(posts, "linkedin")
    assert (linkedin.text, linkedin.part, linkedin.parts) == (KOREAN, 1, 1)


def test_without_thread_auto_a_long_text_stays_one_post_over_its_limit(
    config: Config, library: TemplateLibrary
) -> None:
    (x,) = posts_of(
        ['channels = ["x-ko"]', "[text]", f"ko = {json.dumps(KOREAN)}"], config, library
    )
    assert x.text == KOREAN and not x.measurements[0].fits


def test_a_short_text_with_thread_auto_is_one_unnumbered_post(
    config: Config, library: TemplateLibrary
) -> None:
    (x,) = posts_of(
        ['channels = ["x-en"]', 'thread = "auto"', "[text]", 'en = "Doors open at nine."'],
        config,
        library,
    )
    assert (x.text, x.part, x.parts) == ("Doors open at nine.", 1, 1)


def test_written_parts_are_a_thread_where_threads_exist_and_joined_elsewhere(
    config: Config, library: TemplateLibrary
) -> None:
    posts = posts_of(
        [
            'channels = ["x-en", "mastodon", "linkedin"]',
            "[text]",
            'en = ["The library is open again.", "Come and see the new reading room."]',
        ],
        config,
        library,
    )
    for channel in ("x-en", "mastodon"):
        assert [(p.text, p.part, p.parts) for p in chain(posts, channel)] == [
            ("The library is open again.", 1, 2),
            ("Come and see the new reading room.", 2, 2),
        ]
    (linkedin,) = chain(posts, "linkedin")
    assert linkedin.text == "The library is open again.\n\nCome and see the new reading room."


def test_a_first_comment_follows_the_last_part_on_every_channel(
    config: Config, library: TemplateLibrary
) -> None:
    comment = "Sign up by 15 December: https://example.org/library (free) #books _now_ *today*"
    posts = posts_of(
        [
            'channels = ["x-en", "linkedin"]',
            f"first_comment = {json.dumps(comment)}",
            "[text]",
            'en = ["The library is open again.", "Come and see the new reading room."]',
        ],
        config,
        library,
    )
    x = chain(posts, "x-en")
    assert [(p.part, p.parts, p.is_comment) for p in x] == [
        (1, 2, False),
        (2, 2, False),
        (3, 2, True),
    ]
    assert x[-1].text == comment
    linkedin = chain(posts, "linkedin")
    assert [(p.part, p.parts, p.is_comment, p.text) for p in linkedin][-1] == (2, 1, True, comment)


def test_first_comment_per_language(config: Config, library: TemplateLibrary) -> None:
    posts = posts_of(
        [
            'channels = ["linkedin"]',
            'first_comment = { ko = "신청은 누리집에서 하세요." }',
            "[text]",
            'en = "Open again."',
            'ko = "다시 문을 열었습니다."',
        ],
        config,
        library,
    )
    assert [(p.language, p.part, p.text) for p in posts] == [
        ("en", 1, "Open again."),
        ("ko", 1, "다시 문을 열었습니다."),
        ("ko", 2, "신청은 누리집에서 하세요."),
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["[text]", "en = []"], "text: the en text lists no parts"),
        (["[text]", 'en = ["One.", "  "]'], "text: part 2 of the en text is empty"),
        (["[text]", 'en = ["  "]'], "text: the en text is empty"),
        (['first_comment = "  "', "[text]", 'en = "One."'], "first_comment: is empty"),
        (
            ['first_comment = { en = " " }', "[text]", 'en = "One."'],
            "first_comment: the en comment is empty (leave it out for no comment)",
        ),
        (
            ['first_comment = { ko = "하나" }', "[text]", 'en = "One."'],
            "first_comment.ko: ko is not in languages",
        ),
        (['thread = "yes"', "[text]", 'en = "One."'], "thread:"),
    ],
)
def test_bad_parts_and_comments_are_one_line_naming_the_field(
    config: Config, lines: list[str], expected: str
) -> None:
    with pytest.raises(DraftError) as raised:
        read(['channels = ["x-en"]', *lines], config)
    message = str(raised.value)
    assert expected in message and "\n" not in message, message


def test_a_word_too_long_for_any_part_is_a_problem_naming_the_channel(
    config: Config, library: TemplateLibrary
) -> None:
    link = "https://example.org/" + "a" * 300  # a link counts 23 on X: a long word instead
    word = "Donaudampfschifffahrt" * 15
    text = f"Read this. {word} and more {link}"
    with pytest.raises(DraftError) as raised:
        posts_of(
            ['channels = ["x-en"]', 'thread = "auto"', "[text]", f"en = {json.dumps(text)}"],
            config,
            library,
        )
    message = str(raised.value)
    assert "x-en" in message and "does not fit in one part" in message and "\n" not in message


def test_the_hash_covers_parts_and_comment_and_keeps_plain_posts_as_they_were(
    config: Config, library: TemplateLibrary
) -> None:
    plain = posts_of(['channels = ["x-en"]', "[text]", 'en = "Open again."'], config, library)
    rows = [["x-en", "en", "Open again."]]
    before_parts = hashlib.sha256(
        json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert content_hash(plain) == before_parts  # approvals given before parts existed hold

    def digest(lines: list[str]) -> str:
        return content_hash(posts_of(['channels = ["x-en"]', *lines], config, library))

    two = digest(["[text]", 'en = ["Open again.", "Come by."]'])
    with_comment = digest(['first_comment = "Come by."', "[text]", 'en = "Open again."'])
    other_comment = digest(['first_comment = "Drop in."', "[text]", 'en = "Open again."'])
    assert len({before_parts, two, with_comment, other_comment}) == 4


def test_submit_names_the_part_or_comment_that_does_not_fit(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    long = "The reading room has new chairs. " * 10  # 330 characters: over X's 280
    content = read(
        [
            'channels = ["x-en", "linkedin"]',
            f"first_comment = {json.dumps(long * 10)}",  # over LinkedIn's 3,000 too
            "[text]",
            f"en = {json.dumps(['The library is open again.', long])}",
        ],
        config,
    )
    author = add_author(database)
    draft_id, _ = add_content(database, config, library, author, content)
    with database.writing() as session, pytest.raises(ReviewError) as raised:
        submit(session, draft_id=draft_id, actor=author, config=config)
    message = str(raised.value)
    assert "x-en (en), part 2 of 2: 329 weighted characters, over X's limit" in message, message
    assert "linkedin (en), first comment: 3,299 characters" in message, message
    assert "part 1" not in message


def test_a_linkedin_comment_counts_as_written_against_the_comment_limit(
    config: Config, library: TemplateLibrary
) -> None:
    def comment_on_linkedin(comment: str) -> RenderedPost:
        posts = posts_of(
            [
                'channels = ["linkedin"]',
                f"first_comment = {json.dumps(comment)}",
                "[text]",
                'en = "Open again."',
            ],
            config,
            library,
        )
        return posts[-1]

    marks = "(_*#) " * 200  # 1,200 characters; escaped as a post's text it would be 2,200
    fits = comment_on_linkedin(marks.strip())
    assert (fits.length, fits.limit, fits.measurements[0].fits) == (1_199, 1_250, True)
    over = comment_on_linkedin("a" * 1_251)
    assert not over.measurements[0].fits
    assert str(over.measurements[0].problem()).endswith("limit of 1,250 by 1")
