"""A post's place in its chain: a thread's parts ``1..parts``, then the first comment at
``parts + 1`` (PRODUCT.md "Threads and first comments"), said the same way everywhere."""

from __future__ import annotations


def part_label(part: int, parts: int) -> str:
    """Which part of its chain a post is (``part 2/4``, ``first comment``); '' for a plain post."""
    if part > parts:
        return "first comment"
    return f"part {part}/{parts}" if parts > 1 else ""
