"""P2P market and bi-level grid coordination (paper 000): config, models, case study, plots, CLI."""
