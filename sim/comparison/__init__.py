"""Mechanisms side by side on one fleet: ``dcmarket compare`` (docs/compare.md)."""
