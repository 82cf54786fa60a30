"""Batching correctness and /metrics; speed itself is measured by scripts/bench_*.py."""
