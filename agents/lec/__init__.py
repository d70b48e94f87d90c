"""Energy community + DC (paper 001): household, community (EOA), DC with job pausing."""
