"""The journal names the source image of each entry: `history SOURCE` finds a host's exports."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from clirun import cli

OLD_SCHEMA = """
CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, path TEXT, photo_id TEXT,
    command TEXT NOT NULL, status TEXT NOT NULL, sha256 TEXT, backup TEXT, previous TEXT, secret TEXT,
    originalsecret TEXT, bytes INTEGER, finished TEXT);
INSERT INTO entries (time, path, photo_id, command, status) VALUES
    ('2024-05-01T10:00:00.000000Z', '/exports/old.jpg', '111', 'replace', 'replaced');
"""


def history(keys, env) -> list[dict]:
    ran = cli(["history", "--json", *map(str, keys)], env)
    assert ran.returncode == 0, ran.stderr
    return [json.loads(line) for line in ran.stdout.splitlines()]


def test_history_of_a_source_image_lists_its_exports_in_a_journal_from_an_earlier_version(cli_env, tmp_path):
    from flickr_replace_plugin.safety.journal import Journal

    state = tmp_path / "state"
    state.mkdir()
    with closing(sqlite3.connect(state / "journal.sqlite")) as db:  # written before the column existed
        db.executescript(OLD_SCHEMA)
    source = tmp_path / "library" / "DSC_0500.NEF"
    journal = Journal(state)
    for n in range(2):  # two exports of one source, each to a temporary file of its own
        entry = journal.begin(path=str(tmp_path / f"tmp{n}" / "DSC_0500.jpg"), photo_id="222", command="replace",
                              original=str(source))
        journal.finish(entry, "replaced")
    journal.begin(path=str(tmp_path / "other.jpg"), photo_id="333", command="replace")

    found = history([source], cli_env)

    assert [e["path"] for e in found] == [str(tmp_path / f"tmp{n}" / "DSC_0500.jpg") for n in (1, 0)]
    assert {e["original"] for e in found} == {str(source)} and {e["photo_id"] for e in found} == {"222"}
    # the entry written by the earlier version is still there, with no source named
    [old] = history(["/exports/old.jpg"], cli_env)
    assert (old["photo_id"], old["original"]) == ("111", None)
    assert len(history([], cli_env)) == 4
    assert [e["photo_id"] for e in history([tmp_path / "tmp0" / "DSC_0500.jpg"], cli_env)] == ["222"]
