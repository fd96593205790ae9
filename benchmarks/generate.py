"""Generation speed and memory as a user meets them.

Warm: after the model and text encoder are loaded, 16 bars for 4 instruments (median of 5 seeds, the
key check's extra samples included). Cold: a fresh `composer generate` process writing 8 bars, wall
clock, 5 runs (seeds 1-5); the floor holds for the slowest. Peak memory: the largest maximum resident set
of those processes. Tokens per second inside compose: the warm runs' final sequences over their wall time
(the prompt, text encoding, masks, key check and MIDI all inside it; a rejected sample's tokens are not
counted, so this is a lower bound). Floors: warm <= 3 s, cold <= 8 s, peak memory < 1.5 GB; 1,000 tokens/s
inside compose (reported apart). Writes results/generate.json.
Run: .venv/bin/python benchmarks/generate.py
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.pipeline import compose

PROMPT = "Adventure theme for strings, french horn, flute and timpani in D major"


def main() -> int:
    compose(PROMPT, bars=2, seed=0)  # load the model and the text encoder
    warm, attempts, tokens = [], [], []
    for seed in range(5):
        started = time.perf_counter()
        piece = compose(PROMPT, bars=16, seed=seed)
        warm.append(time.perf_counter() - started)
        attempts.append(piece.attempts)
        tokens.append(piece.token_count)
        assert len({t.program for t in piece.score.tracks}) <= 4
    cold = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(1, 6):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "composer", "generate", PROMPT, "--bars", "8", "--seed",
                            str(seed), "-o", str(Path(folder) / "cold.mid")], check=True, capture_output=True)
            cold.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {
        "warm_16_bars_4_instruments_seconds": round(statistics.median(warm), 2),
        "warm_runs": [round(w, 2) for w in warm], "key_check_attempts": attempts,
        "cold_8_bars_seconds": round(statistics.median(cold), 2),
        "cold_8_bars_slowest_seconds": round(max(cold), 2),
        "cold_runs": [round(c, 2) for c in cold], "cold_peak_memory_mb": round(peak_mb),
        "warm_tokens_per_second": round(sum(tokens) / sum(warm), 1), "warm_tokens": tokens,
        "floors": {"warm_seconds": 3.0, "cold_seconds": 8.0, "peak_memory_mb": 1536, "tokens_per_second": 1000},
    }
    figures["meets_token_rate"] = figures["warm_tokens_per_second"] >= 1000
    figures["meets_floors"] = (figures["warm_16_bars_4_instruments_seconds"] <= 3.0 and max(cold) <= 8.0
                               and peak_mb < 1536)
    path = write_result("generate", figures, packages=("torch", "tokenizers", "safetensors"))
    print(f"inside compose: {figures['warm_tokens_per_second']} tokens/s (floor 1000)")
    print(f"warm: 16 bars, 4 instruments: median {figures['warm_16_bars_4_instruments_seconds']} s "
          f"(runs {figures['warm_runs']}, key-check attempts {attempts})")
    print(f"cold `composer generate`, 8 bars: median {statistics.median(cold):.2f} s, slowest {max(cold):.2f} s "
          f"(runs {figures['cold_runs']}), peak memory {peak_mb:.0f} MB   floors "
          f"{'met' if figures['meets_floors'] else 'NOT met'}  -> {path}")
    return 0 if figures["meets_floors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
