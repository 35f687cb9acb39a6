"""The cost pack: one module per concern, assembled in `__main__.py`."""
