"""The JSON sidecar beside rendered audio: tempo map, bars, beats, loop and sections in seconds and samples."""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from composer.core.atomic import write_bytes_atomic
from composer.core.errors import ComposerError
from composer.core.score import TICKS_PER_BEAT, Marker, Score, TempoMap, TimeSignature

SCHEMA_ID = "urn:composer:schema:sidecar:1"  # the sidecar's "$schema" and the schema's "$id"
SCHEMA_VERSION = 1  # bumped when a field changes meaning or goes away
LOOP_START, LOOP_END = "loopStart", "loopEnd"  # marker names of loop points (the usual DAW/engine spelling)
SIDECAR_NAME = "sidecar.json"  # the sidecar's name in a stems folder when no mix is written
STINGER_MARKER = re.compile(r"stinger \(sync: (beat|bar|marker:(.+))\)")  # the text stinger_marker() writes


# ---------------------------------------------------------------- loop points


def loop_region(score: Score) -> tuple[int, int] | None:
    """(start, end) ticks of the loop from the "loopStart"/"loopEnd" markers, or None when there are none.

    Names are matched without regard to case. A lone loop marker, or an end not after the start, is a
    ComposerError: a half-marked loop would otherwise be rendered as a plain piece without a word.
    """
    found: dict[str, int] = {}
    for marker in score.markers:
        for name in (LOOP_START, LOOP_END):
            if marker.text.strip().lower() == name.lower():
                found.setdefault(name, marker.tick)
    if not found:
        return None
    if len(found) == 1:
        (present,) = found
        missing = LOOP_END if present == LOOP_START else LOOP_START
        raise ComposerError(f"the score has a '{present}' marker but no '{missing}' marker; a loop needs both")
    start, end = found[LOOP_START], found[LOOP_END]
    if end <= start:
        raise ComposerError(f"the loop ends (tick {end}) before it starts (tick {start})")
    return start, end


def set_loop(score: Score, start_tick: int, end_tick: int) -> Score:
    """A copy of the score whose loop runs from `start_tick` to `end_tick` (earlier loop markers replaced)."""
    if start_tick < 0 or end_tick <= start_tick:
        raise ComposerError(f"a loop needs 0 <= start < end, not start={start_tick} end={end_tick}")
    names = {LOOP_START.lower(), LOOP_END.lower()}
    out = score.copy()
    kept = [m for m in out.markers if m.text.strip().lower() not in names]
    out.markers = sorted([*kept, Marker(start_tick, LOOP_START), Marker(end_tick, LOOP_END)],
                         key=lambda m: m.tick)
    return out


def whole_bars_end(score: Score) -> int:
    """The end of the last bar that holds music (or a marker): the piece's length in whole bars."""
    until = max([score.length_ticks, 1] + [m.tick for m in score.markers])
    starts = score.bar_starts(until_tick=until)
    return starts[-1] + _meter_at(score, starts[-1]).bar_ticks


def loop_ticks(score: Score, loop: bool | None = None) -> tuple[int, int] | None:
    """The loop to render: None follows the markers, False is no loop, True the markers or else the whole
    piece in whole bars."""
    if loop is False:
        return None
    region = loop_region(score)
    if region is None and loop:
        return 0, whole_bars_end(score)
    return region


# ---------------------------------------------------------------- stinger sync


def parse_sync(sync: str) -> tuple[str, str | None]:
    """"beat", "bar" or "marker:NAME" -> (unit, marker name or None); anything else is a ComposerError."""
    unit, _, name = sync.partition(":")
    if (unit in ("beat", "bar") and not name) or (unit == "marker" and name.strip()):
        return unit, name.strip() or None
    raise ComposerError(f"sync is beat, bar or marker:NAME (the marker of the music to start on), not {sync!r}")


def stinger_marker(sync: str) -> str:
    """The marker text a stinger carries at its start, e.g. "stinger (sync: bar)"; the sidecar reads it back."""
    unit, name = parse_sync(sync)
    return f"stinger (sync: {unit if name is None else f'marker:{name}'})"


# ---------------------------------------------------------------- the sidecar


def _meter_at(score: Score, tick: int) -> TimeSignature:
    meters = sorted(score.time_signatures, key=lambda ts: ts.tick) or [TimeSignature(0, 4, 4)]
    current = meters[0]
    for meter in meters:
        if meter.tick <= tick:
            current = meter
    return current


