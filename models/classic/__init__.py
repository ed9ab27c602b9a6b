"""Textbook models from the public TLA+ examples, with the state counts TLC records for them."""
