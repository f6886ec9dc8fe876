"""How quickly the command line answers (issue 16, point 3).

    python bench/startup.py
    python bench/startup.py --runs 20

Each command runs as a person runs it, a fresh ``tidings`` process, ``--runs`` times; the
figure is the quickest run (the machine is shared, and the slower runs measure the
neighbours). ``queue`` reads an empty SQLite database made by ``tidings init`` in a temporary
folder, which also keeps the compiled bytecode, as an installed Tidings has it. Then each
command runs once more under ``PYTHONPROFILEIMPORTTIME``, and the bench prints how many
modules it imported and the ten that cost most: each with everything it imported, and none
listed inside another listed one. The targets are printed beside the figures; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (arguments, target wall time in seconds)
COMMANDS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("--help",), 0.25),
    (("--version",), 0.25),
    (("queue",), 0.5),
)


@dataclass(frozen=True)
class Imported:
    """One line of ``-X importtime``: a module, its own and cumulative microseconds, and how
    deep it was imported (0: by the program itself)."""

    name: str
    own_us: int
    cumulative_us: int
    depth: int


def startup_environment(folder: Path) -> dict[str, str]:
    """This environment without Tidings' variables, and with compiled bytecode kept (in
    ``folder``, not the checkout) as an installed Tidings has it: with
    PYTHONDONTWRITEBYTECODE set, every run would compile Tidings' modules anew."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TIDINGS_") and name != "PYTHONDONTWRITEBYTECODE"
    }
    return {**env, "PYTHONPYCACHEPREFIX": str(folder / "bytecode")}


def tidings_command() -> list[str]:
    """The ``tidings`` script beside this Python, as installed; else ``python -m tidings``."""
    script = Path(sys.executable).parent / "tidings"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tidings"]


def run(argv: Sequence[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)


def quickest(argv: Sequence[str], folder: Path, env: dict[str, str], runs: int) -> float:
    """The quickest of ``runs`` wall times, in seconds; a failing command stops the bench."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        finished = run(argv, folder, env)
        times.append(time.perf_counter() - started)
        if finished.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed: {finished.stderr.strip()}")
    return min(times)


def imports(args: Sequence[str], folder: Path, env: dict[str, str]) -> list[Imported]:
    """Every module the command imports, in ``-X importtime``'s order (children first)."""
    finished = run([*tidings_command(), *args], folder, {**env, "PYTHONPROFILEIMPORTTIME": "1"})
    modules = []
    for line in finished.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        modules.append(Imported(name.strip(), int(own), int(cumulative), depth))
    return modules


def costliest(modules: Sequence[Imported], count: int = 10) -> list[Imported]:
    """The ``count`` modules that took longest with what they imported, none inside another."""
    # importtime lists a module after everything it imported: its parent is the next shallower line.
    parents: list[int | None] = []
    for index, module in enumerate(modules):
        later = range(index + 1, len(modules))
        parents.append(next((i for i in later if modules[i].depth < module.depth), None))
    chosen: list[int] = []
    for index in sorted(range(len(modules)), key=lambda i: -modules[i].cumulative_us):
        parent = parents[index]
        while parent is not None and parent not in chosen:
            parent = parents[parent]
        if parent is None:
            chosen.append(index)
        if len(chosen) == count:
            break
    return [modules[i] for i in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env = startup_environment(folder)
        run([*tidings_command(), "init"], folder, env).check_returncode()  # and bytecode cached
        python = quickest([sys.executable, "-c", "pass"], folder, env, options.runs)
        print(f"{'python -c pass':<20} {python:6.3f} s  (the interpreter alone)")
        for args, target in COMMANDS:
            wall = quickest([*tidings_command(), *args], folder, env, options.runs)
            verdict = "ok" if wall <= target else "over"
            print(
                f"{'tidings ' + ' '.join(args):<20} {wall:6.3f} s  target ≤ {target} s  {verdict}"
            )
        for args, _target in COMMANDS:
            modules = imports(args, folder, env)
            print(f"\ntidings {' '.join(args)}: {len(modules)} modules imported; the costliest:")
            for module in costliest(modules):
                print(f"  {module.cumulative_us / 1000:7.1f} ms  {module.name}")


if __name__ == "__main__":
    main()
