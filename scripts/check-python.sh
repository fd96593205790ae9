#!/usr/bin/env bash
# Refuses, with one clear line, a Python older than the 3.11 that composer needs.
python=${1:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "composer: $python not found. Install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)." >&2
    exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "composer: $("$python" --version 2>&1) is too old; composer needs Python 3.11 or newer (make PYTHON=python3.11 ...)." >&2
    exit 2
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "composer: $python has no venv/ensurepip. Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 2
fi
