"""Benchmarks run by hand (not tests): throughput and memory of the readers."""
