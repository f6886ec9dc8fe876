"""LinkedIn's little text: escaping a post and reading it back, before and after issue 18.

    python bench/escaping.py
    python bench/escaping.py --repeat 5

"Before" is the code kept in tests/unit/little_text_reference.py (a Python call per reserved
character to escape, a loop turn per character to read back); "after" is ``escape_little``
(``str.replace`` per reserved character between hashtag starts) and ``read_little`` (one regex
scan). For a realistic post, and for a text of symbols where every other character is
reserved, each repeated to 50,000 characters (the longest text a draft may hold) and to
1,000,000, it prints the best time of ``--repeat`` runs each way and their ratio. Both ways
must give the same text; nothing else is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drafts.text_rules.linkedin import escape_little  # noqa: E402
from scheduler.platforms.linkedin import read_little  # noqa: E402
from tests.unit import little_text_reference as before  # noqa: E402

POST = (
    "🌳 The riverside park (Daegu, phase 2) is open again! New boardwalk_2 & rain gardens; "
    "details at https://example.org/news/riverside_park_(phase-2) or www.example.org/a~b. "
    "Thanks to @team [parks] <and> *everyone* | 강변 공원이 다시 문을 열었습니다. "
    "#NatureBasedSolutions #기후_행동 #Daegu C# 50% \\o/\n"
)
SYMBOLS = "f(x_1) = [a] + {b} <c> * ~d | @e \\ g#h "
TEXTS = {"post": POST, "symbols": SYMBOLS}
SIZES = (50_000, 1_000_000)


def best(step: Callable[[str], str], argument: str, repeat: int) -> float:
    """The shortest of ``repeat`` runs of ``step(argument)``, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step(argument)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    repeat = parser.parse_args().repeat
    print(f"{'text':<8} {'characters':>10}  {'step':<7} {'before':>10} {'after':>10} {'ratio':>7}")
    for (name, unit), size in itertools.product(TEXTS.items(), SIZES):
        text = (unit * (size // len(unit) + 1))[:size]
        commentary = escape_little(text)
        if commentary != before.escape_little(text):
            raise SystemExit("escape_little differs from the reference")
        if read_little(commentary) != before.read_little(commentary):
            raise SystemExit("read_little differs from the reference")
        steps = (
            ("escape", before.escape_little, escape_little, text),
            ("read", before.read_little, read_little, commentary),
        )
        for step, old, new, argument in steps:
            slow, fast = best(old, argument, repeat), best(new, argument, repeat)
            print(
                f"{name:<8} {size:>10,}  {step:<7} {slow * 1000:>8.1f}ms {fast * 1000:>8.1f}ms "
                f"{slow / fast:>6.1f}x"
            )


if __name__ == "__main__":
    main()
