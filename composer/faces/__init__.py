"""The faces: the `composer` command line and the HTTP service. Thin: they parse, call the library, and print or
respond."""
