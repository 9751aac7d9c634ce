"""The package version, importable by every layer without pulling the package's API."""
__version__ = "0.1.0"
