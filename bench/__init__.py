"""Benchmarks of the function against the local cloud: ``python -m bench`` (see bench/README.md).

Kept empty on purpose.
"""
