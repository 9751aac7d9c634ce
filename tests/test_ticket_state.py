"""Saved tickets are never lost and never finished twice: they live on their journal entries (no JSON
state file), a `tickets.json` an earlier version left is imported once and moved aside (when
damaged, what it still holds is recovered, and one bad entry never blocks the others), a ticket
waited on by a live run is left to it, a ticket that could not be saved is never promised to a
later run, and the config file's paths mean the same wherever the tool is started from."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Callable

import pytest

from clirun import Started, as_earlier_version, cli, refuse_ticket_saves, saved_tickets, wait_until, with_config
from flickr_replace_plugin.sandbox import Sandbox

GET_INFO = "flickr.photos.getInfo"
PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def export(sandbox: Sandbox, make_jpeg: Callable[..., Path]) -> Callable[[str], Path]:
    """Factory: a photo on the sandbox and a new export of it whose sidecar names it."""

    def make(name: str) -> Path:
        pid = sandbox.add_photo(make_jpeg(f"old-{name}").read_bytes(), filename=name)
        path = make_jpeg(name)
        Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
        return path

    return make


@pytest.fixture
def state(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["FLICKR_REPLACE_STATE_DIR"])


def pending(cli_env: dict[str, str], paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Replace with --no-wait: the tickets it saved, by ticket id."""
    ran = cli(["replace", *map(str, paths), "--no-wait", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    assert {r["status"] for r in ran.results()} == {"pending"}
    return saved_tickets(Path(cli_env["FLICKR_REPLACE_STATE_DIR"]))


def asides(state: Path) -> list[Path]:
    return sorted(state.glob("tickets.json.imported-*"))


def history(cli_env: dict[str, str]) -> list[dict[str, Any]]:
    ran = cli(["history", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    return [json.loads(line) for line in ran.stdout.splitlines()]


# -- one store: the journal ---------------------------------------------------------------------------

def test_a_no_wait_run_saves_its_tickets_in_the_journal_and_writes_no_json_file(sandbox, cli_env, export, state):
    saved = pending(cli_env, [export("a.jpg"), export("b.jpg")])  # (saved_tickets: no tickets.json)
    assert len(saved) == 2 and all(entry["claim"] is None for entry in saved.values())  # nothing waits on them
    assert not list(state.rglob("*.json")) and not list(state.rglob("tickets.json*"))
    assert {e["status"] for e in history(cli_env)} == {"pending"}  # the entries that hold them
    ran = cli(["tickets", "--json"], cli_env)
    assert {r["ticket_id"]: r["status"] for r in ran.results()} == {tid: "replaced" for tid in saved}
    assert [e["status"] for e in history(cli_env)] == ["replaced", "replaced"]  # completed, none added
    assert saved_tickets(state) == {} and not list(state.rglob("*.json"))


def test_a_journal_an_earlier_version_wrote_keeps_working(sandbox, cli_env, export, state):
    state.mkdir(parents=True)
    with closing(sqlite3.connect(state / "journal.sqlite")) as db, db:  # the earlier layout, one entry in it
        db.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, path TEXT,"
                   " photo_id TEXT, command TEXT NOT NULL, status TEXT NOT NULL, sha256 TEXT, backup TEXT,"
                   " previous TEXT, secret TEXT, originalsecret TEXT, bytes INTEGER, finished TEXT)")
        db.execute("INSERT INTO entries (time, path, photo_id, command, status) VALUES"
                   " ('2024-01-02T03:04:05Z', '/old.jpg', '123', 'replace', 'replaced')")
    saved = pending(cli_env, [export("a.jpg")])
    assert [e["status"] for e in history(cli_env)] == ["pending", "replaced"]
    ran = cli(["tickets", "--json"], cli_env)
    assert [(r["ticket_id"], r["status"]) for r in ran.results()] == [(tid, "replaced") for tid in saved]
    assert [(e["path"], e["status"]) for e in history(cli_env)][1] == ("/old.jpg", "replaced")


def test_a_ticket_whose_upload_was_not_journalled_gets_an_entry_of_its_own(tmp_path, cli_env, state):
    from flickr_replace_plugin.result import ReplaceResult, Status
    from flickr_replace_plugin.tickets import TicketStore

    photo = tmp_path / "a.jpg"
    result = ReplaceResult(path=str(photo), photo_id="52345678901", status=Status.PENDING, ticket_id="7-1",
                           attempts=2, warnings=["a warning"])
    store = TicketStore(state)
    store.add(result, claim=False)
    assert result.journal_entry is not None  # the entry whoever finishes the ticket completes
    [entry] = history(cli_env)
    assert (entry["photo_id"], entry["path"], entry["status"]) == ("52345678901", str(photo), "pending")
    later = TicketStore(state)  # another run: it finds the ticket, and the entry it is on
    claimed, held = later.claim_saved()
    later.release()
    assert held == [] and [(e["ticket_id"], e["journal"], e["attempts"], e["warnings"]) for e in claimed] == \
        [("7-1", result.journal_entry, 2, ["a warning"])]


@pytest.mark.parametrize("first", ["tickets", "replace"], ids=["first use: tickets", "first use: a replace"])
def test_tickets_an_earlier_version_saved_are_imported_once_and_finished(sandbox, cli_env, export, state, first):
    saved = pending(cli_env, [export(f"{n}.jpg") for n in range(2)])
    old = as_earlier_version(state)
    data = json.loads(old.read_text(encoding="utf-8"))
    unjournalled = sorted(saved)[0]  # sent without a journal entry: the import gives it one
    with closing(sqlite3.connect(state / "journal.sqlite")) as db, db:
        db.execute("DELETE FROM entries WHERE id = ?", (data["tickets"][unjournalled].pop("journal"),))
    old.write_text(json.dumps(data), encoding="utf-8")
    if first == "replace":
        saved.update(pending(cli_env, [export("new.jpg")]))  # imports the file, then saves its own ticket
        assert len(saved_tickets(state)) == 3

    ran = cli(["tickets", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    assert {r["ticket_id"]: r["status"] for r in ran.results()} == {tid: "replaced" for tid in saved}
    assert "damaged" not in ran.stderr
    [aside] = asides(state)
    assert json.loads(aside.read_text(encoding="utf-8")) == data and not old.exists()  # kept whole, moved aside
    entries = history(cli_env)
    assert [e["status"] for e in entries] == ["replaced"] * len(saved)  # one each, completed
    assert saved[unjournalled]["path"] in {e["path"] for e in entries}
    again = cli(["tickets"], cli_env)
    assert again.returncode == 0 and "no pending tickets" in again.stderr
    assert asides(state) == [aside] and saved_tickets(state) == {}


def test_a_photo_id_an_earlier_version_saved_as_a_number_is_still_finished(sandbox, cli_env, export, state):
    [tid] = pending(cli_env, [export("a.jpg")])
    old = as_earlier_version(state)
    data = json.loads(old.read_text(encoding="utf-8"))
    photo_id = data["tickets"][tid]["photo_id"]
    data["tickets"][tid]["photo_id"] = int(photo_id)
    old.write_text(json.dumps(data), encoding="utf-8")
    ran = cli(["tickets", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    assert [(r["ticket_id"], r["photo_id"], r["status"]) for r in ran.results()] == [(tid, photo_id, "replaced")]
    assert "damaged" not in ran.stderr and "left out" not in ran.stderr


# -- a damaged file -----------------------------------------------------------------------------------

def _truncated(text: str) -> str:
    return text[: text.rindex('"ticket_id"')]  # cut inside the last entry, as a full disk leaves it


def _garbled(text: str) -> str:
    middle = text.index('"ticket_id"', text.index('"ticket_id"') + 1)  # the second entry's heart
    return text[:middle] + "\x00\x00 garbage ]]] {{" + text[middle + 20:]


def _wrong_shape(text: str) -> str:
    return json.dumps(list(json.loads(text)["tickets"].values()))  # a bare list of the entries


@pytest.mark.parametrize("damage, lost", [(_truncated, 1), (_garbled, 1), (_wrong_shape, 0)],
                         ids=["truncated", "garbled", "wrong-shape"])
def test_a_damaged_ticket_file_is_kept_aside_and_every_readable_ticket_finishes(sandbox, cli_env, export, state,
                                                                                damage, lost):
    saved = pending(cli_env, [export(f"{n}.jpg") for n in range(3)])
    store = as_earlier_version(state)
    damaged = damage(store.read_text(encoding="utf-8"))
    store.write_text(damaged, encoding="utf-8")

    ran = cli(["tickets", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    [aside] = asides(state)
    assert aside.read_text(encoding="utf-8") == damaged  # the file as it was, byte for byte
    assert "damaged" in ran.stderr and str(aside) in ran.stderr and "delete that copy" in ran.stderr
    finished = {r["ticket_id"]: r for r in ran.results()}
    assert len(finished) == 3 - lost and set(finished) <= set(saved)
    assert {r["status"] for r in finished.values()} == {"replaced"}
    for tid in set(saved) - set(finished):  # what could not be recovered is still in the copy
        assert tid in damaged
    assert not store.exists() and saved_tickets(state) == {}  # imported: the next run warns of nothing
    again = cli(["tickets"], cli_env)
    assert again.returncode == 0 and "damaged" not in again.stderr and len(asides(state)) == 1


def test_a_second_damaged_file_never_overwrites_the_first_copy(sandbox, cli_env, export, state):
    store = state / "tickets.json"
    copies = []
    for n in range(2):
        pending(cli_env, [export(f"{n}.jpg")])
        as_earlier_version(state)
        store.write_text(store.read_text(encoding="utf-8")[:-1] + f"cut {n}", encoding="utf-8")  # its end lost
        copies.append(store.read_text(encoding="utf-8"))
        ran = cli(["tickets", "--json"], cli_env)
        assert ran.returncode == 0, ran.stderr
        assert [r["status"] for r in ran.results()] == ["replaced"]
    assert [p.read_text(encoding="utf-8") for p in asides(state)] == copies


def test_a_ticket_file_that_cannot_be_read_is_left_alone_and_said_so(cli_env, state):
    (state / "tickets.json").mkdir(parents=True)  # not a file: nothing to read, nothing to overwrite
    ran = cli(["tickets"], cli_env)
    assert ran.returncode == 1
    assert "cannot read or update the saved tickets" in ran.stderr and "unexpected" not in ran.stderr
    assert (state / "tickets.json").is_dir() and not asides(state)


def test_a_replace_still_saves_its_ticket_when_an_earlier_ticket_file_cannot_be_read(sandbox, cli_env, export,
                                                                                     state):
    (state / "tickets.json").mkdir(parents=True)
    ran = cli(["replace", str(export("a.jpg")), "--no-wait", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert result["status"] == "pending" and not result["warnings"]
    assert "could not import" in ran.stderr and "tickets.json" in ran.stderr
    assert list(saved_tickets(state)) == [result["ticket_id"]] and (state / "tickets.json").is_dir()


# -- bad entries ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spoil, why", [
    (lambda e: e.update(source=5), "source must be text"),
    (lambda e: e.pop("path"), "no path"),
    (lambda e: e.pop("ticket_id"), "no ticket_id"),
    (lambda e: e.update(attempts="two"), "attempts must be a whole number"),
    (lambda e: e.update(warnings=[1, 2]), "warnings must be a list of text"),
], ids=["number-for-text", "no-path", "no-ticket-id", "text-for-number", "wrong-list"])
def test_one_bad_entry_never_blocks_the_valid_tickets_beside_it(sandbox, cli_env, export, state, spoil, why):
    saved = pending(cli_env, [export(f"{n}.jpg") for n in range(3)])
    bad = sorted(saved)[1]
    data = json.loads(as_earlier_version(state).read_text(encoding="utf-8"))
    spoil(data["tickets"][bad])
    (state / "tickets.json").write_text(json.dumps(data), encoding="utf-8")

    ran = cli(["tickets", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    assert "unexpected" not in ran.stderr
    assert bad in ran.stderr and why in ran.stderr  # named, with what is wrong with it
    finished = {r["ticket_id"]: r["status"] for r in ran.results()}
    assert finished == {tid: "replaced" for tid in saved if tid != bad}
    [aside] = asides(state)
    assert str(aside) in ran.stderr
    assert bad in json.loads(aside.read_text(encoding="utf-8"))["tickets"]  # kept, as it was
    assert saved_tickets(state) == {}


# -- claims: each ticket finished once --------------------------------------------------------------

@pytest.fixture
def counted_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI environment with a plugin that writes every after_replace call to a file (of
    processes: the plugin reads the log's name from the process environment)."""
    return {**cli_env, "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]),
            "FLICKR_REPLACE_PLUGINS": "sample_recorder", "SAMPLE_RECORDER_LOG": str(tmp_path / "after.jsonl")}


def after_replace_calls(env: dict[str, str]) -> list[str]:
    log = Path(env["SAMPLE_RECORDER_LOG"])
    return [json.loads(line)["ticket_id"] for line in log.read_text(encoding="utf-8").splitlines()] \
        if log.exists() else []


def held_replace(sandbox: Sandbox, env: dict[str, str], paths: list[Path], out: Path) -> Started:
    """`replace` in its own process, waiting on tickets the sandbox holds until released."""
    sandbox.ticket_delay = 3600.0
    run = Started(["replace", *map(str, paths), "--json"], env, out)
    state = Path(env["FLICKR_REPLACE_STATE_DIR"])
    wait_until(lambda: len(saved_tickets(state)) == len(paths) or run.proc.poll() is not None,
               what="the run to save its tickets")
    assert run.proc.poll() is None, run.err.read_text()
    return run


def test_tickets_leaves_a_ticket_to_the_live_run_waiting_on_it(sandbox, counted_env, export, state, tmp_path):
    paths = [export(f"{n}.jpg") for n in range(2)]
    run = held_replace(sandbox, counted_env, paths, tmp_path / "replace.jsonl")
    saved = saved_tickets(state)
    sandbox.clear_requests()

    # `tickets` meanwhile: it either leaves them to the run, or is seen polling them when they are let go
    other = Started(["tickets", "--json", "-v"], counted_env, tmp_path / "tickets.jsonl")
    wait_until(lambda: other.proc.poll() is not None or "polling" in other.err.read_text(),
               what="`tickets` to leave the tickets or to wait on them")
    sandbox.release_tickets()
    first, meanwhile = run.finish(), other.finish()
    assert first.returncode == 0, first.stderr
    assert meanwhile.returncode == 0, meanwhile.stderr
    assert sandbox.rest_calls(GET_INFO) == len(saved)  # each ticket finished once: one getInfo each
    assert sorted(after_replace_calls(counted_env)) == sorted(saved)  # and one after_replace each
    results = first.results() + meanwhile.results()
    assert sorted(r["ticket_id"] for r in results) == sorted(saved)  # one result line per ticket
    assert {r["status"] for r in results} == {"replaced"}
    assert meanwhile.stdout == ""  # the waiting run printed them all
    for tid in saved:
        line = next(line for line in meanwhile.stderr.splitlines() if tid in line)
        assert f"run {run.proc.pid} on " in line and "will print its result" in line
    later = cli(["tickets", "--json"], counted_env, process=True)
    assert later.returncode == 0 and later.stdout == "" and saved_tickets(state) == {}


def test_the_tickets_of_a_run_that_died_are_finished_by_the_next(sandbox, counted_env, export, state, tmp_path):
    run = held_replace(sandbox, counted_env, [export("a.jpg")], tmp_path / "replace.jsonl")
    saved = saved_tickets(state)
    assert [e["claim"]["pid"] for e in saved.values()] == [run.proc.pid]  # claimed by the run that waits
    run.finish(signal.SIGKILL)  # no chance to let go of anything: the OS releases its lock
    sandbox.release_tickets()

    later = cli(["tickets", "--json"], counted_env, process=True)
    assert later.returncode == 0, later.stderr
    assert [(r["ticket_id"], r["status"]) for r in later.results()] == [(tid, "replaced") for tid in saved]
    assert after_replace_calls(counted_env) == list(saved)
    assert saved_tickets(state) == {}


# -- a ticket that cannot be saved ------------------------------------------------------------------

def test_no_wait_with_a_ticket_that_cannot_be_saved_waits_for_it_instead(sandbox, cli_env, export, state):
    refuse_ticket_saves(state)  # the ticket cannot be saved (as on a full disk)
    ran = cli(["replace", str(export("a.jpg")), "--no-wait", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert result["status"] == "replaced" and result["secret"]  # waited for: finished in this run
    assert any("could not be saved" in w for w in result["warnings"])
    assert "finish later" not in ran.stdout + ran.stderr


def test_a_ticket_that_cannot_be_saved_is_never_promised_to_a_later_run(sandbox, cli_env, export, state):
    refuse_ticket_saves(state)
    sandbox.ticket_delay = 3600.0
    path = export("a.jpg")
    ran = cli(["replace", str(path), "--no-wait", "--timeout", "0.5", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert result["status"] == "pending"
    said = " ".join(result["warnings"])
    assert "could not be saved" in said and "cannot finish it" in said and "flickr.com" in said
    human = cli(["replace", str(export("b.jpg")), "--timeout", "0.5"], cli_env)
    assert "pending" in human.stdout and "cannot finish it" in human.stdout
    assert "finish later" not in human.stdout + human.stderr


# -- config paths -----------------------------------------------------------------------------------

def test_relative_paths_in_the_config_file_are_in_its_folder_wherever_the_tool_starts(
        sandbox, cli_env, export, tmp_path, monkeypatch):
    folder = tmp_path / "settings"
    folder.mkdir()
    env = with_config({k: v for k, v in cli_env.items() if k != "FLICKR_REPLACE_STATE_DIR"},
                      folder / "config.yaml", state_dir="state", backup_dir="~/photo-backups")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a host starting the tool in some other folder
    ran = cli(["replace", str(export("a.jpg")), "--no-wait", "--json"], env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert saved_tickets(folder / "state").keys() == {result["ticket_id"]}
    assert Path(result["backup"]).is_relative_to(Path(cli_env["HOME"]) / "photo-backups")
    assert Path(result["backup"]).is_file()
    assert list(elsewhere.iterdir()) == []  # nothing in the folder it was started from
    assert not (Path(cli_env["HOME"]) / "~").exists()


def test_a_relative_state_dir_from_the_environment_is_in_the_current_folder(sandbox, cli_env, export, tmp_path,
                                                                              monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    env = {**cli_env, "FLICKR_REPLACE_STATE_DIR": "my-state"}
    ran = cli(["replace", str(export("a.jpg")), "--no-wait", "--json"], env)
    assert ran.returncode == 0, ran.stderr
    assert saved_tickets(here / "my-state").keys() == {ran.results()[0]["ticket_id"]}


def test_an_interrupted_run_promises_no_later_finish_for_a_ticket_it_could_not_save(sandbox, cli_env, export, state,
                                                                                     tmp_path):
    refuse_ticket_saves(state)
    sandbox.ticket_delay = 3600.0
    path = export("a.jpg")
    run = Started(["replace", str(path), "--json"], cli_env, tmp_path / "run.jsonl")
    wait_until(lambda: sandbox.rest_calls("flickr.photos.upload.checkTickets") >= 1 or run.proc.poll() is not None,
               what="the run to wait on its ticket")
    ran = run.finish(signal.SIGINT)
    assert ran.returncode == 130
    [result] = ran.results()
    assert result["status"] == "pending" and any("could not be saved" in w for w in result["warnings"])
    assert f"except the ticket(s) of {path}, which could not be saved" in ran.stderr


def test_a_bad_entry_in_a_damaged_file_is_named_too(sandbox, cli_env, export, state):
    pending(cli_env, [export(f"{n}.jpg") for n in range(3)])
    data = json.loads(as_earlier_version(state).read_text(encoding="utf-8"))
    bad, whole, _ = data["tickets"]  # in the file's order: the last one is cut by the truncation
    data["tickets"][bad]["ticket_id"] = 789  # a number where the ticket's text belongs
    (state / "tickets.json").write_text(_truncated(json.dumps(data)), encoding="utf-8")  # and the end lost

    ran = cli(["tickets", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    assert "damaged" in ran.stderr and repr(bad) in ran.stderr and "789" in ran.stderr
    assert [r["ticket_id"] for r in ran.results()] == [whole]  # the whole one still finishes
