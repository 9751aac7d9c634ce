"""Bad and hostile input: each path gets a clear error of its own, or the command exits 2 with one
line — never a traceback, never a hang — and a file that can be replaced safely still is."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from clirun import Arg, cli
from hypothesis import given, settings
from hypothesis import strategies as st
from photofiles import bag, jpeg, png, subject_xmp, xmp_packet

from flickr_replace_plugin.flickr.responses import FlickrFailure, parse_rest_json, parse_tickets, parse_upload
from flickr_replace_plugin.sandbox import Sandbox

OTHER_ID = "99999"  # named only by hostile content: a replace must never reach it


@dataclass
class Setup:
    """What a case builds in its folder: the arguments after `replace`, and the photo it may replace."""

    folder: Path
    photo_id: str

    def with_id(self, path: Arg | Path) -> list[Arg]:
        """Arguments that replace `path`'s photo, the id given on the command line."""
        return [path if isinstance(path, (str, bytes)) else str(path), "--photo-id", self.photo_id]

    def named_by_flickr(self, data: bytes, ext: str = "jpg") -> Path:
        """A file named as Flickr names a download, so its name alone carries the photo id."""
        path = self.folder / f"{self.photo_id}_0123abcdef_o.{ext}"
        path.write_bytes(data)
        return path


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)


def _doctype(entities: str, body: str) -> bytes:
    """An XMP sidecar with a DTD before its root element."""
    packet = xmp_packet(body).decode("utf-8")
    head, _, rest = packet.partition("\n")
    return f'<?xml version="1.0"?>\n<!DOCTYPE x:xmpmeta [{entities}]>\n{head}\n{rest}'.encode("utf-8")


def entity_bomb(s: Setup) -> list[Arg]:
    path = s.named_by_flickr(jpeg())
    levels = "".join(f'<!ENTITY e{n} "{"&e%d;" % (n - 1) * 10}">' for n in range(1, 10))
    Path(f"{path}.xmp").write_bytes(_doctype(f'<!ENTITY e0 "flickr:photo_id={OTHER_ID} ">{levels}',
                                             bag("dc:subject", "&e9;")))
    return [str(path)]


def external_entity(s: Setup) -> list[Arg]:
    path = s.named_by_flickr(jpeg())
    elsewhere = s.folder / "elsewhere.txt"
    elsewhere.write_text(f"https://www.flickr.com/photos/someone/{OTHER_ID}/")
    Path(f"{path}.xmp").write_bytes(_doctype(f'<!ENTITY ext SYSTEM "{elsewhere.as_uri()}">',
                                             "<dc:source>&ext;</dc:source>"))
    return [str(path)]


def huge_sidecar(s: Setup) -> list[Arg]:
    path = s.folder / "export.jpg"
    path.write_bytes(jpeg())
    _sparse(s.folder / "export.xmp", 64 << 20)  # Lightroom's name; far past any real XMP
    Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{s.photo_id}"\n')
    return [str(path)]


def binary_sidecars(s: Setup) -> list[Arg]:
    path = s.named_by_flickr(jpeg())
    noise = bytes(range(256)) * 64
    for sidecar in (f"{path}.xmp", path.with_suffix(".xmp"), f"{path}.flickr.yaml", f"{path}.flickr.json"):
        Path(sidecar).write_bytes(noise)
    return [str(path)]


def fifo_sidecar(s: Setup) -> list[Arg]:
    path = s.named_by_flickr(jpeg())
    os.mkfifo(f"{path}.xmp")  # reading it would wait for a writer forever
    return [str(path)]


def png_named_jpg(s: Setup) -> list[Arg]:
    path = s.folder / "really-a-png.jpg"
    path.write_bytes(png())
    return s.with_id(path)


def not_utf8_name(s: Setup) -> list[Arg]:
    path = os.fsencode(s.folder) + b"/caf\xe9 \xff.jpg"  # Latin-1 bytes: no valid UTF-8 name
    Path(os.fsdecode(path)).write_bytes(jpeg())
    return s.with_id(path)


def truncated_jpeg(s: Setup) -> list[Arg]:
    data = jpeg(xmp=subject_xmp(f"flickr:photo_id={s.photo_id}"))
    cut = data.index(b"flickr:photo_id") - 20  # the XMP segment ends mid-packet, the image never starts
    path = s.folder / "cut.jpg"
    path.write_bytes(data[:cut])
    return [str(path)]


def _one_file(name: str, data: bytes | None) -> Callable[[Setup], list[Arg]]:
    def build(s: Setup) -> list[Arg]:
        path = s.folder / name
        if data is not None:
            path.write_bytes(data)
        return s.with_id(path)

    return build


def directory(s: Setup) -> list[Arg]:
    (s.folder / "album.jpg").mkdir()
    return s.with_id(s.folder / "album.jpg")


def dangling_symlink(s: Setup) -> list[Arg]:
    (s.folder / "link.jpg").symlink_to(s.folder / "moved-away.jpg")
    return s.with_id(s.folder / "link.jpg")


