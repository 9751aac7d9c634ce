"""Faults on the wire, on Flickr's side and in the process itself: every path ends in a definite,
truthful result, a retry sends the whole file to the same photo, and nothing is lost on the way."""
from __future__ import annotations

import hashlib
import json
import random
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from clirun import Started, cli, sandbox_env, saved_tickets, wait_until, with_config

from flickr_replace_plugin import replace, replace_many
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.core import finish_saved_tickets
from flickr_replace_plugin.sandbox import Sandbox

CHECK_TICKETS = "flickr.photos.upload.checkTickets"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Item:
    """A photo on the sandbox and the new export meant to replace it."""

    path: Path
    photo_id: str
    old_sha: str

    @property
    def new_sha(self) -> str:
        return sha(self.path)


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"), backoff=0.01, timeout=30,
                  calls_per_hour=1_000_000, **sandbox.credentials)


@pytest.fixture
def items(make_jpeg: Callable[..., Path]) -> Callable[[Sandbox, int], list[Item]]:
    """Factory: n photos on a sandbox, each with an export whose own sidecar names its photo."""
    made = 0

    def make(sandbox: Sandbox, n: int) -> list[Item]:
        nonlocal made
        out = []
        for _ in range(n):
            made += 1
            old = make_jpeg(f"old/{made}.jpg").read_bytes()
            pid = sandbox.add_photo(old, filename=f"{made}.jpg")
            path = make_jpeg(f"export/{made:03d}.jpg")
            Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
            out.append(Item(path, pid, hashlib.sha256(old).hexdigest()))
        return out

    return make


def assert_truthful(sandbox: Sandbox, item: Item, status: str | None) -> None:
    """A photo reported replaced holds the export's bytes, one reported failed its old bytes; with
    no final word (None: in flight when interrupted, or a lost answer) it holds one or the other."""
    stored = sandbox.photo(item.photo_id).sha256
    if status == "replaced":
        assert stored == item.new_sha, f"{item.path} reported replaced but the photo holds other bytes"
    elif status == "failed":
        assert stored == item.old_sha, f"{item.path} reported failed but its photo changed"
    else:
        assert stored in (item.old_sha, item.new_sha), f"{item.path}: its photo holds bytes never sent for it"


def assert_only_whole_files_sent(sandbox: Sandbox, batch: list[Item]) -> None:
    """Every upload the sandbox received in full carried one export, whole, to that export's photo."""
    files = {item.photo_id: (item.new_sha, item.path.stat().st_size) for item in batch}
    for request in sandbox.requests:
        if request["route"] == "replace" and request["photo_sha256"] is not None:
            assert (request["photo_sha256"], request["photo_size"]) == files[request["fields"]["photo_id"]]


# -- one upload, one fault -------------------------------------------------------------------------

UPLOAD_FAULTS = [  # (what happens, fault, options, times in a row, outcome, upload requests, modes)
    ("connection dropped mid-body", "drop_before_body", {}, 1, "replaced", 2, ("sync", "async")),
    ("connection dropped after the body", "drop_after_body", {}, 2, "replaced", 3, ("sync", "async")),
    ("done but the answer lost", "drop_after_body", {"apply": True}, 1, "replaced", 2, ("sync", "async")),
    ("HTTP 500", "http", {"status": 500}, 1, "replaced", 2, ("sync",)),
    ("HTTP 502 three times", "http", {"status": 502}, 3, "replaced", 4, ("sync",)),
    ("HTTP 504", "http", {"status": 504}, 2, "replaced", 3, ("sync", "async")),
    ("burst of 105", "error", {"code": 105}, 3, "replaced", 4, ("sync", "async")),
    ("burst of 106", "error", {"code": 106}, 3, "replaced", 4, ("sync",)),
    ("105 outlasting the retries", "error", {"code": 105}, 4, "failed", 4, ("sync", "async")),
    ("504 outlasting the retries", "http", {"status": 504}, 9, "failed", 4, ("sync",)),
    ("every connection dropped", "drop_before_body", {}, 9, "failed", 4, ("sync",)),
]


