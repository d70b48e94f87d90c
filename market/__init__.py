"""Market protocols: messages, ADMM rounds, centralised twins."""
