"""What a platform's text rules say about one text: a length, its unit, the limit, the verdict."""

from __future__ import annotations

from dataclasses import dataclass

from drafts.messages import N_, Said, said

__all__ = ["Measurement", "TextRules"]


@dataclass(frozen=True)
class Measurement:
    """One count a platform applies to a text, and whether the text passes it.

    `length` is in `unit`; `limit` is None where the platform sets none (webhooks). `platform` is
    the platform's display name, used in `problem`. `rejected` lists characters the platform
    refuses whatever the length (X's invalid characters). `blank` says the text holds nothing but
    whitespace, which no platform publishes.
    """

    length: int
    limit: int | None
    unit: str
    platform: str
    rejected: tuple[str, ...] = ()
    blank: bool = False

    @property
    def fits(self) -> bool:
        """True when the platform would accept the text as far as this count goes."""
        return self.problem() is None

    def problem(self) -> str | None:
        """One line saying what is wrong, for the review screen; None when the text fits.

        For example "312 weighted characters, over X's limit of 280 by 32".
        """
        found = self.said()
        return str(found) if found is not None else None

    def said(self) -> Said | None:
        """``problem`` as a sentence, for a page to say in its reader's language."""
        if self.blank:
            return said(N_("empty text"))
        if self.rejected:
            names = ", ".join(f"U+{ord(char):04X}" for char in self.rejected)
            return said(
                N_("contains %(names)s, which %(platform)s rejects"),
                names=names,
                platform=said(self.platform),
            )
        if self.limit is not None and self.length > self.limit:
            over = N_("%(length)s %(unit)s, over %(platform)s's limit of %(limit)s by %(over)s")
            if self.platform.endswith("s"):
                over = N_("%(length)s %(unit)s, over %(platform)s' limit of %(limit)s by %(over)s")
            return said(
                over,
                length=f"{self.length:,}",
                unit=said(self.unit),
                platform=said(self.platform),
                limit=f"{self.limit:,}",
                over=f"{self.length - self.limit:,}",
            )
        return None


@dataclass(frozen=True)
class TextRules:
    """The settings of one channel that change how its text is counted.

    Mastodon instances choose their own limit and URL allowance (`GET /api/v2/instance`:
    configuration.statuses.max_characters and characters_reserved_per_url); the defaults are
    Mastodon's own.
    """

    max_characters: int = 500
    characters_reserved_per_url: int = 23

    def __post_init__(self) -> None:
        if self.max_characters < 1:
            raise ValueError(f"max_characters must be at least 1, not {self.max_characters}")
        if self.characters_reserved_per_url < 0:
            raise ValueError(
                "characters_reserved_per_url cannot be negative, "
                f"not {self.characters_reserved_per_url}"
            )