@pytest.mark.parametrize("kind, options, count, status, attempts, async_", [
    pytest.param(kind, options, count, status, attempts, mode == "async", id=f"{what}-{mode}")
    for what, kind, options, count, status, attempts, modes in UPLOAD_FAULTS for mode in modes
])
def test_upload_faults_are_retried_to_a_truthful_end(sandbox, config, items, kind, options, count, status,
                                                     attempts, async_):
    target, bystander = items(sandbox, 2)
    sandbox.faults.push(kind, count=count, scope="replace", **options)
    result = replace(str(target.path), photo_id=target.photo_id, async_=async_, config=config)
    assert (result.status.value, result.attempts) == (status, attempts), result.error
    assert len([r for r in sandbox.requests if r["route"] == "replace"]) == attempts
    assert_truthful(sandbox, target, status)
    assert sandbox.photo(bystander.photo_id).sha256 == bystander.old_sha  # another photo: never touched
    assert_only_whole_files_sent(sandbox, [target])
    if status == "failed":
        assert result.error.retryable and result.error.origin == ("flickr" if kind == "error" else "network")
        assert result.error.code == options.get("code")
    assert saved_tickets(Path(config.state_dir)) == {}


def test_an_answer_slower_than_the_timeout_is_asked_again(sandbox, config, items):
    [item] = items(sandbox, 1)
    sandbox.faults.push("slow", scope="replace", seconds=1.5)
    result = replace(str(item.path), photo_id=item.photo_id, async_=False, config=config.with_(http_timeout=0.3))
    assert (result.status.value, result.attempts) == ("replaced", 2), result.error
    assert_truthful(sandbox, item, "replaced")


def test_answers_that_never_come_in_time_fail_as_retryable(sandbox, config, items):
    [item] = items(sandbox, 1)
    sandbox.faults.push("slow", count=2, scope="replace", seconds=1.0)
    result = replace(str(item.path), photo_id=item.photo_id, async_=False,
                     config=config.with_(http_timeout=0.3, retries=2))
    assert (result.status.value, result.attempts) == ("failed", 2)
    assert result.error.origin == "network" and result.error.retryable
    assert "did not answer in time" in result.error.message


# -- async tickets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fault, message", [
    ("ticket_fail", "could not process"),
    ("ticket_invalid", "does not know ticket"),
], ids=["complete=2", "invalid"])
def test_a_ticket_that_fails_is_a_flickr_failure_and_the_photo_is_untouched(sandbox, config, items, fault,
                                                                            message):
    [item] = items(sandbox, 1)
    sandbox.faults.push(fault)
    result = replace(str(item.path), photo_id=item.photo_id, config=config)
    assert result.status.value == "failed" and result.ticket_id
    assert (result.error.code, result.error.origin, result.error.retryable) == (3, "flickr", False)
    assert message in result.error.message
    assert_truthful(sandbox, item, "failed")
    assert saved_tickets(Path(config.state_dir)) == {}  # final: nothing left for `tickets`


def test_check_tickets_failing_for_a_while_is_ridden_out(sandbox, config, items):
    [item] = items(sandbox, 1)
    sandbox.faults.push("rest_error", count=5, method=CHECK_TICKETS, status=502)  # more than one round's retries
    result = replace(str(item.path), photo_id=item.photo_id, config=config)
    assert result.status.value == "replaced", result.error
    assert sandbox.rest_calls(CHECK_TICKETS) == 6
    assert_truthful(sandbox, item, "replaced")


