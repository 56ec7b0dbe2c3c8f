"""Market state the core consumes: fund universe, embedded defaults, store and importers."""
