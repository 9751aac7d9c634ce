"""Shared fixtures: a real sandbox per test, an environment pointing the CLI at it, real JPEGs."""
from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from flickr_replace_plugin.sandbox import Sandbox

USER_DIR_VARIABLES = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")


@pytest.fixture(scope="session", autouse=True)
def user_dirs_stay_empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole suite runs with HOME and every XDG dir in one empty dir, and must leave it empty.

    Every test, in-process or not, then proves it keeps away from a real user's config, state,
    cache and data: a file written there fails the run (an error at the last test's teardown).
    """
    home = tmp_path_factory.mktemp("user-home")
    saved = {k: v for k, v in os.environ.items() if k == "HOME" or k in USER_DIR_VARIABLES or k.startswith("FLICKR_")}
    for name in saved:
        del os.environ[name]
    os.environ["HOME"] = str(home)
    for name, sub in zip(USER_DIR_VARIABLES, (".config", ".local/state", ".local/share", ".cache")):
        os.environ[name] = str(home / sub)
    try:
        yield home
        left = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
        assert not left, f"the tests wrote into the user's dirs: {left}"
    finally:
        for name in ("HOME", *USER_DIR_VARIABLES):
            os.environ.pop(name, None)
        os.environ.update(saved)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A running sandbox with its own data dir; tickets complete after 0.2 s."""
    with Sandbox(data_dir=tmp_path / "sandbox", port=0, latency=0.0, max_bytes=None, ticket_delay=0.2) as sb:
        yield sb


@pytest.fixture
def cli_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """os.environ for a CLI subprocess: the sandbox's URL and credentials, every user dir in tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLICKR_", "XDG_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    creds = sandbox.credentials
    env.update(
        FLICKR_API_KEY=creds["api_key"],
        FLICKR_API_SECRET=creds["api_secret"],
        FLICKR_OAUTH_TOKEN=creds["oauth_token"],
        FLICKR_OAUTH_TOKEN_SECRET=creds["oauth_token_secret"],
        FLICKR_REPLACE_BASE_URL=sandbox.base_url,
        FLICKR_REPLACE_CONFIG=str(tmp_path / "no-such-config.yaml"),
        FLICKR_REPLACE_STATE_DIR=str(tmp_path / "state"),
        HOME=str(home),
    )
    return env


def sample_photo(size: tuple[int, int], name: str = "astronaut"):
    """A real photograph from scikit-image's bundled samples, cropped to `size`'s aspect and resized."""
    from PIL import Image, ImageOps
    import skimage.data

    image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


@pytest.fixture
def make_jpeg(tmp_path: Path) -> Callable[..., Path]:
    """Factory: make_jpeg(name="photo.jpg", size=(64, 48), directory=None) -> a real JPEG, new bytes each call.

    Every call is one real photograph (scikit-image's astronaut) a little brighter than the last:
    new bytes, the same picture, so a replace of one by another passes the same-picture check."""
    from PIL import ImageEnhance

    counter = itertools.count(1)

    def make(name: str = "photo.jpg", size: tuple[int, int] = (64, 48), directory: Path | None = None) -> Path:
        n = next(counter)
        path = Path(directory or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image = ImageEnhance.Brightness(sample_photo(size)).enhance(0.9 + (n % 8) * 0.03)
        image.save(path, "JPEG", quality=85, comment=f"make_jpeg #{n}".encode())
        return path

    return make