@pytest.mark.parametrize("kind, options", [
    ("rest_error", {"code": 105}),
    ("rest_error", {"status": 504}),
    ("slow", {"seconds": 1.0}),
], ids=["105 for good", "HTTP 504 for good", "slower than the HTTP timeout"])
def test_check_tickets_never_answering_leaves_the_ticket_pending_and_saved(sandbox, config, items, kind, options):
    [item] = items(sandbox, 1)
    sandbox.faults.push(kind, count=1000, scope="rest", method=CHECK_TICKETS, **options)
    started = time.monotonic()
    result = replace(str(item.path), photo_id=item.photo_id, config=config.with_(timeout=1.5, http_timeout=0.3))
    assert time.monotonic() - started < 15, "waited far past the ticket timeout"
    assert result.status.value == "pending" and result.error is None
    saved = saved_tickets(Path(config.state_dir))
    assert list(saved) == [result.ticket_id] and saved[result.ticket_id]["path"] == str(item.path)

    sandbox.faults.clear()
    [later] = finish_saved_tickets(config=config)
    assert (later.status.value, later.ticket_id, later.path) == ("replaced", result.ticket_id, str(item.path))
    assert_truthful(sandbox, item, "replaced")
    assert saved_tickets(Path(config.state_dir)) == {}


def test_sandbox_restarted_in_the_middle_of_a_batch(sandbox, config, items):
    batch = items(sandbox, 8)
    sandbox.faults.push("slow", count=8, scope="replace", seconds=0.5)  # spread the uploads over the restart

    def restart() -> None:
        # An upload is held in its slow fault (its connection open) when the server stops: the
        # restart always lands mid-upload, whatever checks ran before it and however busy the machine.
        wait_until(lambda: sandbox.faults.applied["slow"] >= 1, what="an upload in flight")
        sandbox.stop()  # cuts open connections, as a restarting server does
        time.sleep(0.8)
        sandbox.start()

    outage = threading.Thread(target=restart)
    outage.start()
    try:
        results = list(replace_many([str(i.path) for i in batch], jobs=2,
                                    config=config.with_(backoff=0.3, retries=6)))
    finally:
        outage.join()
    assert sorted(r.path for r in results) == [str(i.path) for i in batch]
    assert {r.status.value for r in results} == {"replaced"}, [r.error for r in results]
    assert any(r.attempts > 1 for r in results), "the restart did not hit an upload"
    for item in batch:
        assert_truthful(sandbox, item, "replaced")
    assert_only_whole_files_sent(sandbox, batch)


# -- the command line, interrupted ------------------------------------------------------------------

@pytest.fixture
def fast_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI environment with short retry pauses and no client-side call limit."""
    return with_config(cli_env, tmp_path / "fast.yaml", backoff=0.01, calls_per_hour=1_000_000)


def test_interrupted_after_the_ticket_is_saved_but_before_its_worker_hands_it_on_it_is_pending(
        sandbox, config, items, monkeypatch):
    """A worker slow to return (a busy machine) after saving its ticket: the upload went through, so
    its result is `pending` with that ticket, never `failed` as if cut off mid-upload."""
    from flickr_replace_plugin.tickets import TicketStore

    [item] = items(sandbox, 1)
    saved, release = threading.Event(), threading.Event()
    save = TicketStore.add

    def add_then_stall(store, result, *args, **kwargs):
        save(store, result, *args, **kwargs)
        saved.set()
        release.wait(30)

    monkeypatch.setattr(TicketStore, "add", add_then_stall)
    main = threading.main_thread().ident

    def interrupt() -> None:
        if saved.wait(30):
            signal.pthread_kill(main, signal.SIGINT)

    results = []
    # Ctrl-C raises here even when the test run was started with SIGINT ignored (in the background)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=interrupt, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for result in replace_many([str(item.path)], config=config):
                results.append(result)
    finally:
        release.set()
        signal.signal(signal.SIGINT, previous)
    [result] = results
    assert (result.status.value, result.error) == ("pending", None)
    assert result.ticket_id in saved_tickets(Path(config.state_dir))


def test_interrupted_mid_upload_its_result_names_the_photo_and_what_was_sent(sandbox, config, items):
    """Ctrl-C while Flickr holds the whole body: the `failed` result still says which photo it was,
    how many uploads went out and the file's size, so the user knows which photo to look at."""
    [item] = items(sandbox, 1)
    sandbox.faults.push("slow", count=1, scope="replace", seconds=5)  # the body is in, the answer late
    main = threading.main_thread().ident
    sent = threading.Event()

    def progress(path: str, done: int, size: int) -> None:
        if done == size and not sent.is_set():
            sent.set()
            threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT)).start()

    results = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            for result in replace_many([str(item.path)], config=config, async_=False, progress=progress):
                results.append(result)
    finally:
        signal.signal(signal.SIGINT, previous)
    [result] = results
    assert (result.status.value, result.error.reason) == ("failed", "interrupted")
    assert (result.photo_id, result.attempts, result.bytes) == (item.photo_id, 1, item.path.stat().st_size)
    assert result.to_dict()["backup"] and Path(result.to_dict()["backup"]).is_file()


