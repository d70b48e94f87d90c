"""DC demand response (paper 002): config, model, study, plots."""
