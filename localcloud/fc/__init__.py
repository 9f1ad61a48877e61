"""The local Function Compute: runs the project's function (from ``s.yaml``) in warm worker processes.

Instances run ``worker.py`` as a script under the runtime's interpreter: nothing of this package is importable by
the function.
"""
