"""Languages by their names: ``ko`` is "Korean" to an English reader and "한국어" to a Korean one.

Pages name a draft's languages in the viewer's language (Babel's display names: "Chinese
(Traditional)" for ``zh-Hant``) and keep the tag in ``lang`` attributes and form names. A tag
Babel does not know (``qaa``, a private use tag) is shown as written.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError


@lru_cache(maxsize=512)
def language_name(tag: str, viewer_language: str) -> str:
    """``tag``'s name in ``viewer_language`` (an interface language), else ``tag``."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(viewer_language, sep="-"))
    except (UnknownLocaleError, ValueError, TypeError):
        return tag
    return name or tag
