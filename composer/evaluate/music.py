"""`composer eval music`: generated pieces against held-out corpus pieces, by MusPy and Yang & Lerch metrics.

The held-out side is `n` test-split pieces drawn at random with the run's seed (composer/evaluate/heldout.py), cut
to their first BARS bars. Generation i asks for held-out piece i's key, meter, tempo and instruments
(BARS bars, no prompt, constraints on, seed `seed * 100000 + i`), so the settings are drawn the same way
every run and the comparison measures the music rather than a different mix of keys or meters. The
held-out set is also measured against itself (one half against the other) as the reference row: what a
perfect model would score with samples this size.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError

BARS = 8
REFERENCE_MIN_HALF = 5  # the half-vs-half reference row needs this many pieces a half (n >= 10)


def settings_like(row: dict[str, Any], seed: int, index: int) -> dict[str, Any]:
    """compose() options asking for a held-out row's key, meter, tempo and instruments."""
    from composer.decode.controls import METERS

    attributes = row["attributes"]
    meter = attributes["meter"] if attributes["meter"] in METERS else "4/4"
    programs = sorted({p for p in attributes["programs"] if 0 <= p < 128}) or [0]
    return {"key": attributes["key"], "meter": meter, "tempo": float(min(400, max(20, round(attributes["tempo_bpm"])))),
            "instruments": programs, "bars": BARS, "seed": seed * 100_000 + index}


def evaluate_music(n: int = 100, seed: int = 0, out_dir: Path | None = None, pieces: Path | None = None,
                   collections: Sequence[str] | None = None, with_nll: bool = True,
                   on_progress: Callable[[str, int, int], None] | None = None,
                   generate: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Generate `n` pieces and compare them with `n` held-out pieces; returns the report (see module doc)."""
    from composer.evaluate.heldout import built_pieces, first_bars, heldout_rows, score_of
    from composer.evaluate.metrics import compare_sets, piece_metrics, summarise
    from composer.pipeline import compose

    if n < 4:
        raise ComposerError("eval music needs at least 4 pieces a side (--n 4) to compare distributions")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    rows = heldout_rows(n, min_bars=BARS, seed=seed, pieces=pieces, collections=collections,
                        on_progress=(lambda done, total: on_progress("held-out", done, total)) if on_progress else None)
    heldout = [first_bars(score_of(row), BARS) for row in rows]
    seconds["heldout"] = time.perf_counter() - started
    generated, settings = [], []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for index, row in enumerate(rows):
        drawn = settings_like(row, seed, index)
        piece = (generate or compose)(None, **drawn)
        if out_dir is not None:
            piece.save_midi(out_dir / f"generated-{index:03d}.mid")
        generated.append(piece.score)
        settings.append(drawn)
        if on_progress:
            on_progress("generating", index + 1, n)
    seconds["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    generated_rows = [piece_metrics(s) for s in generated]
    heldout_rows_ = [piece_metrics(s) for s in heldout]
    half = n // 2
    report: dict[str, Any] = {
        "n": n, "seed": seed, "bars": BARS,
        "settings": "each held-out piece's key, meter, tempo and instruments; no prompt; constraints on",
        "heldout_source": str(built_pieces(pieces) or "music21's corpus, converted on the fly"),
        "heldout_collections": dict(Counter(r["collection"] for r in rows).most_common()),
        "metrics": {"generated": summarise(generated_rows), "heldout": summarise(heldout_rows_)},
        "distributions": {"generated_vs_heldout": compare_sets(generated, heldout)},
        "generated_settings": settings,
    }
    if half >= REFERENCE_MIN_HALF:  # smaller halves give too few distances for a density
        report["distributions"]["heldout_half_vs_half"] = compare_sets(heldout[:half], heldout[half:])
    seconds["metrics"] = time.perf_counter() - started
    if with_nll:
        from composer.evaluate.likelihood import heldout_nll

        started = time.perf_counter()
        report["nll"] = heldout_nll(rows)
        seconds["nll"] = time.perf_counter() - started
    report["seconds"] = {k: round(v, 1) for k, v in seconds.items()}
    return report
