"""The post templates and the renderer: output, filters, platforms, overrides and every error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from drafts.errors import ConfigError, DraftError
from drafts.rendering import TemplateLibrary, builtin_templates, tidy

SEOUL = ZoneInfo("Asia/Seoul")

HIRING: dict[str, dict[str, object]] = {
    "en": {
        "position": "Communications Officer",
        "organisation": "the Northeast Asia Cities Secretariat",
        "location": "Busan, Republic of Korea",
        "deadline": dt.date(2026, 12, 15),
        "link": "https://example.org/jobs/comms",
        "summary": "You will tell our member cities' stories, from rain gardens to repair cafés.",
        "hashtags": ["Hiring", "Busan", "CityNetwork"],
    },
    "ko": {
        "position": "Communications Officer",
        "organisation": "동북아 도시 사무국",
        "location": "대한민국 부산",
        "deadline": dt.date(2026, 12, 15),
        "link": "https://example.org/jobs/comms",
        "summary": "빗물 정원부터 수리 카페까지, 회원 도시들의 이야기를 전하는 일을 맡게 됩니다.",
        "hashtags": ["채용", "부산"],
    },
}
UPDATE: dict[str, dict[str, object]] = {
    "en": {
        "emoji": "🌿",
        "headline": "Daegu turns school roofs into rain gardens",
        "intro": "Forty schools in Daegu now catch summer storms on planted roofs.",
        "points": [
            "Cooler classrooms: roof temperatures dropped by up to 9 °C.",
            "Less flooding: the drains nearby overflowed half as often.",
        ],
        "closing": "Three more districts will follow next spring.",
        "link": "https://example.org/news/daegu-roofs",
        "hashtags": ["NatureBasedSolutions", "Daegu"],
    },
    "ko": {
        "headline": "대구, 학교 옥상을 빗물 정원으로",
        "intro": "대구의 학교 40곳이 옥상 정원으로 여름철 폭우를 받아내고 있습니다.",
        "points": ["교실 온도: 옥상 표면 온도가 최대 9도 낮아졌습니다."],
        "hashtags": ["자연기반해법", "대구"],
    },
}
EVENT: dict[str, dict[str, object]] = {
    "en": {
        "name": "Coastal Cities Resilience Workshop",
        "date": dt.datetime(2026, 12, 15, 14, 0, tzinfo=SEOUL),
        "venue": "Busan Port Authority, Hall B",
        "summary": "City planners compare notes on sea walls, wetlands and warning systems.",
        "points": ["Morning: site visit to the restored wetland."],
        "link": "https://example.org/events/coastal",
        "hashtags": ["Resilience"],
    },
    "ko": {
        "name": "연안 도시 회복력 워크숍",
        "date": dt.datetime(2026, 12, 15, 14, 0, tzinfo=SEOUL),
        "venue": "부산항만공사 B홀",
        "summary": "도시 계획가들이 방파제, 습지, 경보 체계에 대한 경험을 나눕니다.",
        "hashtags": ["회복력"],
    },
}
SAMPLES: dict[str, dict[str, dict[str, object]]] = {
    "hiring": HIRING,
    "update": UPDATE,
    "event": EVENT,
}

HIRING_EN = """\
🌟 We're hiring: Communications Officer 🌟

Join the Northeast Asia Cities Secretariat as our new Communications Officer.

You will tell our member cities' stories, from rain gardens to repair cafés.

🔹 Location: Busan, Republic of Korea
🔹 Apply by: December 15, 2026
🔹 Details and how to apply 🔗 https://example.org/jobs/comms

#Hiring #Busan #CityNetwork"""

HIRING_KO = """\
🌟 채용 공고: Communications Officer 🌟

동북아 도시 사무국에서 Communications Officer 포지션에 함께할 분을 모십니다.

빗물 정원부터 수리 카페까지, 회원 도시들의 이야기를 전하는 일을 맡게 됩니다.

🔹 근무지: 대한민국 부산
🔹 지원 마감: 2026년 12월 15일
🔹 자세한 내용과 지원 방법 🔗 https://example.org/jobs/comms

#채용 #부산"""


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary.default()


