"""replicheck: a model checker for the protocols that keep replicated data consistent.

Layers (each imports only those before it): ir <- lang <- backends <- explore / symbolic /
stateful <- report <- cli. See ARCHITECTURE.md.

Must not import: anything (the package's own modules are imported where they are used).
"""

__version__ = "0.1.0"