@pytest.mark.parametrize("signum, status, word", [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "terminated"),
], ids=["SIGINT", "SIGTERM"])
def test_interrupted_batch_prints_what_is_known_and_tickets_finishes_the_rest(tmp_path, fast_env, items, signum,
                                                                              status, word):
    state = Path(fast_env["FLICKR_REPLACE_STATE_DIR"])
    with Sandbox(data_dir=tmp_path / "slow-sandbox", ticket_delay=0.3) as slow:
        env = sandbox_env(fast_env, slow)
        batch = items(slow, 6)
        slow.faults.push("slow", count=6, scope="replace", seconds=0.5)  # one upload every half second
        run = Started(["replace", *(str(i.path) for i in batch), "--json"], env, tmp_path / "run.jsonl")
        def held_ticket() -> bool:
            """A result printed, and a saved ticket that the sandbox holds until released.

            The first ticket completes quickly; once a result is printed, tickets created from then
            on are held, so the one seen waiting is still waiting when the signal lands."""
            lines = run.lines()
            if not lines:
                return False
            slow.ticket_delay = 3600.0
            printed = {json.loads(line).get("ticket_id") for line in lines if line.endswith("}")}
            waiting = [slow.store.ticket(t) for t in set(saved_tickets(state)) - printed]
            return any(t is not None and t.complete == 0 and t.due > time.time() + 600 for t in waiting)

        wait_until(held_ticket, what="a finished result and a ticket held by the sandbox")
        first = run.finish(signum)
        assert first.returncode == status
        assert word in first.stderr and "flickr-replace tickets" in first.stderr
        known = first.by_path()
        assert "replaced" in {r["status"] for r in known.values()}
        assert set(known) == {str(i.path) for i in batch}, "a path got no result"  # each its one result
        for r in known.values():  # not started: skipped; cut off mid-upload: failed; both say why
            assert r["status"] in ("replaced", "pending") or r["error"]["reason"] == "interrupted", r
        pending = {r["ticket_id"]: path for path, r in known.items() if r["status"] == "pending"}
        assert pending, "a ticket still waiting was not reported as pending"
        assert set(pending) <= set(saved_tickets(state))

        slow.release_tickets()
        later = cli(["tickets", "--json"], env)
        assert later.returncode == 0, later.stderr
        finished = later.by_path()
        assert {r["status"] for r in finished.values()} == {"replaced"}
        assert set(pending.values()) <= set(finished)
        assert saved_tickets(state) == {}
        by_path = {str(i.path): i for i in batch}
        for path, result in {**known, **finished}.items():
            assert_truthful(slow, by_path[path], result["status"] if result["status"] != "pending" else None)
        for item in batch:  # a path never reported was in flight: its photo is old or new, nothing else
            assert_truthful(slow, item, None)


