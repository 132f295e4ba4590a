"""Benchmarks (not tests): throughput, reset cost against database size, memory of live episodes.

Run ``python -m experiments.benchmarks.core --help`` from the repository root.
"""
