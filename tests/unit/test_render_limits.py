"""A custom template cannot run forever or fill memory: each limit is a DraftError naming the
template, reached without hanging (a render that outlives a generous wait fails the test)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drafts.errors import DraftError
from drafts.render_limits import MAX_OUTPUT
from drafts.rendering import TemplateLibrary, builtin_templates

BUDGET = 0.2  # seconds; the renders below would otherwise take minutes or never end
GENEROUS_WAIT = 60.0


def outcome(tmp_path: Path, source: str, budget: float = BUDGET, **fields: object) -> str:
    """What rendering ``source`` as the template ``t`` in English comes to: its text, or the
    DraftError's message. A render expected to end otherwise than by the time budget is given
    ``GENEROUS_WAIT``: on a busy machine even a quick one can take longer than ``BUDGET``."""
    (tmp_path / "t.en.txt.j2").write_text(source, encoding="utf-8")
    library = TemplateLibrary([tmp_path, builtin_templates()], render_seconds=budget)
    said: list[str] = []

    def render() -> None:
        try:
            said.append(library.render("t", "en", fields, platform="x"))
        except DraftError as error:
            said.append(str(error))

    worker = threading.Thread(target=render, daemon=True)
    worker.start()
    worker.join(GENEROUS_WAIT)
    if worker.is_alive():
        pytest.fail(f"still rendering after {GENEROUS_WAIT:g} s: no limit stopped {source!r}")
    (message,) = said
    return message


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ('{{ "a" * 10**10 }}', "'*' would make 10,000,000,000 characters"),
        ("{{ [0] * 10**10 }}", "'*' would make 10,000,000,000 items"),
        ('{{ "ab" * 60000 }}', "'*' would make 120,000 characters"),
        ('{% set a = "a" * 60000 %}{{ a + a }}', "'+' would make 120,000 characters"),
        ("{{ 7 ** (10**9) }}", f"'**' would make a number of more than {MAX_OUTPUT:,} digits"),
    ],
)
def test_an_operator_making_more_than_any_post_is_refused_before_it_runs(
    tmp_path: Path, source: str, refusal: str
) -> None:
    assert outcome(tmp_path, source).startswith(f"template t (en): {refusal}")


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for a in text %}{% for b in text %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% if j > i %}"
        "{% endif %}{% endfor %}{% endfor %}",
    ],
)
def test_loops_that_would_run_for_minutes_stop_at_the_render_budget(
    tmp_path: Path, source: str
) -> None:
    said = outcome(tmp_path, source, text="x" * 50_000)
    assert said == f"template t (en): rendering took longer than {BUDGET:g} s"


def test_output_past_the_limit_is_refused(tmp_path: Path) -> None:
    said = outcome(tmp_path, '{% for i in range(100000) %}{{ "news " }}{% endfor %}', GENEROUS_WAIT)
    assert said == f"template t (en): the text is longer than {MAX_OUTPUT:,} characters"


def test_a_macro_that_calls_itself_is_an_error_naming_the_template(tmp_path: Path) -> None:
    source = "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}"
    said = outcome(tmp_path, source, GENEROUS_WAIT)
    assert said.startswith("template t (en) at ")
    assert said.endswith("maximum recursion depth exceeded")


def test_small_repetitions_powers_and_loops_still_work(tmp_path: Path) -> None:
    source = '{{ "ab" * 3 }} {{ 2 ** 10 }} {% for i in range(3) %}{{ i }}{% endfor %} {{ x + y }}'
    said = outcome(tmp_path, source, GENEROUS_WAIT, x="harbour ", y="walk")
    assert said == "ababab 1024 012 harbour walk"
