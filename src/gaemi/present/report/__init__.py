"""The daily report: a model assembled from every engine, and its renderers."""
