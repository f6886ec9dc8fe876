"""What rendering a post template may cost: ``MAX_OUTPUT`` characters and a few seconds of work.

Templates are user content, and Jinja2 is a programming language: ``{{ "a" * 10**10 }}`` or two
nested ``range(100000)`` loops would run until memory or patience ran out. So the sandbox
refuses an operator whose result would be longer than any post (``*``, ``+`` on texts and
lists, ``**`` on numbers), every ``for`` loop draws its items through the render's time budget,
and the output is produced piece by piece, counted and timed as it comes. Each refusal is a
DraftError that says which limit was reached.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from drafts.errors import DraftError

MAX_OUTPUT = 100_000
"""Characters a template may produce: well above the longest post (Facebook's 63,206)."""
RENDER_SECONDS = 2.0
"""How long one render may take; the built-in templates take a few milliseconds."""

_LOOP_FILTER = "tidings_loop_budget"


@dataclass(frozen=True)
class _Budget:
    seconds: float
    deadline: float

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise DraftError(f"rendering took longer than {self.seconds:g} s")


_budget: ContextVar[_Budget | None] = ContextVar("tidings_render_budget", default=None)


def _check_budget() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.check()


def render_within_limits(
    template: jinja2.Template, context: Mapping[str, Any], *, seconds: float
) -> str:
    """The template's output; a DraftError once it passes ``MAX_OUTPUT`` characters or
    ``seconds`` of rendering."""
    budget = _Budget(seconds, time.monotonic() + seconds)
    token = _budget.set(budget)
    try:
        kept: list[str] = []
        size = 0
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise DraftError(f"the text is longer than {MAX_OUTPUT:,} characters")
            budget.check()
            kept.append(piece)
        return "".join(kept)
    finally:
        _budget.reset(token)


class LimitedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with the limits this module describes."""

    intercepted_binops = frozenset({"*", "+", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters[_LOOP_FILTER] = _within_budget

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_budget()
        _refuse_oversized(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # Jinja2's own signature: the keyword arguments may be named "self"
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _check_budget()  # a macro calling itself never yields output to be timed
        return super().call(__context, __obj, *args, **kwargs)

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        # Jinja2's hook for changing what a template compiles to: every loop's items pass
        # through the time budget, so loops that print nothing are timed too.
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        return super()._generate(source, name, filename, defer_init)


def _within_budget(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        _check_budget()
        yield item


def _refuse_oversized(operator: str, left: Any, right: Any) -> None:
    """A DraftError if ``left operator right`` would be longer than any template's output."""
    sized = (str, list, tuple)
    if operator == "*":
        for items, count in ((left, right), (right, left)):
            if isinstance(items, sized) and isinstance(count, int):
                _refuse_length(operator, items, len(items) * count)
    elif operator == "+" and isinstance(left, sized) and isinstance(right, sized):
        _refuse_length(operator, left, len(left) + len(right))
    elif operator == "**" and _digits_of_power(left, right) > MAX_OUTPUT:
        raise DraftError(f"'**' would make a number of more than {MAX_OUTPUT:,} digits")


def _digits_of_power(base: Any, exponent: Any) -> float:
    """About how many digits ``base ** exponent`` has, for whole numbers (else 0)."""
    if not isinstance(base, int) or not isinstance(exponent, int):
        return 0
    if abs(base) <= 1 or exponent <= 0:
        return 0
    return exponent * math.log10(abs(base))


def _refuse_length(operator: str, example: object, length: int) -> None:
    if length > MAX_OUTPUT:
        unit = "characters" if isinstance(example, str) else "items"
        raise DraftError(
            f"{operator!r} would make {length:,} {unit}; "
            f"a template may produce at most {MAX_OUTPUT:,} characters"
        )
