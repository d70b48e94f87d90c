"""Runnable models, scenarios, results and the command line."""
