"""The HTTP API: one router per function, one place that turns errors into responses."""
