"""Embedded default data (package data): fund universe snapshot and calibrated parameters."""
