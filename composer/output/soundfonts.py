"""Finding a General MIDI soundfont: the user's choice first, then the repo, the system, pretty_midi's."""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

from composer.core.errors import SoundfontError

ENV_VAR = "COMPOSER_SOUNDFONT"
SOUNDFONT_SUFFIXES = (".sf2", ".sf3")
REPO_SOUNDFONT_DIR = Path(__file__).resolve().parents[2] / "soundfonts"

# General MIDI soundfonts that Debian, Ubuntu, Fedora, Arch and Homebrew packages install, best first.
SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),
    Path("/usr/share/soundfonts/MuseScore_General.sf3"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
    Path("/usr/share/soundfonts/default.sf2"),
    Path("/opt/homebrew/share/soundfonts/default.sf2"),
    Path("/usr/local/share/soundfonts/default.sf2"),
)


@dataclass(frozen=True)
class SoundfontCandidate:
    """A soundfont file and where the lookup found it."""

    path: Path
    source: str  # "--soundfont", "$COMPOSER_SOUNDFONT", "soundfonts/", "system" or "pretty_midi"

    @property
    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


def bundled_soundfont() -> Path | None:
    """The small GM soundfont (TimGM6mb) that ships inside pretty_midi, the last resort."""
    resource = importlib.resources.files("pretty_midi") / "TimGM6mb.sf2"
    path = Path(str(resource))
    return path if path.is_file() else None


def _folder_soundfonts(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SOUNDFONT_SUFFIXES and p.is_file())


def _checked(path: Path, source: str) -> Path:
    if not path.is_file():
        raise SoundfontError(f"soundfont {path} (from {source}) does not exist; "
                             "run `composer soundfonts` to see the ones found")
    if path.suffix.lower() not in SOUNDFONT_SUFFIXES:
        raise SoundfontError(f"soundfont {path} (from {source}) is not a .sf2 or .sf3 file")
    return path


def find_soundfonts(explicit: str | os.PathLike[str] | None = None) -> list[SoundfontCandidate]:
    """Every usable soundfont in lookup order: `explicit`, $COMPOSER_SOUNDFONT, soundfonts/, system, pretty_midi.

    An explicit path or environment variable that names a missing file raises SoundfontError: the
    user asked for that file, so quietly using another would hide the mistake.
    """
    found: list[SoundfontCandidate] = []
    if explicit is not None:
        found.append(SoundfontCandidate(_checked(Path(explicit), "--soundfont"), "--soundfont"))
    env_value = os.environ.get(ENV_VAR, "").strip()
    if env_value:
        found.append(SoundfontCandidate(_checked(Path(env_value), f"${ENV_VAR}"), f"${ENV_VAR}"))
    for folder in dict.fromkeys([REPO_SOUNDFONT_DIR, Path.cwd() / "soundfonts"]):
        found += [SoundfontCandidate(p, "soundfonts/") for p in _folder_soundfonts(folder)]
    found += [SoundfontCandidate(p, "system") for p in SYSTEM_SOUNDFONTS if p.is_file()]
    bundled = bundled_soundfont()
    if bundled is not None:
        found.append(SoundfontCandidate(bundled, "pretty_midi"))
    unique: dict[Path, SoundfontCandidate] = {}
    for candidate in found:
        unique.setdefault(candidate.path.resolve(), candidate)
    return list(unique.values())


def resolve_soundfont(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The soundfont to render with: the first of `find_soundfonts`, or SoundfontError when there is none."""
    candidates = find_soundfonts(explicit)
    if not candidates:
        raise SoundfontError(
            "no soundfont found: pass --soundfont FILE.sf2, set $COMPOSER_SOUNDFONT, put one in soundfonts/, "
            "or install one (Debian/Ubuntu: sudo apt-get install fluid-soundfont-gm)")
    return candidates[0].path
