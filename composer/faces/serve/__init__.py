"""`composer serve`: an HTTP service that queues compositions, runs them in worker processes and serves the files."""