def user_library(folder: Path, **templates: str) -> TemplateLibrary:
    """A library of ``folder`` (holding ``templates``, keyed by file stem) before the built-ins."""
    for stem, source in templates.items():
        (folder / f"{stem}.txt.j2").write_text(source, encoding="utf-8")
    return TemplateLibrary.default(extra=[folder])


def test_builtin_templates_are_the_checkouts_folder() -> None:
    assert builtin_templates() == Path(__file__).resolve().parents[2] / "templates" / "posts"


def test_kinds_and_languages(library: TemplateLibrary) -> None:
    assert library.kinds() == ["event", "hiring", "update"]
    for kind in library.kinds():
        assert library.languages(kind) == ["en", "ko"]


@pytest.mark.parametrize("kind", ["hiring", "update", "event"])
@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("platform", ["linkedin", "x"])
def test_every_template_renders_in_house_style(
    library: TemplateLibrary, kind: str, language: str, platform: str
) -> None:
    fields = SAMPLES[kind][language]
    text = library.render(kind, language, fields, platform=platform)
    lines = text.split("\n")
    assert lines[0][0] in "🌟🌿🌍📣"
    tags = fields["hashtags"]
    assert isinstance(tags, list)
    assert lines[-1] == " ".join(f"#{tag}" for tag in tags)
    assert text == tidy(text)  # no trailing spaces, no outer or doubled blank lines


def test_hiring_in_english_exactly(library: TemplateLibrary) -> None:
    assert library.render("hiring", "en", HIRING["en"], platform="linkedin") == HIRING_EN


def test_hiring_in_korean_exactly(library: TemplateLibrary) -> None:
    assert library.render("hiring", "ko", HIRING["ko"], platform="linkedin") == HIRING_KO


def test_hiring_without_optional_fields(library: TemplateLibrary) -> None:
    required = {k: HIRING["en"][k] for k in ("position", "location", "deadline", "link")}
    text = library.render("hiring", "en", required, platform="mastodon")
    assert text.split("\n")[2] == "Join us as our new Communications Officer."
    assert text.endswith("🔗 https://example.org/jobs/comms")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_x_form_of_hiring_drops_the_summary(library: TemplateLibrary, language: str) -> None:
    fields = HIRING[language]
    long_form = library.render("hiring", language, fields, platform="linkedin")
    short_form = library.render("hiring", language, fields, platform="x")
    summary = str(fields["summary"])
    assert summary in long_form
    assert summary not in short_form
    assert short_form == long_form.replace(f"{summary}\n\n", "")


def test_x_form_of_update_keeps_headline_intro_link_and_hashtags(
    library: TemplateLibrary,
) -> None:
    text = library.render("update", "en", UPDATE["en"], platform="x")
    assert text == (
        "🌿 Daegu turns school roofs into rain gardens 🌿\n\n"
        "Forty schools in Daegu now catch summer storms on planted roofs.\n\n"
        "🔗 Read more: https://example.org/news/daegu-roofs\n\n"
        "#NatureBasedSolutions #Daegu"
    )


def test_update_bullets_and_default_emoji(library: TemplateLibrary) -> None:
    text = library.render("update", "ko", UPDATE["ko"], platform="linkedin")
    assert text.startswith("🌍 대구, 학교 옥상을 빗물 정원으로 🌍\n")
    assert "\n\n📝 교실 온도: 옥상 표면 온도가 최대 9도 낮아졌습니다.\n\n#자연기반해법" in text


def test_event_shows_time_and_zone_in_each_language(library: TemplateLibrary) -> None:
    # CLDR puts a narrow no-break space (U+202F) before AM/PM so they never wrap apart.
    en = library.render("event", "en", EVENT["en"], platform="linkedin")
    ko = library.render("event", "ko", EVENT["ko"], platform="linkedin")
    assert "🗓️ When: December 15, 2026, 2:00\u202fPM (Korean Standard Time)\n" in en
    assert "🗓️ 일시: 2026년 12월 15일 오후 2:00 (한국 표준시)\n" in ko


