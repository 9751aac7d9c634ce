"""Messages a user reads: each refusal names its reason and says what to do next, in words."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from clirun import cli, command, with_config
from photofiles import bag, jpeg, xmp_packet

WHAT_NEXT = re.compile(r"\((check|give|export|tag|pass|run|fix)|; (pass|run|tag|fix|correct)|: (run|check)")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "album").mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a picture")
    (folder / "plain.jpg").write_bytes(jpeg())
    dtd = folder / "dtd.jpg"
    dtd.write_bytes(jpeg())
    head, _, rest = xmp_packet(bag("dc:subject", "flickr:id=5169665786")).decode().partition("\n")
    Path(f"{dtd}.xmp").write_text(f'<?xml version="1.0"?>\n<!DOCTYPE x:xmpmeta [<!ENTITY a "b">]>\n{head}\n{rest}')
    names = ["missing.jpg", "album", "empty.jpg", "notes.jpg", "plain.jpg", "dtd.jpg"]
    return {name: str(folder / name) for name in names}


def test_every_local_refusal_names_its_reason_and_what_to_do(cli_env, files):
    ran = cli(["replace", "--json", *files.values()], cli_env)
    by_name = {Path(r["path"]).name: r["error"] for r in ran.results()}
    assert {name: error["reason"] for name, error in by_name.items()} == {
        "missing.jpg": "no_file", "album": "not_a_file", "empty.jpg": "empty", "notes.jpg": "not_an_image",
        "plain.jpg": "no_photo_id", "dtd.jpg": "no_photo_id"}
    for name, error in by_name.items():
        assert error["origin"] == "local" and WHAT_NEXT.search(error["message"]), (name, error["message"])


def test_a_missing_file_or_a_folder_is_not_no_photo_id(cli_env, files):
    for args in (["replace"], ["resolve"]):
        ran = cli([*args, files["missing.jpg"], files["album"]], cli_env)
        missing, folder = ran.stdout.splitlines()
        assert "no such file" in missing and "is a directory, not a photo" in folder
        assert "photo id" not in ran.stdout


def test_resolve_gives_advice_resolve_can_follow(cli_env, files):
    ran = cli(["resolve", files["plain.jpg"], files["dtd.jpg"]], cli_env)
    assert ran.returncode == 1
    assert "--photo-id" not in ran.stdout and "tag the image flickr:photo_id=ID" in ran.stdout
    replace = cli(["replace", "--dry-run", files["plain.jpg"]], cli_env)
    assert "pass --photo-id ID" in replace.stdout


def test_an_xmp_with_a_dtd_says_so_in_words(cli_env, files):
    ran = cli(["resolve", "-v", files["dtd.jpg"]], cli_env)
    assert "XMP not read: it declares a DTD, which is refused" in ran.stdout
    assert "DTDForbidden" not in ran.stdout and "name=" not in ran.stdout


@pytest.mark.parametrize("variable, code", [("FLICKR_OAUTH_TOKEN_SECRET", 96), ("FLICKR_OAUTH_TOKEN", 98)])
def test_a_refused_token_says_run_auth_again(cli_env, tmp_path, variable, code):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg())
    ran = cli(["replace", "--json", "--photo-id", "5169665786", str(photo)], {**cli_env, variable: "wrong-value-123"})
    [result] = ran.results()
    assert result["error"]["code"] == code and "run `flickr-replace auth` again" in result["error"]["message"]


def _auth(env: dict[str, str], answer: str | None = None) -> tuple[int, str]:
    """Run `auth`, open the page it shows as a user would, and type `answer` (None: Ctrl-D)."""
    proc = subprocess.Popen(command(["auth"]), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = ""
    while "Code: " not in seen:
        char = proc.stderr.read(1)
        if not char:
            break
        seen += char
    if "Code: " in seen and answer is not None:
        url = re.search(r"  (http\S+/authorize\S+)\n", seen).group(1)
        requests.get(url, timeout=10)  # the user allows access on the page
        proc.stdin.write(answer + "\n")
    proc.stdin.close()
    rest = proc.stderr.read()
    proc.wait(30)
    return proc.returncode, seen + rest


def test_auth_says_why_flickr_refused(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if not k.startswith("FLICKR_OAUTH_")}
    env["FLICKR_REPLACE_CONFIG"] = str(tmp_path / "config.yaml")
    status, err = _auth({**env, "FLICKR_API_KEY": "no-such-key-123"})
    assert status == 1 and "Flickr does not know this API key" in err and "Traceback" not in err
    status, err = _auth(env, "111-222-333")
    assert status == 1 and "the code was not accepted" in err and "nothing stored" in err
    assert not (tmp_path / "config.yaml").exists()


def test_ctrl_d_at_an_auth_prompt_aborts_cleanly(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if not k.startswith("FLICKR_")}
    env.update(FLICKR_REPLACE_CONFIG=str(tmp_path / "config.yaml"), FLICKR_REPLACE_BASE_URL=cli_env["FLICKR_REPLACE_BASE_URL"])
    ran = cli(["auth"], env, stdin="")  # Ctrl-D at "API key: "
    assert ran.returncode == 2 and "aborted at the prompt; nothing stored" in ran.stderr
    status, err = _auth({**cli_env, "FLICKR_REPLACE_CONFIG": str(tmp_path / "config.yaml")})  # at "Code: "
    assert status == 2 and "aborted at the prompt" in err and "Traceback" not in err


def test_a_wrong_setting_is_named_with_what_is_allowed(cli_env, tmp_path):
    env = with_config(cli_env, tmp_path / "config.yaml", record="maybe")
    ran = cli(["replace", "--dry-run", "--photo-id", "1", "x.jpg"], env)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.strip().endswith("record must be true or false (also yes/no, on/off, 1/0), not 'maybe'")


def test_json_reasons_are_in_resolve_too(cli_env, files):
    ran = cli(["resolve", "--json", files["album"], files["plain.jpg"]], cli_env)
    reasons = [json.loads(line)["error"]["reason"] for line in ran.stdout.splitlines()]
    assert reasons == ["not_a_file", "no_photo_id"]