def test_killed_at_any_moment_the_ticket_state_is_never_half_written(tmp_path, sandbox, fast_env, items):
    state = Path(fast_env["FLICKR_REPLACE_STATE_DIR"])
    batch = items(sandbox, 25)
    rng = random.Random(20240611)
    args = ["replace", *(str(i.path) for i in batch), "--no-wait", "--jobs", "4", "--json"]
    for round_ in range(8):
        before = len(saved_tickets(state))
        run = Started(args, fast_env, tmp_path / f"kill-{round_}.jsonl")
        wait_until(lambda: len(saved_tickets(state)) > before or run.proc.poll() is not None,
                   what="the run to start saving tickets")
        time.sleep(rng.uniform(0.0, 0.3))
        run.proc.kill()
        run.proc.wait(10)
        saved_tickets(state)  # whole JSON, whatever moment the kill came
        for line in run.lines()[:-1]:  # every line but one cut by the kill is whole
            json.loads(line)
    saved = saved_tickets(state)
    assert saved, "no kill landed while tickets were being saved"

    later = cli(["tickets", "--json"], fast_env)
    assert later.returncode == 0, later.stderr
    results = later.results()
    assert sorted(r["ticket_id"] for r in results) == sorted(saved)
    assert {r["status"] for r in results} == {"replaced"}
    assert saved_tickets(state) == {}
    for item in batch:
        assert_truthful(sandbox, item, None)


def test_two_runs_at_once_lose_none_of_each_others_tickets(tmp_path, sandbox, fast_env, items):
    state = Path(fast_env["FLICKR_REPLACE_STATE_DIR"])
    halves = items(sandbox, 15), items(sandbox, 15)
    runs = [Started(["replace", *(str(i.path) for i in half), "--no-wait", "--jobs", "4", "--json"], fast_env,
                    tmp_path / f"run-{n}.jsonl") for n, half in enumerate(halves)]
    reported = [r["ticket_id"] for run in runs for r in run.finish().results()]
    assert len(reported) == 30
    assert sorted(saved_tickets(state)) == sorted(reported)


def test_200_files_8_jobs_random_faults_one_line_each_and_a_truthful_exit(sandbox, fast_env, items):
    batch = items(sandbox, 200)
    rng = random.Random(7)
    menu = [("error", {"code": 105}), ("error", {"code": 106}), ("http", {"status": 500}),
            ("http", {"status": 502}), ("http", {"status": 504}), ("drop_before_body", {}),
            ("drop_after_body", {}), ("drop_after_body", {"apply": True}), ("ticket_fail", {}),
            ("ticket_invalid", {}), ("slow", {"seconds": 0.2, "scope": "replace"})]
    for _ in range(60):
        kind, options = rng.choice(menu)
        sandbox.faults.push(kind, count=rng.randint(1, 3), **options)
    sandbox.faults.push("rest_error", count=3, method=CHECK_TICKETS)

    ran = cli(["replace", *(str(i.path) for i in batch), "--jobs", "8", "--json"], fast_env, timeout=120)
    results = ran.by_path()  # one whole object per line, no path twice
    assert sorted(results) == sorted(str(i.path) for i in batch)
    statuses = {r["status"] for r in results.values()}
    assert statuses <= {"replaced", "failed"}
    assert ran.returncode == (1 if "failed" in statuses else 0)
    assert "failed" in statuses, "the ticket faults should have failed some files"
    for item in batch:
        result = results[str(item.path)]
        assert result["photo_id"] == item.photo_id
        assert (result["error"] is None) == (result["status"] == "replaced")
        if result["status"] == "failed" and result["error"]["origin"] == "flickr":
            assert result["error"]["code"] in (3, 105, 106)
        # a "failed" whose lost answer had in fact been carried out may hold the new bytes
        assert_truthful(sandbox, item, "replaced" if result["status"] == "replaced" else None)
    assert_only_whole_files_sent(sandbox, batch)
    assert saved_tickets(Path(fast_env["FLICKR_REPLACE_STATE_DIR"])) == {}
