"""Benchmark suite: builds its own data set and measures the portal (`make bench`)."""
