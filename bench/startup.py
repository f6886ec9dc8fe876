"""How quickly the command line answers (issue 16, point 3).

    python bench/startup.py
    python bench/startup.py --runs 20

Each command runs as a person runs it, a fresh ``tidings`` process, ``--runs`` times; the
figure is the median run's wall time, beside it the target, the quickest run, and the median
processor time (user and system) the process itself took: the machine is shared, and while
the neighbours are busy the wall time also measures them, the processor time less so.
``queue`` and ``log`` read an empty SQLite database made by ``tidings init`` in a temporary
folder, which also keeps the compiled bytecode, as an installed Tidings has it. Then each
command runs three times more under ``PYTHONPROFILEIMPORTTIME``, and the bench prints how many
modules it imported in how long (each module's median), the ten that cost most (each with
everything it imported, none listed inside another listed one) and the packages whose own
modules took longest. The targets are printed beside the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (arguments, target wall time in seconds)
COMMANDS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("--help",), 0.25),
    (("--version",), 0.25),
    (("queue",), 0.5),
    (("log",), 0.5),
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


@dataclass(frozen=True)
class Timing:
    """``runs`` runs of a command: their wall times and the processor time each took, in seconds."""

    walls: list[float]
    cpus: list[float]

    def line(self, name: str, target: float | None) -> str:
        wall = statistics.median(self.walls)
        if target is None:
            aim = "(the interpreter alone)"
        else:
            aim = f"target ≤ {target:.2f} s  {'ok' if wall <= target else 'over':<4}"
        return (
            f"{name:<20} {wall:6.3f} s  {aim:<24}  quickest {min(self.walls):.3f} s  "
            f"processor {statistics.median(self.cpus):.3f} s"
        )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timing(argv: Sequence[str], folder: Path, env: dict[str, str], runs: int) -> Timing:
    """``argv`` run ``runs`` times, one after another; a failing command stops the bench."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu = children_cpu()
        started = time.perf_counter()
        finished = run(argv, folder, env)
        walls.append(time.perf_counter() - started)
        cpus.append(children_cpu() - cpu)
        if finished.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed: {finished.stderr.strip()}")
    return Timing(walls, cpus)


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


def median_imports(args: Sequence[str], folder: Path, env: dict[str, str]) -> list[Imported]:
    """``imports`` of three runs, each module's times the median of its three (a command
    imports the same modules in the same order every run)."""
    runs = [imports(args, folder, env) for _ in range(3)]
    return [
        replace(
            module,
            own_us=int(statistics.median(run[i].own_us for run in runs)),
            cumulative_us=int(statistics.median(run[i].cumulative_us for run in runs)),
        )
        for i, module in enumerate(runs[0])
    ]


def by_package(modules: Sequence[Imported], count: int = 8) -> list[tuple[str, int]]:
    """The ``count`` packages whose own modules took longest to import (microseconds): where the
    time goes, whoever imported them (``drafts.models`` counted apart from the rest of drafts)."""
    totals: dict[str, int] = {}
    for module in modules:
        package = module.name if module.name == "drafts.models" else module.name.split(".")[0]
        totals[package] = totals.get(package, 0) + module.own_us
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


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
        load = ", ".join(f"{each:.1f}" for each in os.getloadavg())
        print(
            f"median wall time of {options.runs} runs; load average {load} on {os.cpu_count()} cores"
        )
        python = timing([sys.executable, "-c", "pass"], folder, env, options.runs)
        print(python.line("python -c pass", None))
        for args, target in COMMANDS:
            command = timing([*tidings_command(), *args], folder, env, options.runs)
            print(command.line(f"tidings {' '.join(args)}", target))
        for args, _target in COMMANDS:
            modules = median_imports(args, folder, env)
            total = sum(module.own_us for module in modules) / 1000
            print(
                f"\ntidings {' '.join(args)}: {len(modules)} modules imported in {total:.0f} ms "
                "(-X importtime, median of 3); the costliest, with what they imported:"
            )
            for module in costliest(modules):
                print(f"  {module.cumulative_us / 1000:7.1f} ms  {module.name}")
            packages = ", ".join(f"{name} {us / 1000:.0f}" for name, us in by_package(modules))
            print(f"  by package (ms): {packages}")


if __name__ == "__main__":
    main()
