"""The house by stage: every import (function-local ones too) goes down a floor or stays on its own, no
module imports itself round a circle, each module has a one-line docstring and at most 400 lines, and
generating never imports training or evaluation."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "composer"

# Floors, lowest first: a module may import its own floor and those below it, never one above.
FLOORS: dict[str, int] = {
    "core": 0,  # the music type, theory tables, errors: imports nothing else of ours
    "output": 1,  # files and audio: MIDI, MusicXML, render, sidecar, piano roll
    "decode": 2,  # tokens, model, decoder, sampling loop, checkpoint
    "constraints": 3,  # masks and biases on the decoder's logits
    "ask": 4,  # what was asked: text, mood, image, resolve
    "plan": 5,  # the checked request, its control tokens and constraint spec
    "arrange": 6,  # one span sampled under a plan, and everything built on spans
    "pipeline": 7,  # compose(): the one dispatcher
    "train": 8,  # corpus and training: never imported when generating
    "evaluate": 9,  # measures: never imported when generating
    "faces": 10,  # the command line and the HTTP service
    "": 11,  # composer/__init__.py and __main__.py: the public face
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = ["composer", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The modules of ours that `name` imports anywhere in its file (a name imported from a package
    counts as that submodule when it is one)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "composer"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.split(".")[0] != "composer":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def floor_of(name: str) -> int:
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 and parts[1] not in ("__main__",) else ""
    return FLOORS[top]


def test_every_module_is_on_a_floor() -> None:
    tops = {name.split(".")[1] for name in MODULES if name.count(".") >= 1} - {"__main__"}
    assert tops <= set(FLOORS), f"modules outside the floors: {sorted(tops - set(FLOORS))}"


def test_no_import_goes_up_a_floor() -> None:
    upward = [f"{a} (floor {floor_of(a)}) imports {b} (floor {floor_of(b)})"
              for a, deps in GRAPH.items() for b in deps if floor_of(b) > floor_of(a)]
    assert not upward, "\n".join(upward)


def test_the_ground_floor_imports_only_itself() -> None:
    outside = [f"{a} imports {b}" for a, deps in GRAPH.items() if floor_of(a) == 0 for b in deps if floor_of(b) != 0]
    assert not outside, "\n".join(outside)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in `graph` (as the list of modules round it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep):], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_circles() -> None:
    # a package's __init__ is its own module here: composer.constraints importing its submodules is no circle
    # unless a submodule imports the package back
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_circle_finder_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_short_and_says_its_job(name: str) -> None:
    path = MODULES[name]
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES, f"{path} has {len(text.splitlines())} lines"
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring and docstring.strip(), f"{path} has no docstring"


def test_generating_imports_no_training_or_evaluation(tmp_path: Path) -> None:
    script = (f"import sys; from composer.faces.cli import main; "
              f"assert main(['generate', 'a short folk tune', '--bars', '2', '--seed', '1', '-o', "
              f"{str(tmp_path / 'a.mid')!r}]) == 0; "
              "print(sorted(m for m in sys.modules if m.startswith(('composer.train', 'composer.evaluate'))))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
