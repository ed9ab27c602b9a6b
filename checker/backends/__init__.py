"""Backends: IR -> something that runs (reference evaluator, compiled Python, later NumPy, Z3).

Must not import: `replicheck.explore`, `replicheck.report`, `replicheck.cli`.
"""
