"""The local Function Compute: runs the project's function (from ``s.yaml``) in warm worker processes.

Kept import-light on purpose: ``python -m localcloud.fc.worker`` imports this package inside every instance.
"""
