"""Shipped data files (see README.md here for sources and licences)."""
