"""Post templates: find them, list them, and render one for a language and a platform.

A template is a file ``{kind}.{language}.txt.j2`` (``hiring.ko.txt.j2``) in one of the library's
folders. Folders are searched in order and the first file found wins, so a user folder can replace
one language of a built-in template and keep the others.

Templates run in Jinja2's sandbox, within the limits of ``drafts.render_limits`` (output size,
render time), and must be given every field they print: a missing field is a DraftError naming
it, never an empty string. Besides the draft's fields, every template receives
``language`` (a BCP 47 tag) and ``platform`` (``x``, ``linkedin``...), and these filters, which
format for the render's language:

    date       a date or an aware datetime, as a date (``December 15, 2026``, ``2026년 12월 15일``)
    datetime   an aware datetime with its time (a plain date prints as ``date`` does)
    number     a number with the language's separators
    hashtags   a list of words as ``#One #Two``

The rendered text is tidied: no trailing spaces, no leading or trailing blank lines, never more
than one blank line in a row.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context

from drafts.errors import ConfigError, DraftError
from drafts.messages import N_, problem
from drafts.render_limits import RENDER_SECONDS, LimitedSandbox, render_within_limits
from drafts.shipped import shipped_path
from drafts.text_files import not_utf8

TEMPLATE_SUFFIX = ".txt.j2"
RENDERER_VARIABLES = frozenset({"language", "platform", "occurrence", "occurrence_date"})
"""Variables every render sets itself; a draft may not give fields with these names."""

_TEMPLATE_NAME = re.compile(r"^(?P<kind>[\w-]+)\.(?P<language>[A-Za-z0-9-]+)\.txt\.j2$")
_UNDEFINED_NAME = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_BLANK_RUN = re.compile(r"\n{3,}")


def builtin_templates() -> Path:
    """The folder of post templates shipped with Tidings, in a wheel or in a checkout."""
    here = Path(__file__).resolve().parent
    return shipped_path(
        here, in_wheel="templates/posts", in_checkout="templates/posts", what="post templates"
    )


class TemplateLibrary:
    """The post templates found in a search path, rendered in a shared sandboxed environment."""

    def __init__(
        self, search_path: Sequence[Path], *, render_seconds: float = RENDER_SECONDS
    ) -> None:
        """Search ``search_path`` in order: user folders first, then the built-in one; a render
        that takes longer than ``render_seconds`` is refused."""
        for folder in search_path:
            if not folder.is_dir():
                raise ConfigError(f"templates: {folder} is not a folder")
        self.search_path = tuple(search_path)
        self.render_seconds = render_seconds
        self._loader = _Utf8Loader(self.search_path, encoding="utf-8")
        self._env = LimitedSandbox(
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for social platforms, never HTML
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(
            date=_date_filter,
            datetime=_datetime_filter,
            number=_number_filter,
            hashtags=_hashtags_filter,
        )
        self._fields: dict[tuple[str, str], frozenset[str]] = {}
        self._trees: dict[tuple[str, str], nodes.Template] = {}

    @classmethod
    def default(cls, extra: Sequence[Path] = ()) -> TemplateLibrary:
        """A library of the ``extra`` folders, then the built-in templates."""
        return cls([*extra, builtin_templates()])

    def kinds(self) -> list[str]:
        """The template names available in any language, sorted."""
        return sorted(self._catalogue())

    def languages(self, template: str) -> list[str]:
        """The languages ``template`` exists in, sorted; a DraftError if it does not exist."""
        catalogue = self._catalogue()
        if template not in catalogue:
            available = ", ".join(sorted(catalogue)) or "none"
            raise DraftError(f"template {template}: not found; available templates: {available}")
        return sorted(catalogue[template])

    def fields(self, template: str, language: str) -> frozenset[str]:
        """Every field the template reads, required or optional (not ``language``/``platform``).

        Worked out once per source of the file: an import asks for every row, and parsing is
        most of a draft's cost; an edited file is a new source, read anew."""
        source, tree = self.parsed(template, language)
        if (template, source) not in self._fields:
            self._fields[template, source] = fields_read(tree)
        return self._fields[template, source]

    def parsed(self, template: str, language: str) -> tuple[str, nodes.Template]:
        """The source of the file ``render`` uses and its syntax tree; a DraftError if there is
        no such file or it does not parse. Parsed once per source of the file (an edited file
        is a new source): composing reads the tree for every draft, an import for every row."""
        name = self._name(template, language)
        source, filename, _ = self._loader.get_source(self._env, name)
        if (name, source) not in self._trees:
            self._trees[name, source] = self._parse(source, name, filename)
        return source, self._trees[name, source]

    def _parse(self, source: str, name: str, filename: str | None) -> nodes.Template:
        try:
            return self._env.parse(source, name, filename)
        except jinja2.TemplateSyntaxError as error:
            raise _syntax_error(error) from None

    def unknown_fields(
        self, template: str, languages: Iterable[str], given: Iterable[str]
    ) -> dict[str, str | None]:
        """The given fields no language of the template reads, each with the closest known name.

        Maps ``"postion"`` to ``"position"``, or to None when no known field is close. A language
        the template lacks is a DraftError, as in ``render``.
        """
        used: set[str] = set()
        for language in languages:
            used |= self.fields(template, language)
        known = sorted(used)
        # difflib's default cutoff (0.6) offers "summary" for "salary": only typos should match.
        return {
            name: next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.75)), None)
            for name in sorted(set(given) - used)
        }

    def render(
        self,
        template: str,
        language: str,
        fields: Mapping[str, object],
        *,
        platform: str,
        occurrence: int = 1,
        occurrence_date: dt.date | None = None,
    ) -> str:
        """The post text of ``template`` in ``language`` for ``platform``, tidied; for one
        ``occurrence`` of a repeating draft (its number and its date in the draft's zone; a
        draft that does not repeat is occurrence 1, with its date once publish_at gives one).

        Every problem (unknown template or language, missing field, template error, sandbox
        violation) is a DraftError with one line naming the field, the template or the file.
        """
        reserved = sorted(RENDERER_VARIABLES & fields.keys())
        if reserved:
            raise DraftError(f"fields.{reserved[0]}: reserved; the renderer sets it for each post")
        name = self._name(template, language)
        _locale(language)  # an unknown language fails here, before any filter needs it
        compiled = self._compile(name)
        series = {"occurrence": occurrence, "occurrence_date": occurrence_date}
        known = {key: value for key, value in series.items() if value is not None}
        context = {**fields, "language": language, "platform": platform, **known}
        where = f"template {template} ({language})"
        try:
            text = render_within_limits(compiled, context, seconds=self.render_seconds)
        except SecurityError as error:
            raise DraftError(f"{where}: blocked by the sandbox: {error}") from None
        except jinja2.UndefinedError as error:
            missing = _UNDEFINED_NAME.match(str(error))
            if missing:
                required = N_("required by template %(template)s (%(language)s)")
                key = f"fields.{missing['name']}"
                raise DraftError(
                    problem(key, required, template=template, language=language)
                ) from None
            raise DraftError(_runtime_error(where, compiled.filename, error)) from None
        except DraftError as error:  # a filter refused a value, or a limit was reached
            raise DraftError(f"{where}: {error}") from None
        except (
            jinja2.TemplateError,
            TypeError,
            ValueError,
            LookupError,
            ArithmeticError,
            RecursionError,  # a macro that calls itself without end
        ) as error:
            # Templates are user content: their mistakes get one line, not a traceback.
            raise DraftError(_runtime_error(where, compiled.filename, error)) from None
        return tidy(text)

    def _catalogue(self) -> dict[str, set[str]]:
        """Template name → languages, read from the folders on each call so edits show at once."""
        catalogue: dict[str, set[str]] = {}
        for name in self._loader.list_templates():
            match = _TEMPLATE_NAME.match(name)
            if match:
                catalogue.setdefault(match["kind"], set()).add(match["language"])
        return catalogue

    def _name(self, template: str, language: str) -> str:
        """The file name of ``template`` in ``language``; a DraftError if it does not exist."""
        languages = self.languages(template)
        if language not in languages:
            raise DraftError(
                f"template {template}: no {language} version; it exists in {', '.join(languages)}"
            )
        return f"{template}.{language}{TEMPLATE_SUFFIX}"

    def _compile(self, name: str) -> jinja2.Template:
        """The compiled template, from the environment's cache when its file is unchanged."""
        try:
            return self._env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise _syntax_error(error) from None