def test_event_on_a_date_shows_the_date_only(library: TemplateLibrary) -> None:
    fields = {**EVENT["ko"], "date": dt.date(2026, 12, 15)}
    text = library.render("event", "ko", fields, platform="linkedin")
    assert "🗓️ 일시: 2026년 12월 15일\n" in text


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "December 15, 2026"), ("ko", "2026년 12월 15일")]
)
def test_date_filter_long_by_default_in_the_values_own_zone(
    tmp_path: Path, language: str, expected: str
) -> None:
    library = user_library(tmp_path, **{f"note.{language}": "{{ day | date }}"})
    early_morning = dt.datetime(2026, 12, 15, 7, 0, tzinfo=SEOUL)  # still the 14th in UTC
    for day in (dt.date(2026, 12, 15), early_morning):
        assert library.render("note", language, {"day": day}, platform="x") == expected


def test_date_filter_takes_a_format_name_or_pattern(tmp_path: Path) -> None:
    library = user_library(
        tmp_path, **{"note.en": "{{ day | date('short') }} {{ day | date('d MMM') }}"}
    )
    assert library.render("note", "en", {"day": dt.date(2026, 12, 15)}, platform="x") == (
        "12/15/26 15 Dec"
    )


def test_datetime_filter_converts_to_another_zone(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"note.en": "{{ at | datetime(tz='Europe/Berlin') }}"})
    at = dt.datetime(2026, 12, 15, 14, 0, tzinfo=SEOUL)
    assert (
        library.render("note", "en", {"at": at}, platform="x") == "December 15, 2026, 6:00\u202fAM"
    )


def test_naive_datetime_is_refused(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"note.en": "{{ at | datetime }}"})
    with pytest.raises(DraftError, match=r"^template note \(en\): datetime filter: .* no timezone"):
        library.render("note", "en", {"at": dt.datetime(2026, 12, 15, 14, 0)}, platform="x")  # noqa: DTZ001


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "12,500.5"), ("ko", "12,500.5"), ("pt-BR", "12.500,5"), ("en-XY", "12,500.5")],
)
def test_number_filter_follows_the_language_tag(
    tmp_path: Path, language: str, expected: str
) -> None:
    library = user_library(tmp_path, **{f"note.{language}": "{{ n | number }}"})
    assert library.render("note", language, {"n": 12500.5}, platform="x") == expected


def test_bcp47_script_tag(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"note.zh-Hans": "{{ day | date }}"})
    assert library.languages("note") == ["zh-Hans"]
    text = library.render("note", "zh-Hans", {"day": dt.date(2026, 12, 15)}, platform="x")
    assert text == "2026年12月15日"


def test_a_language_babel_does_not_know(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"note.qqq": "hello"})
    with pytest.raises(DraftError, match=r"^language qqq: "):
        library.render("note", "qqq", {}, platform="x")


def test_hashtags_filter_takes_words_with_or_without_hash(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"note.en": "{{ tags | hashtags }}"})
    assert library.render("note", "en", {"tags": ["#Seoul", "Busan"]}, platform="x") == (
        "#Seoul #Busan"
    )
    assert library.render("note", "en", {"tags": "Seoul Busan"}, platform="x") == "#Seoul #Busan"
    with pytest.raises(DraftError, match="'Zero Waste' is not a hashtag"):
        library.render("note", "en", {"tags": ["Zero Waste"]}, platform="x")


def test_missing_field_is_named(library: TemplateLibrary) -> None:
    fields = {k: v for k, v in HIRING["ko"].items() if k != "position"}
    with pytest.raises(DraftError) as error:
        library.render("hiring", "ko", fields, platform="linkedin")
    assert str(error.value) == "fields.position: required by template hiring (ko)"


@pytest.mark.parametrize(("kind", "field"), [("hiring", "deadline"), ("update", "hashtags")])
def test_missing_field_given_to_a_filter_is_named(
    library: TemplateLibrary, kind: str, field: str
) -> None:
    fields = {k: v for k, v in SAMPLES[kind]["en"].items() if k != field}
    with pytest.raises(DraftError) as error:
        library.render(kind, "en", fields, platform="linkedin")
    assert str(error.value) == f"fields.{field}: required by template {kind} (en)"


