"""From a picture to the condition: colour and texture features -> valence and arousal -> attributes,
a default band, and a caption that the text encoder places in the same condition space as prompts.

Valence and arousal follow Valdez & Mehrabian (1994): pleasure = 0.69 brightness + 0.22 saturation,
arousal = -0.31 brightness + 0.60 saturation (brightness and saturation in 0..1), recentred to -1..1;
contrast, colourfulness and edge density add to arousal, warmth adds to valence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.ask.mood import Affect
from composer.core.errors import ComposerError
from composer.core.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

FORMATS = {"PNG", "JPEG", "WEBP"}
HUE_NAMES = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta")


@dataclass(frozen=True)
class ImageFeatures:
    brightness: float  # mean V of HSV, 0..1
    saturation: float  # mean S, 0..1
    warmth: float  # share of warm hues (red-yellow) among coloured pixels minus cool ones (cyan-blue), -1..1
    hue_histogram: tuple[float, ...]  # share of coloured pixels in each of HUE_NAMES
    contrast: float  # standard deviation of luminance, 0..0.5
    colourfulness: float  # Hasler & Suesstrunk (2003), scaled to about 0..1
    edge_density: float  # share of pixels on a Sobel edge
    texture: float  # mean gradient magnitude, 0..1
    dominant_colours: tuple[str, ...]  # hex, most common first


@dataclass(frozen=True)
class SeenImage:
    features: ImageFeatures
    affect: Affect
    band: list[int]
    caption: str


def load_image(path: str | Path):  # type: ignore[no-untyped-def]
    """Open a PNG, JPEG or WebP as RGB, refusing anything else, oversized files and pictures of more than
    MAX_IMAGE_PIXELS (a decompression bomb) with one clear ComposerError, before decoding any pixels."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ComposerError(f"{path}: no such image file")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ComposerError(f"{path} is larger than {MAX_IMAGE_BYTES // 2**20} MB")
    too_large = f"{path} has more than {MAX_IMAGE_PIXELS // 10**6} million pixels; scale it down"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own, lower limit follows
            with Image.open(path) as image:  # reads the header only: the size is known, no pixel decoded
                if image.format not in FORMATS:
                    raise ComposerError(f"{path} is a {image.format} image; use PNG, JPEG or WebP")
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ComposerError(f"{path} is {width}x{height} pixels, more than "
                                        f"{MAX_IMAGE_PIXELS // 10**6} million; scale it down")
                image.thumbnail((256, 256))
                return image.convert("RGB")
    except Image.DecompressionBombError:  # PIL's own check, in Image.open, on pictures past 179 Mpx
        raise ComposerError(too_large) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ComposerError(f"{path} is not a readable image (PNG, JPEG or WebP): {reason}") from None


def image_features(image) -> ImageFeatures:  # type: ignore[no-untyped-def]
    rgb = np.asarray(image, dtype=np.float64) / 255.0
    hsv = np.asarray(image.convert("HSV"), dtype=np.float64) / 255.0
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    coloured = (sat > 0.15) & (val > 0.15)
    bins = ((hue * 8 + 0.5).astype(int) % 8)[coloured]  # red centred on 0
    histogram = np.bincount(bins, minlength=8) / max(1, bins.size)
    warm = histogram[[0, 1, 2, 7]].sum()
    cool = histogram[[4, 5]].sum()
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    colourfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    gx = np.zeros_like(luminance)
    gy = np.zeros_like(luminance)
    gx[:, 1:-1] = luminance[:, 2:] - luminance[:, :-2]
    gy[1:-1, :] = luminance[2:, :] - luminance[:-2, :]
    magnitude = np.hypot(gx, gy)
    palette = image.quantize(colors=4, method=2)  # median cut
    counts = sorted(palette.getcolors() or [], reverse=True)
    colours = palette.getpalette() or []
    dominant = tuple("#" + "".join(f"{c:02x}" for c in colours[3 * i:3 * i + 3]) for _, i in counts)
    return ImageFeatures(
        brightness=float(val.mean()), saturation=float(sat.mean()), warmth=float(warm - cool),
        hue_histogram=tuple(float(x) for x in histogram), contrast=float(luminance.std()),
        colourfulness=float(min(1.0, colourfulness / 0.6)), edge_density=float((magnitude > 0.2).mean()),
        texture=float(min(1.0, magnitude.mean() * 4)), dominant_colours=dominant)


def affect_of_image(f: ImageFeatures) -> Affect:
    pleasure = 0.69 * f.brightness + 0.22 * f.saturation  # 0..0.91
    arousal = -0.31 * f.brightness + 0.60 * f.saturation  # -0.31..0.60
    valence = (pleasure - 0.45) / 0.45 + 0.25 * f.warmth
    energy = (arousal - 0.15) / 0.45 + 0.8 * (f.contrast - 0.2) + 0.5 * (f.colourfulness - 0.3) \
        + 0.8 * (f.edge_density - 0.1)
    return Affect(float(np.clip(valence, -1, 1)), float(np.clip(energy, -1, 1)), ("image",))


def band_of_image(f: ImageFeatures, affect: Affect) -> list[int]:
    """A default band from the picture's energy and colour."""
    if affect.arousal > 0.5:
        return [48, 60, 47, -1]  # strings, horn, timpani, drums
    if f.hue_histogram[5] + f.hue_histogram[4] > 0.5:
        return [89, 0, 46]  # blue and cyan: pad, piano, harp
    if affect.valence > 0.3:
        return [73, 46, 48]  # flute, harp, strings
    return [0, 48]  # piano and strings


def caption_of_image(f: ImageFeatures, affect: Affect) -> str:
    light = "bright" if f.brightness > 0.6 else "dark" if f.brightness < 0.35 else "softly lit"
    colour = HUE_NAMES[int(np.argmax(f.hue_histogram))] if f.saturation > 0.15 else "grey"
    mood = ("joyful" if affect.valence > 0.3 else "sad" if affect.valence < -0.3 else "calm") if affect.arousal < 0.3 \
        else ("energetic" if affect.valence > 0 else "tense")
    pace = "fast" if affect.arousal > 0.3 else "slow" if affect.arousal < -0.3 else "moderate"
    return f"a {mood}, {pace} piece for a {light} {colour} picture"


def affect_from_encoder(image, encoder_dir: str | Path, top: int = 3) -> Affect:  # type: ignore[no-untyped-def]
    """Zero-shot mood words for the picture from a local CLIP or SigLIP model: the picture is compared
    with "a picture that feels WORD" for every word of the mood lexicon, and the best `top` words'
    valence and arousal are averaged, weighted by their probabilities. Nothing is downloaded."""
    import torch

    from composer.ask.mood import AFFECT

    folder = Path(encoder_dir)
    if not folder.is_dir():
        raise ComposerError(f"--image-encoder {folder}: no such folder")
    try:
        from transformers import AutoImageProcessor, AutoModel, AutoTokenizer
    except ImportError:
        raise ComposerError("--image-encoder needs transformers: pip install 'composer[image]' "
                            "(or pip install transformers)") from None
    try:
        model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ComposerError(f"{folder} is not a CLIP or SigLIP model folder ({str(exc).splitlines()[0]})") from None
    if not (hasattr(model, "get_text_features") and hasattr(model, "get_image_features")):
        raise ComposerError(f"{folder} holds a {type(model).__name__}, not a CLIP or SigLIP model")
    words = list(AFFECT)
    with torch.no_grad():
        text = model.get_text_features(**tokenizer([f"a picture that feels {w}" for w in words], padding=True,
                                                   return_tensors="pt"))
        seen = model.get_image_features(**processor(images=image, return_tensors="pt"))
    text, seen = (getattr(x, "pooler_output", x) for x in (text, seen))
    similarity = torch.nn.functional.normalize(seen, dim=-1) @ torch.nn.functional.normalize(text, dim=-1).T
    weights, best = torch.softmax(similarity[0] * 100.0, dim=-1).topk(min(top, len(words)))
    weights = weights / weights.sum()
    chosen = [words[i] for i in best.tolist()]
    valence = float(sum(w * AFFECT[word][0] for w, word in zip(weights.tolist(), chosen, strict=True)))
    arousal = float(sum(w * AFFECT[word][1] for w, word in zip(weights.tolist(), chosen, strict=True)))
    return Affect(valence, arousal, tuple(chosen))


def describe_image(path: str | Path, encoder_dir: str | Path | None = None) -> SeenImage:
    """Features, affect, band and caption of a picture; with a local CLIP/SigLIP folder, its zero-shot
    mood words are blended with the colour features."""
    image = load_image(path)
    features = image_features(image)
    affect = affect_of_image(features)
    caption = caption_of_image(features, affect)
    if encoder_dir is not None:
        tagged = affect_from_encoder(image, encoder_dir)
        affect = Affect((affect.valence + tagged.valence) / 2, (affect.arousal + tagged.arousal) / 2,
                        affect.words + tagged.words)
        caption += ", " + ", ".join(tagged.words)
    return SeenImage(features, affect, band_of_image(features, affect), caption)
