"""What changed, on the terminal in wdiff's marks (``[-old-]{+new+}``), which read the same
with colours or without: a draft's posts since a review decision, and a repeating draft's
later occurrences as their texts differ from the first's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from drafts.chains import part_label
from drafts.changes import (
    Change,
    ChangeGroup,
    Changes,
    ImageChange,
    Piece,
    PostChange,
    group_changes,
    word_diff,
)
from drafts.composing import text_problems
from drafts.config import Config
from drafts.learned_limits import LearnedLimits
from drafts.models import Post
from drafts.recurrence import Occurrence
from drafts.review import APPROVED
from drafts.times import show
from tidings.cli.console import out
from tidings.cli.views import (
    NO_LIMITS,
    marked_lines,
    measured,
    occurrence_label,
    status_summary,
)

CHANGE_WORDS = {
    Change.ADDED: "new post",
    Change.REMOVED: "no longer posted",
    Change.CHANGED: "text changed",
}


def print_changes(changes: Changes, zone: tzinfo) -> None:
    """What changed since the last review decision, in wdiff's marks (``[-old-]{+new+}``), which
    read the same with colours or without."""
    verb = "approved it" if changes.decision == APPROVED else "asked for changes"
    heading = f"Changed since {changes.reviewer} {verb} ({show(changes.at, zone)}):"
    print_post_changes(changes.posts, heading, out)


def print_post_changes(posts: Sequence[PostChange], heading: str, console: Console) -> None:
    """Posts that are new, gone or changed under ``heading``, a changed text in wdiff's marks:
    each change once, with the language and channels whose posts it is
    (``ko · linkedin, facebook, threads: text changed``), after its occurrence for a repeating
    draft (``occurrence 3 · en · linkedin: text changed``), and the part of a chain
    (``en · x-en · part 2/3: text changed``, ``en · linkedin · first comment: new comment``)."""
    console.print(Text(heading))
    series = any(post.occurrence != 1 for post in posts)
    for number in sorted({post.occurrence for post in posts}):
        named = f"occurrence {number} · " if series else ""  # of a repeating draft
        for group in group_changes([post for post in posts if post.occurrence == number]):
            channels = ", ".join(group.channels)
            label = part_label(group.part, group.parts)  # of a chain: which part changed
            where = f"{group.language} · {channels}" + (f" · {label}" if label else "")
            console.print(Text(f"  {named}{where}: {_change_words(group)}"))
            if group.change != Change.CHANGED or group.text_changed:
                console.print(_marked(Text("    "), group.pieces))
            for image in group.images:
                console.print(_image_change_line(image))
    if not posts:
        console.print(Text("  The posts read the same; only their order or timing changed."))


def _change_words(group: ChangeGroup) -> str:
    if group.change == Change.ADDED and group.part > 1:  # a part added to a chain
        return "new comment" if group.part > group.parts else "new part"
    if group.change != Change.CHANGED:
        return CHANGE_WORDS[group.change]
    what = ["text changed"] if group.text_changed else []
    what += ["images changed"] if group.images else []
    return " and ".join(what) or CHANGE_WORDS[group.change]


def _image_change_line(image: ImageChange) -> Text:
    """``image 1: replaced (3f2a9c01 → 8e41b7d2), alt: …`` with the alt text in wdiff's marks."""
    words = {
        Change.ADDED: "new",
        Change.REMOVED: "removed",
        Change.REPLACED: f"replaced ({(image.was or '')[:8]} → {image.sha256[:8]})",
        Change.CHANGED: "new alt text",
    }
    line = Text(f"    image {image.number}: {words[image.change]}")
    if image.alt:
        _marked(line.append(", alt: "), image.alt)
    return line


def _marked(line: Text, pieces: Sequence[Piece]) -> Text:
    """``pieces`` appended to ``line`` in wdiff's marks: ``[-removed-]{+added+}``."""
    for piece in pieces:
        if piece.change == Change.REMOVED:
            line.append(f"[-{piece.text}-]", style="red strike")
        elif piece.change == Change.ADDED:
            line.append(f"{{+{piece.text}+}}", style="green")
        else:
            line.append(piece.text)
    return line


def print_later_occurrences(
    draft_id: int,
    everything: Sequence[Occurrence],
    posts: Sequence[Post],
    config: Config,
    learned: LearnedLimits = NO_LIMITS,
) -> None:
    """Each occurrence after the first as its texts differ from the first's, in wdiff's marks
    (``City of the week [-1-]{+2+}``), a text the same in several channels said once with their
    names; a post's problems under it. Every text can be read back from these and the first
    occurrence's posts; ``draft show --all`` prints each in full."""
    first = {
        (post.channel, post.language, post.part): post.text
        for post in posts
        if post.occurrence == 1
    }
    out.print(
        Text(
            f"Later occurrences, as their texts differ from occurrence 1 (each post in full: "
            f"tidings draft show {draft_id} --all):"
        ),
        soft_wrap=False,
    )
    for occurrence in everything[1:]:
        own = [post for post in posts if post.occurrence == occurrence.number]
        out.print(Text(f"  {occurrence_label(occurrence, config.zone)}", style="bold"))
        groups: dict[tuple[str, str, bool, tuple[Piece, ...]], list[Post]] = {}
        for post in own:
            before = first.get((post.channel, post.language, post.part))
            same = before == post.text
            pieces = word_diff(before, post.text) if before is not None else (Piece(post.text),)
            label = part_label(post.part, post.parts)  # of a chain: each part by itself
            key = (post.language, label, same, () if same else pieces)
            groups.setdefault(key, []).append(post)
        for (language, label, same, pieces), grouped in groups.items():
            channels = ", ".join(post.channel for post in grouped) + (
                f" · {label}" if label else ""
            )
            line = Text(f"    {language} · {channels} · {status_summary(grouped)}: ")
            if same:
                line.append("same text", style="dim")
            else:
                _marked(line, pieces)
            out.print(line)
            notes = [
                ("✗", Text(f"{post.channel}: {problem}", style="red"))
                for post in grouped
                for problem in _problems(post, config, learned)
            ]
            if notes:
                out.print(Padding(marked_lines(notes), (0, 0, 0, 6), expand=False))


def _problems(post: Post, config: Config, learned: LearnedLimits) -> list[str]:
    return text_problems(post.text, measured(post, config, learned))
