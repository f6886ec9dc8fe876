"""The demo's photograph, drawn rather than shipped: a volunteer planting day by a river.

Drawn the same way every time (a fixed seed for its grain), large enough that the platforms
with tight limits get a version of their own (Bluesky's 1,000,000-byte blobs, Threads' 1,440
pixels of width), as a phone photo would. It carries a phone's EXIF, GPS position included,
so the demo shows that none of it reaches any platform.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 3000, 2000
SKY, RIVER, BANK = (150, 195, 235), (60, 120, 170), (105, 150, 70)
VESTS = [(40, 170, 80), (250, 200, 40), (230, 90, 60), (60, 140, 220)]


def draw_photo(path: Path) -> None:
    """Write the demo photo to ``path`` as a JPEG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), SKY)
    draw = ImageDraw.Draw(image)
    _landscape(draw)
    rng = random.Random(20261203)
    for _ in range(60):
        _shrub(draw, rng)
    for index in range(9):
        _volunteer(draw, 260 + index * 300, 1350 + (index % 3) * 90, VESTS[index % len(VESTS)])
    image = Image.blend(image, Image.effect_noise((WIDTH, HEIGHT), 40).convert("RGB"), 0.3)
    image = image.filter(ImageFilter.SMOOTH)
    exif = image.getexif()
    exif[0x010F], exif[0x0110] = "Demo Phone", "Model 7"  # Make, Model
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 9.0, 3.0), 3: "E", 4: (129.0, 3.0, 40.0)})
    image.save(path, "JPEG", quality=92, exif=exif)


def _landscape(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((2400, 180, 2700, 480), fill=(255, 235, 160))  # the morning sun
    draw.polygon(
        [(0, 900), (700, 620), (1400, 880), (2100, 600), (3000, 860), (3000, 1000), (0, 1000)],
        fill=(120, 160, 120),
    )
    draw.rectangle((0, 1000, WIDTH, 1250), fill=RIVER)
    for y in range(1010, 1250, 24):  # ripples
        draw.line((0, y, WIDTH, y + 6), fill=(90, 150, 195), width=3)
    draw.rectangle((0, 1250, WIDTH, HEIGHT), fill=BANK)


def _shrub(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, y = rng.randrange(0, WIDTH), rng.randrange(1280, HEIGHT - 40)
    size = rng.randrange(40, 110)
    green = (rng.randrange(30, 80), rng.randrange(110, 170), rng.randrange(30, 70))
    draw.ellipse((x - size, y - size // 2, x + size, y + size // 2), fill=green)


def _volunteer(draw: ImageDraw.ImageDraw, x: int, y: int, vest: tuple[int, int, int]) -> None:
    draw.ellipse((x - 45, y - 330, x + 45, y - 240), fill=(225, 185, 150))  # head
    draw.rectangle((x - 70, y - 240, x + 70, y - 60), fill=vest)  # vest
    draw.rectangle((x - 60, y - 60, x - 15, y + 120), fill=(50, 60, 90))  # legs
    draw.rectangle((x + 15, y - 60, x + 60, y + 120), fill=(50, 60, 90))
    draw.line((x + 70, y - 200, x + 170, y + 60), fill=(120, 90, 50), width=14)  # a spade
    draw.rectangle((x + 150, y + 50, x + 200, y + 120), fill=(150, 150, 150))
