"""Payment: charges and refunds cards through the simulated card processor."""
