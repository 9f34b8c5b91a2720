"""Benchmarks (`make bench`): figures for the README, printed as numbers, never asserted."""
