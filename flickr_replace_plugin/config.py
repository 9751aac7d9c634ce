"""Credentials and settings: environment first, then a host plugin, then the YAML config file."""
from __future__ import annotations

import ipaddress
import os
import stat
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from .errors import ConfigError

APP = "flickr-replace"
CREDENTIAL_KEYS = ("api_key", "api_secret", "oauth_token", "oauth_token_secret")
ENV_NAMES = {
    "api_key": "FLICKR_API_KEY",
    "api_secret": "FLICKR_API_SECRET",
    "oauth_token": "FLICKR_OAUTH_TOKEN",
    "oauth_token_secret": "FLICKR_OAUTH_TOKEN_SECRET",
    "base_url": "FLICKR_REPLACE_BASE_URL",
}
SECRET_KEYS = ("api_secret", "oauth_token_secret")
# Flickr's visibility flags (is_public, is_friend, is_family) for each `privacy` word.
PRIVACY = {"private": (0, 0, 0), "friends": (0, 1, 0), "family": (0, 0, 1), "friends-and-family": (0, 1, 1),
           "public": (1, 0, 0)}
ENV_CONFIG = "FLICKR_REPLACE_CONFIG"
ENV_STATE_DIR = "FLICKR_REPLACE_STATE_DIR"


@dataclass(frozen=True)
class UserDirs:
    """Where this tool keeps a user's files, worked out once from one environment mapping.

    Only that mapping is read (never os.environ behind its back), so a caller that injects an
    environment (the CLI's tests, a host) decides every path the tool writes under.
    """

    config_file: Path
    state: Path
    cache: Path
    data: Path

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "UserDirs":
        config, state, cache, data = _platform_dirs(env)
        config_file = Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else config / "config.yaml"
        state = Path(env[ENV_STATE_DIR]) if env.get(ENV_STATE_DIR) else state
        return cls(config_file, state, cache, data)


def _platform_dirs(env: Mapping[str, str]) -> tuple[Path, Path, Path, Path]:
    """(config, state, cache, data) dirs as platformdirs names them, read from `env` alone."""
    if sys.platform == "win32":  # known-folder API, not the environment
        import platformdirs

        return tuple(Path(getattr(platformdirs, f"user_{kind}_dir")(APP))  # type: ignore[return-value]
                     for kind in ("config", "state", "cache", "data"))
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    if sys.platform == "darwin":
        support = home / "Library" / "Application Support" / APP
        return support, support, home / "Library" / "Caches" / APP, support

    def xdg(name: str, default: str) -> Path:
        value = env.get(name, "")
        return Path(value if os.path.isabs(value) else home / default) / APP

    return (xdg("XDG_CONFIG_HOME", ".config"), xdg("XDG_STATE_HOME", ".local/state"),
            xdg("XDG_CACHE_HOME", ".cache"), xdg("XDG_DATA_HOME", ".local/share"))


@dataclass(frozen=True)
class Endpoints:
    replace: str
    upload: str
    rest: str
    request_token: str
    authorize: str
    access_token: str

    @classmethod
    def for_base(cls, base: str | None) -> "Endpoints":
        if not base:  # Flickr's own hosts: uploads go to up., REST to api., OAuth to www.
            oauth = "https://www.flickr.com/services/oauth"
            return cls("https://up.flickr.com/services/replace/", "https://up.flickr.com/services/upload/",
                       "https://api.flickr.com/services/rest/", f"{oauth}/request_token",
                       f"{oauth}/authorize", f"{oauth}/access_token")
        base = base.rstrip("/")
        oauth = f"{base}/services/oauth"
        return cls(f"{base}/services/replace/", f"{base}/services/upload/", f"{base}/services/rest/",
                   f"{oauth}/request_token", f"{oauth}/authorize", f"{oauth}/access_token")


