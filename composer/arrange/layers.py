"""Intensity layers for games: variants of one piece that share tempo, meter, length and harmony, each
adding parts and density to the one below, exported as sample-aligned stems."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.core.instruments import DRUMS
from composer.core.score import Score
from composer.decode.controls import part_controls

MAX_LAYERS = 5
DENSITY_STEP = 0.25  # each layer's new parts play this much denser than the one below's
LOUDNESS_STEP = 8  # ... and this much louder (MIDI velocity)
BASS = 33


def parse_layers(text: str | list[str]) -> list[str]:
    """"low,mid,high" -> ["low", "mid", "high"]: 2 to MAX_LAYERS distinct names, quietest first."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    if not 2 <= len(names) <= MAX_LAYERS:
        raise ComposerError(f"give 2 to {MAX_LAYERS} layers, quietest first, like low,mid,high")
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", name):
            raise ComposerError(f"layer name {name!r} must be letters, digits, - or _")
    if len({n.lower() for n in names}) != len(names):
        raise ComposerError("layer names must differ")
    return names


def _role_rank(program: int) -> int:
    """Which layer an instrument suits: 0 beds (strings, pads, organs, choirs, basses), 1 accompaniment
    (keyboards, guitars, harps, mallets), 2 melody (winds, brass, solo strings, synth leads), 3 timpani."""
    if program == 47:
        return 3
    if 48 <= program <= 54 or 88 <= program <= 95 or 16 <= program <= 20 or 32 <= program <= 39 or program == 43:
        return 0
    if 0 <= program <= 15 or 24 <= program <= 31 or program == 46:
        return 1
    return 2


