"""Pitstop tests (a package so `python -m tests.bench` runs the benchmarks)."""
