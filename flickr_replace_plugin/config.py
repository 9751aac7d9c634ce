"""Credentials and settings: environment first, then a host plugin, then the YAML config file."""
from __future__ import annotations

import ipaddress
import os
import stat
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping
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
# The fields a replace brings from the file onto the photo (metadata/), in the order they are decided.
METADATA_FIELDS = ("title", "description", "tags", "date_taken", "location")
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
        config_file = Path(expand_path(env[ENV_CONFIG], env)) if env.get(ENV_CONFIG) else config / "config.yaml"
        state = Path(expand_path(env[ENV_STATE_DIR], env)) if env.get(ENV_STATE_DIR) else state
        return cls(config_file, state, cache, data)


def expand_path(value: str, env: Mapping[str, str], base: Path | None = None) -> str:
    """`~` is the home folder (the HOME of `env`, the one environment read); a relative path is
    relative to `base` (a config file's folder: not wherever a host started the tool), or, without
    one, stays relative to the current folder (a variable, a command-line flag)."""
    text = str(value)
    if (text == "~" or text.startswith(("~/", "~" + os.sep))) and env.get("HOME") and sys.platform != "win32":
        text = env["HOME"] + text[1:]
    path = Path(os.path.expanduser(text))
    return str(base / path if base is not None and not path.is_absolute() else path)


_noted_windows_modes = False


def _permissions_checkable(path: Path) -> bool:
    """Windows reports 0o666 for every file (its ACLs are not mode bits), so a refusal there could
    never be fixed: the check is skipped, with a note once per process."""
    global _noted_windows_modes
    if os.name != "nt":
        return True
    if not _noted_windows_modes:
        _noted_windows_modes = True
        import logging

        logging.getLogger("flickr_replace.config").info(
            "not checking who can read %s: Windows keeps that in the file's ACL (your user profile "
            "folder is private by default)", path)
    return False


def _platform_dirs(env: Mapping[str, str]) -> tuple[Path, Path, Path, Path]:
    """(config, state, cache, data) dirs as platformdirs names them, read from `env` alone."""
    if sys.platform == "win32":  # known-folder API, not the environment
        import platformdirs

        # appauthor=False: AppData\Local\flickr-replace, not ...\flickr-replace\flickr-replace
        return tuple(Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))  # type: ignore[return-value]
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
class Rule:
    """What one setting accepts: a type as users and plugin.yaml name it, the allowed values in words,
    and the parser every way in shares (config file, command line, Python API)."""

    kind: str
    allowed: str
    parse: Callable[[Any], Any]  # the value as Config holds it; ValueError when not allowed


def _whole(minimum: int) -> Rule:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)
        number = int(value.strip() if isinstance(value, str) else value)
        if number < minimum:
            raise ValueError(value)
        return number

    return Rule("integer", f"a whole number, at least {minimum}", parse)


def _seconds(zero: bool) -> Rule:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(value)
        number = float(value.strip() if isinstance(value, str) else value)
        if not (number >= 0 if zero else number > 0) or number != number or number == float("inf"):
            raise ValueError(value)
        return number

    return Rule("number", "a number of seconds, 0 or more" if zero else "a number of seconds above 0", parse)


_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, str)) and str(value).strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[str(value).strip().lower()]
    raise ValueError(value)


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def byte_size(value: Any) -> int:
    """A byte count (or bytes per second), with an optional K/M/G suffix in binary units: `500k`,
    `200M/s`. The command line's `--limit-rate` and the config's `limit_rate` both read it."""
    if isinstance(value, bool):
        raise ValueError(value)
    text = str(value).strip().upper().removesuffix("/S").removesuffix("IB").removesuffix("B")
    unit = text[-1:] if text[-1:] in ("K", "M", "G") else ""
    size = int(float(text[: len(text) - len(unit)]) * _UNITS[unit])
    if size <= 0:
        raise ValueError(value)
    return size


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(value)
    return str(value).strip()


def _choice(*words: str) -> Rule:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in words:
            raise ValueError(value)
        return value.strip().lower()

    return Rule("string", "one of " + ", ".join(words), parse)


