"""`python -m composer` runs the command-line interface."""

from composer.faces.cli import main

raise SystemExit(main())