class _Utf8Loader(jinja2.FileSystemLoader):
    """Loads templates from folders; a file that is not UTF-8 is a DraftError naming it."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as problem:
            raise DraftError(not_utf8(f"template {template}", problem)) from None


def fields_read(tree: nodes.Template) -> frozenset[str]:
    """The fields a parsed template reads (not ``language``/``platform``)."""
    return frozenset(meta.find_undeclared_variables(tree) - RENDERER_VARIABLES)


def tidy(text: str) -> str:
    """``text`` without trailing spaces, outer blank lines, or more than one blank line in a row."""
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_RUN.sub("\n\n", lines).strip()


def _syntax_error(error: jinja2.TemplateSyntaxError) -> DraftError:
    return DraftError(f"{error.filename}:{error.lineno}: template syntax error: {error.message}")


def _runtime_error(where: str, filename: str | None, error: Exception) -> str:
    """One line for an error raised while a template ran, with the template line when known."""
    line = _template_line(error.__traceback__, filename)
    location = f" at {filename}:{line}" if line else ""
    return f"{where}{location}: {error}"


def _template_line(traceback: TracebackType | None, filename: str | None) -> int | None:
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    line = None
    while traceback is not None:
        if filename and traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """The Babel locale for a BCP 47 tag, or for its primary language when Babel lacks the tag."""
    for tag in (language, language.split("-", 1)[0]):
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    raise DraftError(f"language {language}: not a language tag Babel knows (e.g. en, ko, zh-Hans)")


def _context_locale(context: Context) -> Locale:
    return _locale(str(context["language"]))


def _require_defined(value: object) -> None:
    """Nothing, or the UndefinedError that names the missing field ``value`` stands for."""
    # Filters are handed Undefined objects (that is how ``default`` works): without this, a
    # missing field would be reported as a wrong value.
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here


def _require_aware(value: object, filter_name: str) -> dt.date:
    """``value`` if it is a date or an aware datetime; a DraftError naming the value otherwise."""
    _require_defined(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise DraftError(f"{filter_name} filter: {value.isoformat()} has no timezone")
        return value
    if isinstance(value, dt.date):
        return value
    raise DraftError(f"{filter_name} filter: expected a date, got {value!r}")


@jinja2.pass_context
def _date_filter(context: Context, value: object, format: str = "long") -> str:
    """The date part of ``value``, in the datetime's own zone; ``format`` is a name or a pattern."""
    day = _require_aware(value, "date")
    return str(format_date(day, format, locale=_context_locale(context)))