def _metadata_fields(value: Any) -> bool | tuple[str, ...]:
    """`metadata`: true (every field), false, or a list of field names (kept in the fields' order)."""
    if isinstance(value, str) and value.strip().lower() not in _BOOL_WORDS:
        value = [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, (list, tuple)):
        names = [str(v).strip().lower() for v in value]
        if any(n not in METADATA_FIELDS for n in names):
            raise ValueError(value)
        return tuple(f for f in METADATA_FIELDS if f in names)
    return _boolean(value)


TEXT = Rule("string", "text", _text)
PATH = Rule("string", "a folder (~ is your home folder; a relative one is in the config file's folder)", _text)
BOOLEAN = Rule("boolean", "true or false (also yes/no, on/off, 1/0)", _boolean)
PRIVACY_WORDS = tuple(PRIVACY)


def setting(default: Any, rule: Rule, help: str) -> Any:
    """A Config field with its rule and its one-line description: the table of settings."""
    return field(default=default, metadata={"rule": rule, "help": help})


@dataclass(frozen=True)
class Config:
    """Every setting, with its type, range and default: one table for the config file, the
    command line, the Python API, plugin.yaml and the README."""

    api_key: str | None = setting(None, TEXT, "your app's key from Flickr's App Garden")
    api_secret: str | None = setting(None, TEXT, "your app's secret")
    oauth_token: str | None = setting(None, TEXT, "the token `flickr-replace auth` stored")
    oauth_token_secret: str | None = setting(None, TEXT, "the token's secret")
    base_url: str | None = setting(None, Rule("string", "an https:// URL (http:// only to this machine)", _text),
                                   "one base for every Flickr endpoint (the sandbox, a proxy)")
    retries: int = setting(4, _whole(1), "upload attempts in all, for temporary failures (105, 106, HTTP 5xx, dropped connections)")
    backoff: float = setting(1.0, _seconds(zero=True), "seconds before the first retry; doubles each time, with jitter")
    timeout: float = setting(600.0, _seconds(zero=True), "seconds to wait for async tickets before reporting `pending`")
    http_timeout: float = setting(60.0, _seconds(zero=False), "seconds to wait for an answer (uploads get more per byte sent)")
    record: bool = setting(False, BOOLEAN, "write NAME.EXT.flickr.yaml after a replace whose id came from the caller")
    calls_per_hour: int = setting(3600, _whole(1), "client-side API call limit (Flickr blocks keys beyond 3,600 an hour)")
    limit_rate: int | None = setting(None, Rule("integer", "bytes per second, e.g. 500k or 2M", byte_size),
                                     "cap upload speed; null for full speed")
    jobs: int = setting(1, _whole(1), "files replaced at a time")
    state_dir: str | None = setting(None, PATH, "where pending tickets are kept (default: the user state dir)")
    privacy: str = setting("private", _choice(*PRIVACY_WORDS), "who may see a photo uploaded as new (`--upload-missing`)")
    upload_missing: bool = setting(False, BOOLEAN, "upload a file no source has an id for as a new photo, instead of failing")
    backup: bool = setting(True, BOOLEAN, "save each photo's current original before replacing it")
    backup_dir: str | None = setting(None, PATH, "where backups go (default: the user data dir's flickr-replace/backups)")
    metadata: bool | tuple[str, ...] = setting(
        True, Rule("boolean or list", "true, false, or a list of " + ", ".join(METADATA_FIELDS), _metadata_fields),
        "bring the file's metadata onto the photo after a replace, upload or undo: every field, none, or those listed")
    path: str | None = None       # the config file these settings were read from
    dirs: UserDirs | None = field(default=None, repr=False)  # the user dirs of the environment read

    def __post_init__(self) -> None:
        for key in SETTINGS:  # a Config is never out of range, however it was made
            object.__setattr__(self, key, check_setting(key, getattr(self, key)))

    @property
    def user_dirs(self) -> UserDirs:
        """The dirs of the environment this config was loaded from (the process's for a bare Config)."""
        return self.dirs or UserDirs.from_env(os.environ)

    @property
    def state_path(self) -> Path:
        """Where pending tickets are kept: the `state_dir` setting, else the user state dir."""
        return Path(self.state_dir).expanduser() if self.state_dir else self.user_dirs.state

    @property
    def backup_path(self) -> Path:
        """Where backups go: the `backup_dir` setting (`~` expanded), else the user data dir's `backups`."""
        return Path(self.backup_dir).expanduser() if self.backup_dir else self.user_dirs.backups

    @property
    def metadata_fields(self) -> tuple[str, ...]:
        """The metadata fields a replace brings onto the photo (none when `metadata` is false)."""
        return METADATA_FIELDS if self.metadata is True else self.metadata or ()

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
        """This config with `changes` over it (None keeps the config's); each change checked."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


NOT_SETTINGS = ("path", "dirs")  # Config fields no file or variable sets
SETTINGS = {f.name: f.type for f in fields(Config) if f.name not in NOT_SETTINGS}
RULES: dict[str, Rule] = {f.name: f.metadata["rule"] for f in fields(Config) if f.name in SETTINGS}
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Config) if f.name in SETTINGS}


def check_setting(key: str, value: Any, where: str = "") -> Any:
    """The value as Config holds it; None is the default. A value out of type or range is a one-line
    ConfigError naming the key and what it may be."""
    if value is None:
        return DEFAULTS[key]
    rule = RULES[key]
    try:
        return rule.parse(value)
    except (TypeError, ValueError, OverflowError):
        shown = value if isinstance(value, (int, float)) else repr(value)
        raise ConfigError(f"{where + ': ' if where else ''}{key} must be {rule.allowed}, not {shown}") from None


def settings_table() -> str:
    """The README's table of settings, made from the same table the checks use."""
    rows = ["| key | type | allowed | default | what it does |", "|---|---|---|---|---|"]
    for f in fields(Config):
        if f.name in SETTINGS:
            rule = f.metadata["rule"]
            default = "null" if f.default is None else str(f.default).lower() if isinstance(f.default, bool) else f.default
            rows.append(f"| `{f.name}` | {rule.kind} | {rule.allowed} | `{default}` | {f.metadata['help']} |")
    return "\n".join(rows) + "\n"


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
    if any(data.get(k) for k in SECRET_KEYS) and _permissions_checkable(path) and \
            st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"config file {path} holds secrets and is readable by others; fix it with: chmod 600 {path}")
    return data