class _Timeline:
    """Ticks to seconds, samples and (bar, beat) positions for one score at one sample rate."""

    def __init__(self, score: Score, sample_rate: int, end_tick: int) -> None:
        self.score = score
        self.sample_rate = sample_rate
        self.tempo = TempoMap(score.tempos)
        # bar starts, plus the end as the start of the bar after the last: the end is "bar N+1, beat 1"
        self.bar_starts = score.bar_starts(until_tick=end_tick + 1)
        self.tempos = sorted(score.tempos, key=lambda t: t.tick)
        self.tempo_ticks = [t.tick for t in self.tempos]

    def bpm(self, tick: int) -> float:
        """The tempo at `tick` (before the first change, the first tempo; without any, 120)."""
        index = max(0, bisect.bisect_right(self.tempo_ticks, tick) - 1)
        return self.tempos[index].bpm if self.tempos else 120.0

    def seconds(self, tick: int) -> float:
        return self.tempo.seconds_at(tick)

    def sample(self, tick: int) -> int:
        return round(self.tempo.seconds_at(tick) * self.sample_rate)

    def time(self, tick: int) -> dict[str, Any]:
        return {"tick": tick, "seconds": round(self.seconds(tick), 6), "sample": self.sample(tick)}

    def point(self, tick: int) -> dict[str, Any]:
        """Time plus musical position: bar (from 1) and beat within it (from 1; fractional between beats)."""
        index = max(0, bisect.bisect_right(self.bar_starts, tick) - 1)
        start = self.bar_starts[index]
        beat_ticks = TICKS_PER_BEAT * 4 // _meter_at(self.score, start).denominator
        return {**self.time(tick), "bar": index + 1, "beat": round(1 + (tick - start) / beat_ticks, 4)}


