"""Reusable consistency properties written in the modelling language (single primary, no
acknowledged write lost, epochs only move forward, ...). Filled in with the incident models."""
