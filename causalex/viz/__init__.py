"""Plots of causalex results (matplotlib Agg, PNG)."""