def symlink_loop(s: Setup) -> list[Arg]:
    (s.folder / "a.jpg").symlink_to(s.folder / "b.jpg")
    (s.folder / "b.jpg").symlink_to(s.folder / "a.jpg")
    return s.with_id(s.folder / "a.jpg")


def through_a_file(s: Setup) -> list[Arg]:
    (s.folder / "file.jpg").write_bytes(jpeg())
    return s.with_id(s.folder / "file.jpg" / "inner.jpg")


def fifo(s: Setup) -> list[Arg]:
    os.mkfifo(s.folder / "pipe.jpg")
    return [str(s.folder / "pipe.jpg")]  # no --photo-id: every source looks at it, none may block


def unix_socket(s: Setup) -> list[Arg]:
    path = s.folder / "socket.jpg"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
    return s.with_id(path)


def unreadable(s: Setup) -> list[Arg]:
    path = s.folder / "locked.jpg"
    path.write_bytes(jpeg())
    path.chmod(0)
    return s.with_id(path)


AS_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions say")

PER_FILE = [  # build, outcome, code, a phrase of the error (for "replaced": where the id came from)
    pytest.param(_one_file("gone.jpg", None), "failed", None, "no such file", id="nonexistent path"),
    pytest.param(directory, "failed", None, "is a directory", id="directory"),
    pytest.param(dangling_symlink, "failed", None, "no such file", id="dangling symlink"),
    pytest.param(symlink_loop, "failed", None, "Too many levels of symbolic links", id="symlink loop"),
    pytest.param(through_a_file, "failed", None, "Not a directory", id="path through a file"),
    pytest.param(fifo, "failed", None, "not a regular file", id="FIFO"),
    pytest.param(unix_socket, "failed", None, "not a regular file", id="socket"),
    pytest.param(unreadable, "failed", None, "Permission denied", id="no read permission", marks=AS_ROOT),
    pytest.param(_one_file("empty.jpg", b""), "failed", 4, "file is empty", id="zero bytes"),
    pytest.param(_one_file("notes.jpg", b"eggs, milk\n"), "failed", 5, "not an image", id="text named .jpg"),
    pytest.param(truncated_jpeg, "failed", None, "no Flickr photo id found", id="truncated JPEG"),
    pytest.param(png_named_jpg, "replaced", None, "argument", id="PNG named .jpg"),
    pytest.param(not_utf8_name, "replaced", None, "argument", id="name that is not UTF-8"),
    pytest.param(huge_sidecar, "replaced", None, "sidecar:export.jpg.flickr.yaml", id="huge XMP sidecar"),
    pytest.param(binary_sidecars, "replaced", None, "filename", id="binary sidecars"),
    pytest.param(fifo_sidecar, "replaced", None, "filename", id="FIFO as a sidecar"),
    pytest.param(entity_bomb, "replaced", None, "filename", id="entity bomb in a sidecar"),
    pytest.param(external_entity, "replaced", None, "filename", id="external entity in a sidecar"),
]


@pytest.fixture
def setup(sandbox: Sandbox, tmp_path: Path) -> Setup:
    folder = tmp_path / "photos"
    folder.mkdir()
    return Setup(folder, sandbox.add_photo(png(), filename="old.png"))


@pytest.mark.parametrize("build, status, code, phrase", PER_FILE)
def test_each_bad_file_gets_a_clear_result_of_its_own(sandbox, setup, cli_env, build, status, code, phrase):
    args = build(setup)
    started = time.monotonic()
    ran = cli(["replace", *args, "--json", "--sync"], {**cli_env, "PYTHONIOENCODING": "utf-8:strict"}, timeout=30)
    assert time.monotonic() - started < 20
    [result] = ran.results()
    assert os.fsencode(result["path"]) == os.fsencode(args[0])  # the path as given, byte for byte
    assert result["status"] == status, result["error"]
    assert ran.returncode == (0 if status == "replaced" else 1)
    stored = sandbox.photo(setup.photo_id)
    assert len(sandbox.store.photos) == 1  # hostile content named OTHER_ID: no photo was made for it
    if status == "replaced":
        assert result["source"] == phrase
        assert stored.sha256 == hashlib.sha256(Path(os.fsdecode(args[0])).read_bytes()).hexdigest()
        assert result["photo_id"] == setup.photo_id
    else:
        assert phrase in result["error"]["message"] and result["error"]["code"] == code
        assert result["error"]["origin"] == "local" and result["attempts"] == 0
        assert stored.replacements == 0
        assert [r for r in sandbox.requests if r["route"] == "replace"] == []


def test_png_named_jpg_goes_as_the_png_it_is(sandbox, setup, cli_env):
    ran = cli(["replace", *png_named_jpg(setup), "--sync"], cli_env)
    assert ran.returncode == 0, ran.stderr
    stored = sandbox.photo(setup.photo_id)
    assert (stored.format, stored.filename) == ("png", "really-a-png.jpg")


