"""Benchmarks of the function against the local cloud: ``python -m bench`` (see bench/README.md).

Kept empty on purpose: ``python -m bench.funcproc`` imports this package inside the measured processes.
"""
