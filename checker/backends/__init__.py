"""Backends: IR -> something that runs (reference evaluator, compiled Python, later NumPy, Z3).

Must not import: `checker.explore`, `checker.report`, `checker.cli`.
"""
