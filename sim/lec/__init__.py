"""Energy community + DC (paper 001): config, data, model, study, plots, CLI."""
