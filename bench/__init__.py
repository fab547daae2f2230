"""Reproducible workloads and the scripts that print BENCHMARKS.md's tables."""
