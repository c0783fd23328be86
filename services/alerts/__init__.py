"""The alerts service: risk crossings become help tasks for townships."""
