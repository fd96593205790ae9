"""Draw the source pictures of the drawing examples with PIL: shapes, a cat's silhouette and lettering.

Run: .venv/bin/python examples/draw/make_pictures.py   (writes shapes/, cat/ and lettering/ source PNGs)
Each is 2:1, the shape of a 4-bar piano roll, black on white.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

HERE = Path(__file__).resolve().parent
SIZE = (320, 160)


def shapes() -> Image.Image:
    """A circle and a triangle."""
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 15, 150, 145), fill="black")
    draw.polygon([(175, 145), (305, 145), (240, 15)], fill="black")
    return image


def cat() -> Image.Image:
    """A sitting cat seen from the side: body, head, two ears and a curled tail, all polygons and ellipses."""
    image = Image.new("RGB", SIZE, (235, 225, 200))  # a warm paper background
    draw = ImageDraw.Draw(image)
    ink = (25, 20, 30)
    draw.ellipse((95, 60, 215, 155), fill=ink)  # body
    draw.ellipse((165, 25, 235, 90), fill=ink)  # head
    draw.polygon([(172, 45), (178, 5), (198, 32)], fill=ink)  # ears
    draw.polygon([(205, 32), (225, 5), (232, 48)], fill=ink)
    draw.line([(105, 140), (70, 140), (45, 120), (40, 90), (52, 70)], fill=ink, width=14, joint="curve")  # tail
    return image


def lettering() -> Image.Image:
    """The word HI in Pillow's bundled sans-serif font, cropped around the letters so they fill the frame."""
    large = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(large).text((200, 100), "HI", font=ImageFont.load_default(size=150), fill="black", anchor="mm")
    x0, y0, x1, y1 = ImageOps.invert(large.convert("L")).getbbox() or (0, 0, 400, 200)
    return large.crop((x0 - 20, y0 - 12, x1 + 20, y1 + 12)).resize(SIZE, Image.Resampling.LANCZOS)


PICTURES = {"shapes": shapes, "cat": cat, "lettering": lettering}


def main() -> None:
    for name, make in PICTURES.items():
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        make().save(folder / f"{name}-source.png")
        print(folder / f"{name}-source.png")


if __name__ == "__main__":
    main()
