"""Time and size limits that hold: a dripped answer ends at its deadline, a huge one is refused
as it is read (in constant memory), the ticket wait ends with --timeout, HTTP 429 waits for
Retry-After, and every oauth_problem says what to do."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clirun import cli, command

from flickr_replace_plugin import replace
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.flickr.oauthproblems import PROBLEMS

CHECK_TICKETS = "flickr.photos.upload.checkTickets"
GET_INFO = "flickr.photos.getInfo"
# Runs a command and prints the peak resident memory of that child alone (a fresh process, so no
# other child of the test run counts), in kB on Linux; bytes on macOS.
PEAK_OF_CHILD = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "rc": proc.returncode,
                  "stdout": proc.stdout, "stderr": proc.stderr}))
"""


@pytest.fixture
def config(sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                  backoff=0.01, calls_per_hour=1_000_000, **sandbox.credentials)


@pytest.fixture
def photo(sandbox, make_jpeg):
    """A photo on the sandbox and an edited export of it (same picture, other bytes)."""
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    path = make_jpeg("export.jpg", size=(66, 50))
    return path, pid


def timed(call):
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


# -- an overall deadline -----------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [True, False], ids=["headers-dripped", "body-dripped"])
def test_an_answer_dripped_byte_by_byte_ends_at_the_deadline_and_the_retry_replaces(sandbox, config, photo, headers):
    path, pid = photo
    sandbox.faults.push("drip", scope="replace", interval=0.2, headers=headers)  # ~300 bytes: a minute
    result, took = timed(lambda: replace(str(path), photo_id=pid, async_=False,
                                         config=config.with_(http_timeout=1.0, retries=2)))
    assert (result.status.value, result.attempts) == ("replaced", 2), result.error
    assert took < 6, f"the dripped answer held the run {took:.1f} s"
    assert sandbox.photo(pid).data_path.read_bytes() == path.read_bytes()


def test_a_dripped_rest_answer_is_a_retryable_network_failure_at_http_timeout(sandbox, config, photo):
    path, pid = photo
    sandbox.faults.push("drip", count=5, scope="rest", method=GET_INFO, interval=0.2)
    result, took = timed(lambda: replace(str(path), photo_id=pid, async_=False,
                                         config=config.with_(http_timeout=1.0, retries=1)))
    assert result.status.value == "failed" and result.attempts == 0  # nothing was sent
    assert result.error.origin == "network" and result.error.retryable
    assert "did not answer in time" in result.error.message
    assert took < 4


# -- answers capped while they are read ------------------------------------------------------------
def _peak_mb(env: dict[str, str], args: list[str]) -> tuple[float, dict]:
    out = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *map(str, command(args))], env=env,
                         capture_output=True, text=True, timeout=120)
    ran = json.loads(out.stdout)
    return ran["peak"] / (1024 * 1024 if sys.platform == "darwin" else 1024), ran


HUGE = 160_000_000


@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX-only")
@pytest.mark.parametrize("where, fault", [
    ("replace answer", {"scope": "replace"}),
    ("getInfo", {"scope": "rest", "method": GET_INFO}),
    ("getUploadStatus", {"scope": "rest", "method": "flickr.people.getUploadStatus"}),
    ("test.login", {"scope": "rest", "method": "flickr.test.login"}),
    ("checkTickets", {"scope": "rest", "method": CHECK_TICKETS, "count": 2}),
    ("image files (picture check, backup)", {"scope": "static", "count": 100}),
])
@pytest.mark.parametrize("length", [True, False], ids=["declared", "undeclared"])
def test_a_160_mb_answer_is_refused_early_in_constant_memory(sandbox, cli_env, photo, where, fault, length):
    path, pid = photo
    sandbox.faults.push("huge", **{"count": 20, **fault}, size=HUGE, length=length)
    peak, ran = _peak_mb(cli_env, ["replace", path, "--photo-id", pid, "--json"])
    [result] = [json.loads(line) for line in ran["stdout"].splitlines()]
    if where == "checkTickets":  # a poll that failed is asked again: the photo is replaced
        assert result["status"] == "replaced" and sandbox.faults.applied["huge"] == 2, ran
    elif where.startswith("image files"):  # the small image for the picture check is capped at a few MB;
        # the backup of an original up to 1 GiB is streamed to disk
        assert any("could not be fetched" in w for w in result["warnings"]), result
    else:
        assert ran["rc"] == 1 and result["status"] == "failed", ran
        assert "larger than" in result["error"]["message"] and "too large" in result["error"]["message"], result
    assert peak < 120, f"{where}: peak memory {peak:.0f} MB for a {HUGE // 1_000_000} MB answer"


def test_an_image_fetch_over_its_cap_stops_reading(sandbox, config):
    from flickr_replace_plugin.flickr.client import FlickrClient
    from flickr_replace_plugin.flickr.responses import FlickrFailure

    pid = sandbox.add_photo((Path(__file__).parent.parent / "flickr_replace_plugin/data/sample.jpg").read_bytes())
    info = FlickrClient(config).photo_info(pid)
    url = f"{sandbox.base_url}/{info['server']}/{pid}_{info['secret']}.jpg"
    sandbox.faults.push("huge", scope="static", size=HUGE, length=False)
    with pytest.raises(FlickrFailure) as failed:
        FlickrClient(config).fetch(url, max_bytes=1 << 20)
    assert "larger than 1 MiB" in failed.value.error.message


