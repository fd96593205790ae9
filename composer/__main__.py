"""`python -m composer` runs the command-line interface."""

from composer.cli import main

raise SystemExit(main())
