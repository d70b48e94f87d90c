"""Agents: each holds its private data and talks only through messages."""
