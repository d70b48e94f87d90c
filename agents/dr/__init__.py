"""DC demand response (paper 002): DC with host fleet, DC users, DR grid."""
