"""Independent calls go out together, and what a token's account never changes is asked once:
seen from the sandbox's request log (when each request arrived, which were made at all)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flickr_replace_plugin import replace
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.sandbox import Sandbox

SHARED = ("flickr.people.getUploadStatus", "flickr.test.login", "flickr.photos.getInfo")


def config_for(sandbox: Sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                  backoff=0.01, timeout=30, **sandbox.credentials)


def arrivals(sandbox: Sandbox) -> dict[str, float]:
    """Each REST method's first arrival."""
    first: dict[str, float] = {}
    for r in sandbox.requests:
        if r["rest_method"]:
            first.setdefault(r["rest_method"], r["time"])
    return first


def test_the_limit_the_user_and_getinfo_go_out_together_then_are_remembered(sandbox, make_jpeg, tmp_path):
    config = config_for(sandbox, tmp_path)
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    sandbox.latency = 0.3  # each answer takes 0.3 s: one after the other, they would arrive 0.3 s apart
    result = replace(str(make_jpeg("export.jpg")), photo_id=pid, config=config, force=True)
    assert result.status.value == "replaced", result.error
    first = arrivals(sandbox)
    assert set(SHARED) <= set(first)
    times = [first[m] for m in SHARED]
    assert max(times) - min(times) < 0.2, first

    sandbox.clear_requests()
    result = replace(str(make_jpeg("export.jpg")), photo_id=pid, config=config, force=True)
    assert result.status.value == "replaced", result.error
    assert not {"flickr.test.login", "flickr.people.getUploadStatus"} & set(arrivals(sandbox))  # the user and the limit came from the store

    with sqlite3.connect(tmp_path / "state" / "journal.sqlite") as db:
        rows = db.execute("SELECT * FROM account").fetchall()
    assert len(rows) == 1 and config.oauth_token not in repr(rows)  # keyed by a hash, never the token


def test_a_remembered_user_is_per_token(sandbox, make_jpeg, tmp_path):
    config = config_for(sandbox, tmp_path)
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    assert replace(str(make_jpeg("export.jpg")), photo_id=pid, config=config, force=True).status.value == "replaced"
    sandbox.clear_requests()
    memory_path = tmp_path / "state" / "journal.sqlite"
    with sqlite3.connect(memory_path) as db:
        db.execute("UPDATE account SET key = 'another token'")
    assert replace(str(make_jpeg("export.jpg")), photo_id=pid, config=config, force=True).status.value == "replaced"
    assert "flickr.test.login" in arrivals(sandbox)  # this token's user is asked again
