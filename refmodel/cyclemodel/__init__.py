"""Analytical cycle model of the accelerator, one module per kernel."""