def load_config(env: Mapping[str, str] | None = None, plugins: Any = None) -> Config:
    """The file's settings, then a host plugin's credentials, then the environment's: `env` is the
    only environment read (os.environ when None)."""
    env = os.environ if env is None else env
    dirs = UserDirs.from_env(env)
    path = dirs.config_file
    values: dict[str, Any] = {}
    for key, value in read_config_file(path).items():
        values[key] = check_setting(key, value, f"config file {path}")
        if RULES[key] is PATH and values[key]:
            values[key] = expand_path(values[key], env, Path(os.path.abspath(path)).parent)
    if plugins is not None:
        supplied = plugins.flickr_credentials() or {}
        values.update({k: str(v) for k, v in dict(supplied).items() if k in CREDENTIAL_KEYS and v})
    for key, name in ENV_NAMES.items():
        if env.get(name):
            values[key] = env[name]
    config = Config(path=str(path), dirs=dirs, **values)
    check_base_url(config.base_url)
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
    """Merge `updates` into the config file, written atomically with mode 0600.

    The user's file stays theirs: its comments and the order of its keys are kept (only the lines
    of the keys set change), and a symlinked config is written where the link points, not replaced
    by a regular file."""
    from .fsutil import atomic_write

    target = Path(os.path.realpath(path))
    data = read_config_file(target) if target.exists() else {}
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    atomic_write(target, merged_yaml(text, {**data, **updates}, updates), mode=0o600)


def merged_yaml(text: str, expected: Mapping[str, Any], updates: Mapping[str, str]) -> str:
    """`text` with each updated top-level key's line rewritten (or appended); a file whose keys are
    not one line each (a block value) is dumped afresh, as the only way to be sure of its content."""
    import re

    import yaml

    lines = text.splitlines()
    for key, value in updates.items():
        line = yaml.safe_dump({key: value}, default_flow_style=False, width=10_000).strip()
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        found = [n for n, old in enumerate(lines) if pattern.match(old)]
        if found:
            lines[found[0]] = line
        else:
            lines.append(line)
    merged = "\n".join(lines) + "\n"
    if (yaml.safe_load(merged) or {}) != dict(expected):
        return yaml.safe_dump(dict(expected), sort_keys=True)
    return merged
