"""DocDesk's own benchmarks (run as modules, e.g. `python -m bench.issue`)."""