@jinja2.pass_context
def _datetime_filter(
    context: Context,
    value: object,
    format: str | None = None,
    tz: str | None = None,
    zone: bool = False,
) -> str:
    """An aware datetime with its time, in its own zone or in ``tz``; ``zone`` adds the zone name.

    Without ``format``: the long date with the short time (``December 15, 2026, 2:00 PM``).
    """
    when = _require_aware(value, "datetime")
    locale = _context_locale(context)
    if not isinstance(when, dt.datetime):
        return str(format_date(when, format or "long", locale=locale))
    if tz is not None:
        when = when.astimezone(_zone(tz))
    if format is None:
        # CLDR's own "long" date+time pattern would add seconds and a UTC offset.
        date_part = format_date(when, "long", locale=locale)
        time_part = format_time(when, "short", tzinfo=when.tzinfo, locale=locale)
        pattern = str(locale.datetime_formats["long"]).replace("'", "")
        text = pattern.replace("{0}", time_part).replace("{1}", date_part)
    else:
        text = str(format_datetime(when, format, tzinfo=when.tzinfo, locale=locale))
    if zone:
        text += f" ({format_time(when, 'zzzz', tzinfo=when.tzinfo, locale=locale)})"
    return text


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DraftError(f"datetime filter: unknown timezone {name!r}") from None


@jinja2.pass_context
def _number_filter(context: Context, value: object, format: str | None = None) -> str:
    """``value`` with the language's digit grouping and decimal sign (``12,500`` / ``12.500``)."""
    _require_defined(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise DraftError(f"number filter: expected a number, got {value!r}")
    return str(format_decimal(value, format, locale=_context_locale(context)))


def _hashtags_filter(value: object) -> str:
    """``["ZeroWaste", "#Seoul"]`` (or ``"ZeroWaste Seoul"``) as ``#ZeroWaste #Seoul``."""
    _require_defined(value)
    words = value.split() if isinstance(value, str) else value
    if not isinstance(words, list | tuple):
        raise DraftError(f"hashtags filter: expected a list of words, got {value!r}")
    tags = []
    for word in words:
        tag = word.removeprefix("#") if isinstance(word, str) else ""
        if not tag or any(char.isspace() for char in tag):
            raise DraftError(
                f"hashtags filter: {word!r} is not a hashtag (one word, like ZeroWaste)"
            )
        tags.append(f"#{tag}")
    return " ".join(tags)
