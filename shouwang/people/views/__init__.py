"""Pages of the registry, one module per area of work."""
