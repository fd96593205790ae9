"""Long work shows progress: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

from composer.faces.progress import progress_bar


def test_without_a_terminal_progress_is_logged_in_plain_lines(capsys):
    with progress_bar("Tokenizing", log_every=3600) as update:
        for done in range(1, 6):
            update(done, 5)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Tokenizing: 5/5 (100%")  # an hour apart: only the end


def test_each_line_says_how_far_and_how_long(capsys):
    with progress_bar("Judging", log_every=0) as update:
        update(1, 4)
        update(2, 4)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["Judging: 1/4", "Judging: 2/4"]
    assert all(line.endswith(" s)") for line in lines)