def layer_groups(instruments: list[int], count: int) -> list[list[int]]:
    """The parts each layer adds, quietest first: beds, then accompaniment, then melody; drums always
    with the loudest layer (added when the band has none and there are three layers or more), and a bass
    added when there are fewer parts than layers."""
    pitched = sorted((p for p in instruments if p != DRUMS), key=_role_rank)
    drums = DRUMS in instruments or count >= 3
    if len(pitched) + drums < count and not any(32 <= p <= 39 or p == 43 for p in pitched):
        pitched.insert(1, BASS)  # the first part carries the quietest layer alone; the bass joins it next
    if len(pitched) + drums < count:
        raise ComposerError(f"{len(pitched) + drums} parts cannot make {count} layers; name more instruments")
    groups: list[list[int]] = [[] for _ in range(count)]
    pitched_layers = count - 1 if drums and len(pitched) < count else count
    for index, program in enumerate(pitched):
        groups[min(index * pitched_layers // len(pitched), pitched_layers - 1)].append(program)
    if drums:
        groups[-1].append(DRUMS)
    return groups


def compose_layers(names: list[str] | str, prompt: str | None = None, *, checkpoint: str | None = None,
                   **options: Any) -> dict[str, Any]:
    """{layer name: Piece}, quietest first. Every layer holds the parts of the layers below it plus its
    own, sampled over one chord plan, so the layers can be cross-faded or stacked in a game engine."""
    from composer.arrange.piece import Piece
    from composer.arrange.span import embed_caption, finish_score, load_model, sample_checked
    from composer.constraints import default_harmony
    from composer.plan.spec import plan_request

    names = parse_layers(names)
    plan = plan_request(prompt, **options)
    groups = layer_groups(plan.request["instruments"], len(names))
    # the caller's chords, else the planner's (kept in the spec, shared by every layer), else the key's default
    chords = plan.spec.chords or (None if plan.spec.harmony else
                                  default_harmony(plan.key[0], plan.key[1], plan.bars, plan.loop))
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(plan.request.caption) if plan.request.caption else None
    loaded = time.perf_counter()
    score, layer_of_track = Score(), []
    tokens = attempts = 0
    processors: list[Any] = []
    shared = [c for c in plan.controls if not c.startswith(("Inst_", "Role_"))]
    for index, group in enumerate(groups):
        pitched = [p for p in group if p != DRUMS]
        if not pitched:
            continue
        spec = _layer_spec(plan.spec, pitched, chords, index)
        controls = shared + part_controls(sorted(set(pitched)), spec.roles)
        prompt_ids = tokenizer.prefix(controls)
        config = dataclasses.replace(plan.config, seed=None if plan.config.seed is None
                                     else plan.config.seed + 104_729 * index)
        ids, part, used, tries = sample_checked(model, tokenizer, prompt_ids, condition, config, spec,
                                                plan.checked_key, tokenizer.decode)
        tokens, attempts, processors = tokens + len(ids), attempts + tries, processors + used
        score.tracks += part.tracks
        layer_of_track += [index] * len(part.tracks)
    sampled = time.perf_counter()
    instruments = plan.request["instruments"]
    if DRUMS in groups[-1] and DRUMS not in instruments:  # finish_score arranges drums the request named
        plan.request.values["instruments"].value = [*instruments, DRUMS]
        from composer.ask.drum_words import default_style
        from composer.ask.resolve import Value

        plan.request.values["drum_style"] = Value(default_style(plan.tempo, plan.request["velocity"]), "default",
                                                  "drums for the loudest layer")
    full = finish_score(score, plan, tuple(range(0, plan.bars, 8)))
    layer_of_track += [len(groups) - 1] * (len(full.tracks) - len(layer_of_track))  # the drums
    seconds = {"load": loaded - started, "sample": sampled - loaded,
               "constraints": sum(f.seconds for f in processors), "decode": time.perf_counter() - sampled}
    pieces = {}
    for index, name in enumerate(names):
        layer = full.copy()
        layer.tracks = [t for t, i in zip(full.tracks, layer_of_track, strict=True) if i <= index]
        attributes = {**plan.request.as_json(),
                      "layer": {"value": name, "source": "option",
                                "intensity": round(index / (len(names) - 1), 3),
                                "adds": [t.name for t, i in zip(full.tracks, layer_of_track, strict=True)
                                         if i == index]}}
        pieces[name] = Piece(layer, attributes, tokens, seconds, attempts)
    return pieces


def _layer_spec(spec: Any, programs: list[int], chords: list[set[int]] | None, index: int) -> Any:
    """The plan's constraints for one layer's new parts: the shared chords held firmly, denser and louder
    by layer."""
    return dataclasses.replace(
        spec, programs=programs, chords=chords, chord_strength=max(spec.chord_strength, 3.0),
        onsets_per_bar=spec.onsets_per_bar * (1 + DENSITY_STEP * index) if spec.onsets_per_bar else None,
        velocity=min(127, spec.velocity + LOUDNESS_STEP * index) if spec.velocity else None)


def layer_path(path: str | Path, name: str) -> Path:
    """A layer's file beside `path`: song.mid -> song-high.mid."""
    path = Path(path)
    return path.with_name(f"{path.stem}-{name}{path.suffix}")


def write_layers(pieces: dict[str, Any], midi: str | Path, audio: str | Path | None = None,
                 stems_dir: str | Path | None = None, **render_options: Any) -> dict[str, Any]:
    """Each layer's MIDI as <midi stem>-<layer>.mid; with `audio`, each layer's mix as
    <audio stem>-<layer><suffix> plus a sidecar, every mix the sum of the same sample-aligned stems
    (written to `stems_dir` when given). Returns the paths written, by kind."""
    midi = Path(midi)
    written: dict[str, Any] = {"midi": {name: str(piece.save_midi(layer_path(midi, name)))
                                        for name, piece in pieces.items()}}
    if audio is None and stems_dir is None:
        return written
    import numpy as np

    from composer.output.render import Audio, RenderConfig, render_stems, save_audio, stem_filename
    from composer.output.sidecar import build_sidecar, sidecar_path, write_sidecar

    config = render_options.pop("config", None) or RenderConfig()
    full = list(pieces.values())[-1].score
    _, stems = render_stems(full, config, **render_options)
    suffix = Path(audio).suffix.lower() if audio else ".wav"
    stem_paths = []
    if stems_dir is not None:
        stem_paths = [save_audio(stem, Path(stems_dir) / stem_filename(i, track, suffix))
                      for i, (track, stem) in enumerate(stems)]
        written["stems"] = [str(p) for p in stem_paths]
    if audio is not None:
        audio = Path(audio)
        written["audio"], written["sidecar"] = {}, {}
        for name, piece in pieces.items():
            count = len(piece.score.tracks)  # a layer's tracks are the first `count` of the full score's
            samples = np.sum([stem.samples for _, stem in stems[:count]], axis=0)
            mix = Audio(samples, stems[0][1].sample_rate, stems[0][1].loop)
            path = save_audio(mix, layer_path(audio, name))
            facts = build_sidecar(piece.score, sample_rate=mix.sample_rate, audio=path,
                                  stems=stem_paths[:count], midi=written["midi"][name], frames=len(mix.samples),
                                  loop=config.loop, base=path.parent)
            written["audio"][name] = str(path)
            written["sidecar"][name] = str(write_sidecar(sidecar_path(path, None), facts))
    return written