@dataclass(frozen=True)
class Config:
    api_key: str | None = None
    api_secret: str | None = None
    oauth_token: str | None = None
    oauth_token_secret: str | None = None
    base_url: str | None = None
    retries: int = 4              # upload attempts in all, for retryable failures
    backoff: float = 1.0          # seconds before the first retry; doubles each time
    timeout: float = 600.0        # seconds to wait for async tickets before reporting `pending`
    http_timeout: float = 60.0    # seconds to wait for an answer (uploads get more per byte sent)
    record: bool = False          # write NAME.EXT.flickr.yaml after a replace whose id came from the caller
    calls_per_hour: int = 3600    # Flickr's per-key limit on API calls
    limit_rate: int | None = None  # bytes per second for uploads, None for full speed
    jobs: int = 1
    state_dir: str | None = None   # where pending tickets are kept (default: the user state dir)
    privacy: str = "private"       # who sees a photo uploaded by --upload-missing (PRIVACY's words)
    upload_missing: bool = False   # upload a file no source has an id for, instead of failing
    path: str | None = None       # the config file these settings were read from
    dirs: UserDirs | None = field(default=None, repr=False)  # the user dirs of the environment read

    @property
    def user_dirs(self) -> UserDirs:
        """The dirs of the environment this config was loaded from (the process's for a bare Config)."""
        return self.dirs or UserDirs.from_env(os.environ)

    @property
    def state_path(self) -> Path:
        """Where pending tickets are kept: the `state_dir` setting, else the user state dir."""
        return Path(self.state_dir).expanduser() if self.state_dir else self.user_dirs.state

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_base(self.base_url)

    @property
    def has_credentials(self) -> bool:
        return all(getattr(self, k) for k in CREDENTIAL_KEYS)

    def require_credentials(self) -> "Config":
        missing = [ENV_NAMES[k] for k in CREDENTIAL_KEYS if not getattr(self, k)]
        if missing:
            raise ConfigError(
                "no Flickr credentials: run `flickr-replace auth`, or set " + ", ".join(missing)
            )
        return self

    def with_(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


NOT_SETTINGS = ("path", "dirs")  # Config fields no file or variable sets
SETTINGS = {f.name: f.type for f in fields(Config) if f.name not in NOT_SETTINGS}


def read_config_file(path: Path) -> dict[str, Any]:
    """The config file's mapping; {} when missing. Malformed, unknown keys or world-readable: ConfigError."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text (is it the right file?)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a YAML mapping of keys to values")
    unknown = sorted(str(k) for k in data if k not in SETTINGS)
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}")
    if any(data.get(k) for k in SECRET_KEYS) and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"config file {path} holds secrets and is readable by others; fix it with: chmod 600 {path}")
    return data


def _coerce(key: str, value: Any, where: str) -> Any:
    kind = SETTINGS[key]
    try:
        if value is None:
            return None
        if "bool" in kind:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if "int" in kind:
            return int(value)
        if "float" in kind:
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} must be {kind.split(' ')[0]}, not {value!r}") from None


def load_config(env: Mapping[str, str] | None = None, plugins: Any = None) -> Config:
    """The file's settings, then a host plugin's credentials, then the environment's: `env` is the
    only environment read (os.environ when None)."""
    env = os.environ if env is None else env
    dirs = UserDirs.from_env(env)
    path = dirs.config_file
    values: dict[str, Any] = {}
    for key, value in read_config_file(path).items():
        values[key] = _coerce(key, value, str(path))
    if plugins is not None:
        supplied = plugins.flickr_credentials() or {}
        values.update({k: str(v) for k, v in dict(supplied).items() if k in CREDENTIAL_KEYS and v})
    for key, name in ENV_NAMES.items():
        if env.get(name):
            values[key] = env[name]
    config = Config(path=str(path), dirs=dirs, **values)
    check_base_url(config.base_url)
    if config.privacy not in PRIVACY:
        raise ConfigError(f"{path}: privacy must be one of {', '.join(PRIVACY)}, not {config.privacy!r}")
    return config


def check_base_url(base: str | None) -> None:
    """Flickr's rule (error 95): SSL is required. Plain http only to this machine."""
    if not base:
        return
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {base!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"refusing plain http to {parts.hostname}: SSL is required (use https, or http only to loopback)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def save_credentials(path: Path, updates: Mapping[str, str]) -> None:
    """Merge `updates` into the config file, written atomically with mode 0600."""
    import yaml

    from .fsutil import atomic_write

    data = read_config_file(path) if path.exists() else {}
    data.update(updates)
    atomic_write(path, yaml.safe_dump(data, sort_keys=True), mode=0o600)
