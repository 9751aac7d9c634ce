"""`replace --progress-json FILE`: each file's stage as it happens, for a host's progress bar,
with `--json`'s stdout left to one result per path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from clirun import Started, cli, sandbox_env, wait_until
from flickr_replace_plugin.sandbox import Sandbox


def on_flickr(sandbox, make_jpeg, name: str, size=(400, 300)) -> str:
    """An export whose photo is on the sandbox, named by its sidecar."""
    path = make_jpeg(name, size=size)
    Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{sandbox.add_photo(make_jpeg("o-" + name).read_bytes())}"\n')
    return str(path)


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"event"')]


def test_each_file_goes_through_its_stages_in_order(sandbox, cli_env, make_jpeg, tmp_path):
    sent = on_flickr(sandbox, make_jpeg, "sent.jpg", size=(1600, 1200))
    no_id = str(make_jpeg("no-id.jpg"))
    stream = tmp_path / "progress.jsonl"

    ran = cli(["replace", "--json", "--limit-rate", "200k", "--progress-json", str(stream), sent, no_id], cli_env)

    assert ran.returncode == 1  # the file with no id failed; stdout is untouched by the stream
    results = ran.by_path()
    assert (results[sent]["status"], results[no_id]["error"]["reason"]) == ("replaced", "no_photo_id")
    seen = events(stream.read_text())
    assert all(set(e) == {"event", "path", "stage", "sent", "size"} and e["event"] == "stage" for e in seen)
    mine = [e for e in seen if e["path"] == sent]
    stages = [e["stage"] for e in mine]
    assert stages[0] == "checking" and stages[-2:] == ["processing", "metadata"], stages
    sending = [e for e in mine if e["stage"] == "sending"]
    assert len(sending) >= 2 and sending[0]["sent"] == 0, sending  # the bytes, as they went out
    assert [e["sent"] for e in sending] == sorted(e["sent"] for e in sending)
    assert {e["size"] for e in sending} == {results[sent]["bytes"]}
    assert mine[-2]["sent"] == mine[-2]["size"] == results[sent]["bytes"]
    assert [e["stage"] for e in seen if e["path"] == no_id] == ["checking"]  # refused before any byte went


def test_the_stream_is_there_while_flickr_still_works_on_the_ticket(cli_env, make_jpeg, tmp_path):
    with Sandbox(data_dir=tmp_path / "slow", port=0, latency=0.0, max_bytes=None, ticket_delay=3.0) as slow:
        path = on_flickr(slow, make_jpeg, "slow.jpg")
        stream = tmp_path / "progress.jsonl"
        run = Started(["replace", "--json", "--progress-json", str(stream), path],
                      sandbox_env(cli_env, slow), tmp_path / "out.jsonl")
        wait_until(lambda: stream.exists() and "processing" in stream.read_text(), what="the processing stage")
        assert run.lines() == []  # no result yet: the host knows what the image waits for
        ran = run.finish()
    assert ran.returncode == 0 and [r["status"] for r in ran.results()] == ["replaced"]


def test_a_dash_puts_the_stream_on_stderr(sandbox, cli_env, make_jpeg):
    path = on_flickr(sandbox, make_jpeg, "dash.jpg")
    ran = cli(["replace", "--json", "--progress-json", "-", path], cli_env)
    assert ran.returncode == 0 and len(ran.results()) == 1
    assert [e["stage"] for e in events(ran.stderr)][0] == "checking"


@pytest.mark.parametrize("where", ["no-such-folder/progress.jsonl", "."])
def test_a_stream_that_cannot_be_written_is_a_command_line_error(sandbox, cli_env, make_jpeg, tmp_path, where):
    path = on_flickr(sandbox, make_jpeg, "nowhere.jpg")
    ran = cli(["replace", "--json", "--progress-json", str(tmp_path / where), path], cli_env)
    assert ran.returncode == 2 and ran.stdout == "" and "--progress-json" in ran.stderr
    assert [r for r in sandbox.requests if r["path"].startswith("/services/")] == []