# -- the ticket wait ends with --timeout -------------------------------------------------------------
def test_timeout_3_with_checktickets_stalling_ends_within_two_seconds_of_it(sandbox, cli_env, photo):
    path, pid = photo
    sandbox.faults.push("slow", count=50, scope="rest", method=CHECK_TICKETS, seconds=30)
    started = time.monotonic()
    ran = cli(["replace", path, "--photo-id", pid, "--timeout", "3", "--json"], cli_env)
    took = time.monotonic() - started
    [result] = ran.results()
    assert result["status"] == "pending" and result["ticket_id"], result
    assert result["elapsed_s"] < 3 + 2, f"the ticket wait took {result['elapsed_s']} s with --timeout 3"
    assert took < 3 + 4


def test_a_long_retry_after_on_checktickets_does_not_outlast_the_timeout(sandbox, cli_env, photo):
    path, pid = photo
    sandbox.faults.push("retry_after", count=50, scope="rest", method=CHECK_TICKETS, seconds=60)
    ran = cli(["replace", path, "--photo-id", pid, "--timeout", "2", "--json"], cli_env)
    [result] = ran.results()
    assert result["status"] == "pending" and result["elapsed_s"] < 2 + 2, result


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "nan"])
@pytest.mark.parametrize("command_name", ["replace", "tickets"])
def test_a_timeout_that_cannot_be_waited_is_refused_on_the_command_line(cli_env, photo, value, command_name):
    path, pid = photo
    args = ["replace", path, "--photo-id", pid] if command_name == "replace" else ["tickets"]
    ran = cli([*args, f"--timeout={value}"], cli_env)
    assert ran.returncode == 2 and ran.stdout == ""
    assert "--timeout" in ran.stderr and "above 0" in ran.stderr


# -- HTTP 429 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("date", [False, True], ids=["seconds", "http-date"])
def test_429_is_retried_after_retry_after_and_counted(sandbox, config, photo, date):
    path, pid = photo
    sandbox.faults.push("retry_after", scope="replace", seconds=2, date=date)
    result, took = timed(lambda: replace(str(path), photo_id=pid, async_=False, config=config))
    assert (result.status.value, result.attempts) == ("replaced", 2), result.error
    assert took >= 1.0, "Retry-After was not waited for"
    assert sandbox.photo(pid).data_path.read_bytes() == path.read_bytes()


def test_a_retry_after_of_an_hour_is_not_waited_out(sandbox, config, photo):
    path, pid = photo
    sandbox.faults.push("retry_after", scope="replace", seconds=3600)
    result, took = timed(lambda: replace(str(path), photo_id=pid, async_=False, config=config))
    assert (result.status.value, result.attempts) == ("failed", 1)
    assert result.error.retryable and result.error.origin == "network"
    assert "429" in result.error.message and "3600 s" in result.error.message and "later" in result.error.message
    assert took < 5


def test_429_on_a_rest_call_is_retried(sandbox, config, photo):
    path, pid = photo
    sandbox.faults.push("retry_after", scope="rest", method=GET_INFO, seconds=1)
    result = replace(str(path), photo_id=pid, async_=False, config=config)
    assert (result.status.value, result.attempts) == ("replaced", 1), result.error


# -- 401 after sending ----------------------------------------------------------------------------------
CODES = {"signature_invalid": 96, "parameter_absent": 97, "token_rejected": 98, "consumer_key_unknown": 100,
         "token_expired": 98, "token_revoked": 98, "consumer_key_rejected": 100}  # as earlier versions reported


@pytest.mark.parametrize("problem", sorted(set(PROBLEMS) - {"nonce_used"}) + [""])
def test_every_oauth_problem_after_sending_is_flickrs_and_says_what_to_do(sandbox, config, photo, problem):
    path, pid = photo
    sandbox.faults.push("oauth", count=5, scope="replace", problem=problem)
    result = replace(str(path), photo_id=pid, async_=False, config=config)
    assert (result.status.value, result.attempts) == ("failed", 1), "a refused signature is not retried"
    error = result.error
    assert error.origin == "flickr", "it was sent: origin local would say nothing was"
    assert error.code == CODES.get(problem) and not error.retryable
    assert (problem or "401") in error.message
    advice = ("auth", "clock", "App Garden", "proxy", "api_secret", "try again")
    assert any(word in error.message for word in advice), error.message
    if problem == "timestamp_refused":
        assert "clock is off" in error.message and "set the clock right" in error.message
    assert sandbox.photo(pid).data_path.read_bytes() != path.read_bytes()


def test_a_used_nonce_is_sent_again_signed_afresh(sandbox, config, photo):
    path, pid = photo
    sandbox.faults.push("oauth", scope="replace", problem="nonce_used")
    result = replace(str(path), photo_id=pid, async_=False, config=config)
    assert (result.status.value, result.attempts) == ("replaced", 2), result.error


class _Slow:
    """A request body whose end waits `wait` seconds on this machine (as a held upload's does)."""

    def __init__(self, wait: float, paused: bool) -> None:
        self.wait, self.paused = wait, paused

    def __len__(self) -> int:
        return 2

    def __iter__(self):
        from flickr_replace_plugin.flickr.transport import held

        yield b"a="
        if self.paused:
            with held():
                time.sleep(self.wait)
        else:
            time.sleep(self.wait)


@pytest.mark.parametrize("paused", [True, False])
def test_a_wait_on_this_machine_inside_a_request_does_not_count_against_its_deadline(sandbox, paused):
    from flickr_replace_plugin.flickr.responses import FlickrFailure
    from flickr_replace_plugin.flickr.transport import exchange, new_session

    session = new_session("test")
    try:
        if paused:
            answer = exchange(session, "POST", f"{sandbox.base_url}/services/rest/", what="call", seconds=0.5,
                              data=_Slow(1.2, paused))
            assert answer.status == 200
        else:
            with pytest.raises(FlickrFailure, match="did not answer in time"):
                exchange(session, "POST", f"{sandbox.base_url}/services/rest/", what="call", seconds=0.5,
                         data=_Slow(1.2, paused))
    finally:
        session.close()