def test_a_name_that_is_not_utf8_prints_as_its_own_bytes(sandbox, setup, cli_env):
    args = not_utf8_name(setup)
    # a real process: its stdout is a text stream with an encoding, strict here
    ran = cli(["replace", *args], {**cli_env, "PYTHONIOENCODING": "utf-8:strict"}, process=True)
    assert ran.returncode == 0, ran.stderr
    assert os.fsencode(ran.stdout).startswith(b"replaced: " + args[0] + b" -> photo ")


@pytest.fixture
def config_file(cli_env: dict[str, str], tmp_path: Path) -> Callable[[bytes], dict[str, str]]:
    """Factory: the CLI environment reading a config file with these bytes."""
    def write(content: bytes) -> dict[str, str]:
        path = tmp_path / "config.yaml"
        path.write_bytes(content)
        return {**cli_env, "FLICKR_REPLACE_CONFIG": str(path)}

    return write


@pytest.mark.parametrize("args, config, phrase", [
    pytest.param(["--photo-id", "abc"], None, "not a Flickr photo id", id="photo id of letters"),
    pytest.param(["--photo-id", "12 34"], None, "not a Flickr photo id", id="photo id with a space"),
    pytest.param(["--photo-id", ""], None, "not a Flickr photo id", id="empty photo id"),
    pytest.param(["--jobs", "0"], None, "must be a whole number, at least 1", id="no workers"),
    pytest.param([], b"api_key: [unclosed\n", "is not valid YAML (line", id="config not YAML"),
    pytest.param([], b"- a list\n- not a mapping\n", "must be a YAML mapping", id="config a list"),
    pytest.param([], b"colour: blue\nretries: 3\n", "unknown key(s) colour", id="config with unknown keys"),
    pytest.param([], b"retries: many\n", "retries must be a whole number, at least 1, not 'many'", id="config with a wrong type"),
    pytest.param([], b"\xff\xfe\x00\x01 binary", "is not UTF-8 text", id="config not text"),
])
def test_a_wrong_command_line_or_config_exits_2_with_one_line(sandbox, cli_env, config_file, tmp_path, args,
                                                              config, phrase):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg())
    env = cli_env if config is None else config_file(config)
    ran = cli(["replace", str(photo), *args], env)
    assert ran.returncode == 2 and ran.stdout == ""
    [line] = ran.stderr.splitlines()
    assert phrase in line
    assert sandbox.requests == []  # nothing sent


def test_ten_thousand_paths_in_one_call(sandbox, cli_env, tmp_path):
    paths = [str(tmp_path / f"not-exported-yet-{n:05d}.jpg") for n in range(10_000)]
    started = time.monotonic()
    ran = cli(["replace", *paths, "--photo-id", "123", "--json"], cli_env, timeout=60)
    assert time.monotonic() - started < 30
    assert ran.returncode == 1
    results = ran.by_path()
    assert sorted(results) == paths
    assert {r["error"]["message"].split(":")[0] for r in results.values()} == {"no such file"}
    assert sandbox.requests == []


# -- Flickr's answers, shaped right but holding anything --------------------------------------------

_text = st.text(max_size=40)
_xml_attr = _text.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))


@settings(max_examples=300, deadline=None)
@given(stat=_xml_attr, code=_xml_attr, msg=_xml_attr, ticket=_xml_attr, status=st.sampled_from([200, 401, 502]))
def test_any_upload_answer_is_a_value_or_a_flickr_failure(stat, code, msg, ticket, status):
    bodies = [f'<rsp stat="{stat}"><err code="{code}" msg="{msg}"/></rsp>',
              f'<rsp stat="ok"><ticketid>{ticket}</ticketid></rsp>',
              f'<rsp stat="ok"><photoid secret="{msg}">{ticket}</photoid></rsp>',
              f"oauth_problem={msg}&debug_sbs={ticket}"]
    for body in bodies:
        try:
            answer = parse_upload(status, body.encode("utf-8"))
        except FlickrFailure as exc:
            assert isinstance(exc.error.message, str) and exc.error.message
        else:
            assert answer.ticket_id or answer.photo_id


@settings(max_examples=300, deadline=None)
@given(ticket=st.one_of(st.none(), st.integers(), _text, st.lists(st.integers(), max_size=2),
                        st.dictionaries(_text, st.one_of(st.none(), st.integers(), _text), max_size=4)),
       code=st.one_of(st.none(), st.integers(), _text))
def test_any_rest_answer_is_a_value_or_a_flickr_failure(ticket, code):
    for payload in ({"stat": "ok", "uploader": {"ticket": ticket}}, {"stat": "fail", "code": code, "message": ticket}):
        try:
            states = parse_tickets(parse_rest_json(200, json.dumps(payload).encode()))
        except FlickrFailure as exc:
            assert exc.error.origin.value in ("flickr", "network")
        else:
            assert all(isinstance(tid, str) for tid in states)
