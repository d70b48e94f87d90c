"""Strategic play: grade a strategy against truthful play and the optimum,
seat a human at an agent, run a tournament of strategy files (docs/strategies.md)."""
