"""Full-text search over every message and conversation of all history (docs/search.md)."""
