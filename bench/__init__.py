"""Benchmarks of the message path, measured side by side with a bare Channels relay (``python -m bench``)."""
