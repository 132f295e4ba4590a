"""Experiments: benchmarks, configs and results built on top of coalm_env (never imported by it)."""
