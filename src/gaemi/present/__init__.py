"""The edges: command line, report, HTTP API and dashboard."""
