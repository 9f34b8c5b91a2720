"""Pitstop."""
