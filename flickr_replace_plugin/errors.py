"""Exceptions that are not per-file results: the commands turn them into one message (a ConfigError: exit 2)."""
from __future__ import annotations


class ConfigError(Exception):
    """Wrong configuration or command line: nothing is sent, the CLI exits 2 with this message."""


class PluginError(Exception):
    """A plugin raised; the message names the plugin so a user knows whom to blame."""


class JournalUnavailable(Exception):
    """The journal's file or folder cannot be used: a replace is not sent without its record."""
