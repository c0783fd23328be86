"""A synthetic county (households and their departments' feeds) and sample
messages, for the demo, the tests and the benchmarks. Not part of the product:
nothing under ``services/`` imports it."""
