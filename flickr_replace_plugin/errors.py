"""Exceptions that are not per-file results: they end the command with exit status 2."""
from __future__ import annotations


class ConfigError(Exception):
    """Wrong configuration or command line: nothing is sent, the CLI exits 2 with this message."""


class PluginError(Exception):
    """A plugin raised; the message names the plugin so a user knows whom to blame."""
