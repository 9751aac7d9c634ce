"""What every command that talks to Flickr does first, and how its results become an exit status."""
from __future__ import annotations

import argparse
from typing import Any

from ..config import Config, load_config
from ..result import Status
from .env import Environment, ExitStatus
from .output import Printer
from .redact import RedactingFilter


def setup(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> tuple[Config, Any]:
    """The plugins and the config of the injected environment; their secrets masked from here on."""
    from ..plugins import get_plugins

    plugins = get_plugins(args.plugin or (), env.env)
    config = load_config(env.env, plugins)
    redactor.add(config.api_secret, config.oauth_token_secret)
    return config, plugins


def status_for(printer: Printer) -> ExitStatus:
    return ExitStatus.FAILED if printer.counts.get(Status.FAILED.value) else ExitStatus.OK
