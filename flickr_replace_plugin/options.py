"""One run's options: the caller's arguments (command line or Python API) over the config, merged once.

Every setting the config file knows can be given for one run (the CLI's `--jobs`, the API's
``jobs=4``); None means "the config's". Nothing else merges options with the configuration.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from .config import SETTINGS, Config, load_config
from .errors import ConfigError

if TYPE_CHECKING:
    from .plugins import Plugins


@dataclass(frozen=True)
class RunOptions:
    config: Config                # the config with this run's settings merged in
    async_: bool = True
    wait: bool = True
    dry_run: bool = False
    photo_id: str | None = None   # the caller's id: wins over every source
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    verify: bool = True           # check the target and the picture before sending (--no-verify)
    force: bool = False           # send even a different-looking picture or unchanged bytes (--force)
    command: str = "replace"      # what the journal calls this run: replace, upload, undo
    metadata_only: bool = False   # send no picture: only bring the file's metadata onto the photo

    @property
    def jobs(self) -> int:
        return max(1, self.config.jobs)

    @property
    def timeout(self) -> float:
        return self.config.timeout

    @property
    def record(self) -> bool:
        return self.config.record

    def for_plugins(self, source: str | None) -> dict[str, Any]:
        """The `options` mapping `before_replace` sees (the hook spec lists its keys)."""
        return {"async": self.async_, "wait": self.wait, "dry_run": self.dry_run, "source": source}


def run_options(config: Config | None = None, plugins: "Plugins | None" = None, *,
                env: Mapping[str, str] | None = None, async_: bool = True, wait: bool = True,
                dry_run: bool = False, photo_id: str | int | None = None,
                metadata: Mapping[str, Any] | None = None, verify: bool = True, force: bool = False,
                command: str = "replace", metadata_only: bool = False,
                sync_metadata: bool | list[str] | None = None, **settings: Any) -> RunOptions:
    """The options of one run. `config` is loaded from `env` (os.environ when None) unless given;
    `settings` are config keys (`jobs`, `timeout`, `record`, `retries`, `limit_rate`, ...).
    `sync_metadata` is the config key `metadata` for this run (`metadata` names the host's mapping)."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}")
    config = config if config is not None else load_config(env, plugins)
    if sync_metadata is not None:
        settings["metadata"] = sync_metadata
    config = config.with_(**settings)
    if metadata_only and not config.metadata_fields:
        raise ConfigError("--metadata-only sends only the metadata, but metadata is off (--no-metadata, or "
                          "`metadata: false` in the config): drop one of them")
    return RunOptions(config, async_=async_, wait=wait, dry_run=dry_run,
                      photo_id=None if photo_id is None else str(photo_id),
                      metadata=MappingProxyType(dict(metadata or {})), verify=verify, force=force,
                      command=command, metadata_only=metadata_only)
