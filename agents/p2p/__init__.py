"""P2P cloud-service market (paper 000): data centre, grid operator."""
