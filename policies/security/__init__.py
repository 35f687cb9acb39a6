"""The security pack: one module per service, assembled in `__main__.py`."""