def _file_name(path: str | os.PathLike[str] | None, base: str | os.PathLike[str] | None) -> str | None:
    """The path as written in the sidecar: relative to `base` (the sidecar's folder) when given."""
    if path is None:
        return None
    if base is None:
        return Path(path).as_posix()
    try:
        return Path(os.path.relpath(Path(path).absolute(), Path(base).absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).absolute().as_posix()


def _sync(score: Score, line: _Timeline) -> dict[str, Any] | None:
    """A stinger's sync from its marker: the unit, the marker to wait for, one unit's length, the anchor."""
    for marker in sorted(score.markers, key=lambda m: m.tick):
        found = STINGER_MARKER.fullmatch(marker.text.strip())
        if found is None:
            continue
        unit = "marker" if found.group(2) else found.group(1)
        meter = _meter_at(score, marker.tick)
        ticks = {"beat": TICKS_PER_BEAT * 4 // meter.denominator, "bar": meter.bar_ticks}.get(unit)
        interval = None if ticks is None else {
            "ticks": ticks, "seconds": round(line.seconds(marker.tick + ticks) - line.seconds(marker.tick), 6),
            "samples": line.sample(marker.tick + ticks) - line.sample(marker.tick)}
        return {"unit": unit, "marker": found.group(2), "interval": interval, "anchor": line.point(marker.tick),
                "bpm": line.bpm(marker.tick), "meter": str(meter)}
    return None


def _segments(score: Score, line: _Timeline, end_tick: int, sections: list[Marker]) -> list[dict[str, Any]]:
    """The music cut where a section starts or the tempo or meter changes: each segment has one tempo and
    one meter, so an engine that takes one tempo per stream can be fed segment by segment."""
    cuts = {0} | {m.tick for m in sections}
    changes = [[(t.tick, str(t.bpm)) for t in sorted(score.tempos, key=lambda t: t.tick)],
               [(m.tick, str(m)) for m in sorted(score.time_signatures, key=lambda m: m.tick)]]
    for events in changes:
        cuts |= {tick for index, (tick, value) in enumerate(events) if index == 0 or value != events[index - 1][1]}
    starts = sorted(tick for tick in cuts if tick < end_tick)
    section_ticks = [m.tick for m in sections]  # in time order
    segments = []
    for start, stop in zip(starts, [*starts[1:], end_tick], strict=True):
        named = bisect.bisect_right(section_ticks, start) - 1  # the section the segment starts in
        meter = _meter_at(score, start)
        segments.append({"name": sections[named].text if named >= 0 else None, "start": line.point(start),
                         "end": line.point(stop),
                         "duration": {"seconds": round(line.seconds(stop) - line.seconds(start), 6),
                                      "samples": line.sample(stop) - line.sample(start)},
                         "bars": round((stop - start) / meter.bar_ticks, 4), "bpm": line.bpm(start),
                         "meter": str(meter)})
    return segments


def build_sidecar(score: Score, *, sample_rate: int, audio: str | os.PathLike[str] | None = None,
                  stems: Sequence[str | os.PathLike[str]] = (), midi: str | os.PathLike[str] | None = None,
                  frames: int | None = None, loop: bool | None = None,
                  base: str | os.PathLike[str] | None = None, tail: str | os.PathLike[str] | None = None,
                  tail_frames: int | None = None, loudness: dict[str, float] | None = None) -> dict[str, Any]:
    """The sidecar object for `score` at `sample_rate`, valid against schemas/sidecar.schema.json.

    `stems` are the stem files in the order of `score.tracks`; `frames` is the rendered mix's length
    (else the duration is the music's, in whole bars, or the loop's end); `loop` is RenderConfig.loop;
    file names are written relative to `base` (the sidecar's folder) when it is given. `tail` is a loop's
    tail file, `tail_frames` its length; `loudness` is LoudnessFacts.as_json() when normalised to loudness.
    """
    if stems and len(stems) != len(score.tracks):
        raise ComposerError(f"{len(stems)} stem files for {len(score.tracks)} tracks; give one per track")  # or none
    region = loop_ticks(score, loop)
    end_tick = whole_bars_end(score)  # covers the loop end too: loop points are markers
    line = _Timeline(score, sample_rate, end_tick)
    end_sample = frames if frames is not None else line.sample(region[1] if region else end_tick)
    bars, beats = [], []
    for index, (start, stop) in enumerate(zip(line.bar_starts, line.bar_starts[1:], strict=False)):
        meter = _meter_at(score, start)
        bars.append({"bar": index + 1, **line.time(start), "meter": str(meter)})
        beat_ticks = TICKS_PER_BEAT * 4 // meter.denominator
        for beat, tick in enumerate(range(start, stop, beat_ticks)):
            beats.append({"bar": index + 1, "beat": beat + 1, **line.time(tick)})
    loop_names = {LOOP_START.lower(), LOOP_END.lower()}
    section_markers = sorted((m for m in score.markers if m.text.strip().lower() not in loop_names),
                             key=lambda m: m.tick)
    segments = _segments(score, line, end_tick, section_markers)
    sections = []
    for index, marker in enumerate(section_markers):
        stop = section_markers[index + 1].tick if index + 1 < len(section_markers) else end_tick
        sections.append({"name": marker.text, "start": line.point(marker.tick),
                         "end": line.point(max(stop, marker.tick))})
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "composer", "version": _version()},
        "title": score.title,
        "sample_rate": sample_rate,
        "channels": 2,
        "duration": {"seconds": round(end_sample / sample_rate, 6), "samples": end_sample},
        "end": line.point(end_tick),
        "ticks_per_beat": TICKS_PER_BEAT,
        "tempo_map": [{**line.time(t.tick), "bpm": t.bpm} for t in sorted(score.tempos, key=lambda t: t.tick)],
        "meters": [{**line.point(ts.tick), "numerator": ts.numerator, "denominator": ts.denominator,
                    "text": str(ts)} for ts in sorted(score.time_signatures, key=lambda ts: ts.tick)],
        "key_signatures": [{**line.point(k.tick), "tonic": k.tonic, "mode": k.mode, "name": k.name,
                            "sharps": k.sharps} for k in sorted(score.key_signatures, key=lambda k: k.tick)],
        "bar_count": len(bars),
        "bars": bars,
        "beats": beats,
        "loop": None if region is None else {
            "start": line.point(region[0]), "end": line.point(region[1]),
            "length": {"ticks": region[1] - region[0],
                       "seconds": round(line.seconds(region[1]) - line.seconds(region[0]), 6),
                       "samples": line.sample(region[1]) - line.sample(region[0])}},
        "markers": [{"name": m.text, **line.point(m.tick)} for m in sorted(score.markers, key=lambda m: m.tick)],
        "sections": sections,
        "audio": _file_name(audio, base),
        "midi": _file_name(midi, base),
        "stems": [{"file": _file_name(path, base), "track": track.name, "program": track.program,
                   "is_drum": track.is_drum} for path, track in zip(stems, score.tracks, strict=False)],
        "tail": None if tail is None or region is None else {
            "file": _file_name(tail, base), "start": line.point(region[1]),
            "duration": {"seconds": round((tail_frames or 0) / sample_rate, 6), "samples": tail_frames or 0}},
        "loudness": loudness,
        "sync": _sync(score, line),
        "segments": segments,
        "segment_bpm": [segment["bpm"] for segment in segments],
    }


def _version() -> str:
    from composer.core.version import __version__

    return __version__


def sidecar_path(audio_path: str | os.PathLike[str] | None, stems_dir: str | os.PathLike[str] | None) -> Path:
    """Where a render's sidecar goes: beside the mix as <mix file name>.json (song.wav -> song.wav.json, so a
    .wav and an .ogg of one piece each keep their own), else <stems dir>/sidecar.json."""
    if audio_path is not None:
        return Path(audio_path).with_name(Path(audio_path).name + ".json")
    if stems_dir is None:
        raise ComposerError("a sidecar goes beside an audio file or in a stems folder; give one")
    return Path(stems_dir) / SIDECAR_NAME


def write_sidecar(path: str | os.PathLike[str], sidecar: dict[str, Any]) -> Path:
    """Write the sidecar as indented UTF-8 JSON, atomically."""
    return write_bytes_atomic(path, (json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n").encode())


def load_schema() -> dict[str, Any]:
    """The sidecar's JSON Schema (draft 2020-12), shipped as composer/schemas/sidecar.schema.json."""
    text = resources.files("composer").joinpath("schemas", "sidecar.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

