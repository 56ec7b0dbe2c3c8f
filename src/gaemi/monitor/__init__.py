"""Indicators, triggers and the composite risk status."""