def test_a_value_of_the_wrong_type_is_named(library: TemplateLibrary) -> None:
    fields = {**HIRING["en"], "deadline": "15 December"}
    with pytest.raises(DraftError) as error:
        library.render("hiring", "en", fields, platform="linkedin")
    assert str(error.value) == (
        "template hiring (en): date filter: expected a date, got '15 December'"
    )


def test_unknown_template_lists_the_available_ones(library: TemplateLibrary) -> None:
    with pytest.raises(DraftError) as error:
        library.render("recap", "en", {}, platform="x")
    assert (
        str(error.value) == "template recap: not found; available templates: event, hiring, update"
    )


def test_template_missing_in_a_language(library: TemplateLibrary) -> None:
    with pytest.raises(DraftError) as error:
        library.render("hiring", "ja", HIRING["en"], platform="x")
    assert str(error.value) == "template hiring: no ja version; it exists in en, ko"


def test_reserved_field_names_are_refused(library: TemplateLibrary) -> None:
    with pytest.raises(DraftError, match=r"^fields\.platform: reserved"):
        library.render("hiring", "en", {**HIRING["en"], "platform": "x"}, platform="x")


@pytest.mark.parametrize(
    "source",
    ["{{ ''.__class__.__mro__ }}", "{{ ''.__class__ }}", "{{ cycler.__init__.__globals__ }}"],
)
def test_sandbox_blocks_reaching_python_internals(tmp_path: Path, source: str) -> None:
    library = user_library(tmp_path, **{"evil.en": source})
    with pytest.raises(DraftError, match=r"^template evil \(en\): blocked by the sandbox: "):
        library.render("evil", "en", {}, platform="x")


def test_user_folder_overrides_one_language_of_a_builtin(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"hiring.ko": "🌟 {{ position }} 모집 🌟"})
    assert library.render("hiring", "ko", HIRING["ko"], platform="x") == (
        "🌟 Communications Officer 모집 🌟"
    )
    assert library.render("hiring", "en", HIRING["en"], platform="linkedin") == HIRING_EN
    assert library.fields("hiring", "ko") == {"position"}


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"broken.en": "fine\nstill fine\n{% if %}\n"})
    expected = f"{tmp_path / 'broken.en.txt.j2'}:3: template syntax error: "
    for attempt in (
        lambda: library.render("broken", "en", {}, platform="x"),
        lambda: library.fields("broken", "en"),
    ):
        with pytest.raises(DraftError) as error:
            attempt()
        assert str(error.value).startswith(expected)


def test_runtime_error_names_file_and_line(tmp_path: Path) -> None:
    library = user_library(tmp_path, **{"sum.en": "total:\n{{ count + ' items' }}"})
    with pytest.raises(DraftError) as error:
        library.render("sum", "en", {"count": 3}, platform="x")
    assert str(error.value).startswith(
        f"template sum (en) at {tmp_path / 'sum.en.txt.j2'}:2: unsupported operand"
    )


def test_fields_of_the_hiring_template(library: TemplateLibrary) -> None:
    expected = {"position", "organisation", "location", "deadline", "link", "summary", "hashtags"}
    assert library.fields("hiring", "en") == expected
    assert library.fields("hiring", "ko") == expected


def test_unknown_fields_suggest_the_closest_name(library: TemplateLibrary) -> None:
    given = {"postion", "location", "salary"}
    assert library.unknown_fields("hiring", ["ko", "en"], given) == {
        "postion": "position",
        "salary": None,
    }


def test_a_missing_user_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        TemplateLibrary.default(extra=[tmp_path / "nowhere"])


def test_tidy() -> None:
    assert tidy("\n\n  a  \n\n\n\nb\t\n \n") == "a\n\nb"


def test_the_fields_a_template_reads_follow_an_edit_of_its_file(tmp_path: Path) -> None:
    """The fields are worked out once per source (an import asks for every row), so an edited
    file is read anew rather than answered from what it said before."""
    library = user_library(tmp_path, **{"note.en": "{{ venue }}"})
    assert library.fields("note", "en") == {"venue"}
    (tmp_path / "note.en.txt.j2").write_text("{{ venue }} {{ starts }}", encoding="utf-8")
    assert library.fields("note", "en") == {"venue", "starts"}
