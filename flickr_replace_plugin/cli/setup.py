"""What every command that talks to Flickr does first, and how its results become an exit status."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..config import ENV_CONFIG, Config, load_config
from ..errors import ConfigError
from ..result import Status
from .env import Environment, ExitStatus
from .output import Printer
from .redact import RedactingFilter


def setup(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> tuple[Config, Any]:
    """The plugins and the config of the injected environment; their secrets masked from here on."""
    from ..plugins import get_plugins

    plugins = get_plugins(args.plugin or (), env.env)
    config = load_config(env.env, plugins)
    # the key and token too: not secrets alone, but -vv output is pasted into bug reports
    redactor.add(config.api_secret, config.oauth_token_secret, config.api_key, config.oauth_token)
    return config, plugins


def status_for(printer: Printer) -> ExitStatus:
    return ExitStatus.FAILED if printer.counts.get(Status.FAILED.value) else ExitStatus.OK


def with_named_config(args: argparse.Namespace, env: Environment) -> Environment:
    """`env` reading the config that `--config FILE` names (over FLICKR_REPLACE_CONFIG). A file named
    so must be there, since a typo would otherwise run with no settings at all; `auth` writes it."""
    named = env.path(args.config)
    if named.is_dir():
        raise ConfigError(f"--config {args.config} is a folder: name the config file in it, e.g. "
                          f"--config {named / 'config.yaml'}")
    if not named.exists() and not getattr(args, "writes_config", False):
        raise ConfigError(f"--config {args.config}: no such file; check the name, or run "
                          f"`flickr-replace --config {args.config} auth` to create it with your credentials")
    return dataclasses.replace(env, env={**env.env, ENV_CONFIG: str(named)})
