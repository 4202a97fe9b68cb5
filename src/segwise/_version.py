"""The installed version of segwise."""

__version__ = "0.1.0"
