"""The resolver: the caller wins, sources are ranked, disagreement and non-ids are refused."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from photofiles import ID, ID2, PAGE_URL, app13, builtin_plugins, exif, iim, jpeg, subject_xmp, write

from flickr_replace_plugin.photoid.candidates import Candidate
from flickr_replace_plugin.hookspecs import hookimpl
from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.result import Origin
from flickr_replace_plugin.formats.scope import note

DOWNLOAD = f"{ID}_9d32d647f1_b.jpg"


class HostPlugin:
    """A third-party plugin answering from a host's catalog."""

    def __init__(self, answer: Any = None, error: Exception | None = None, message: str | None = None) -> None:
        self.answer, self.error, self.message, self.calls = answer, error, message, 0

    @hookimpl
    def find_photo_id(self, path: str) -> Any:
        self.calls += 1
        if self.message:
            note(f"hostdb: {self.message}")
        if self.error:
            raise self.error
        return self.answer


def with_host(plugin: HostPlugin, name: str = "hostdb"):
    plugins = builtin_plugins()
    plugins.pm.register(plugin, name=name)
    return plugins


@pytest.fixture
def tagged(tmp_path) -> str:
    """A Flickr download whose XMP, EXIF and IPTC all carry its id."""
    return write(tmp_path, DOWNLOAD, jpeg(exif(f"Flickr URL: {PAGE_URL}"), subject_xmp(f"flickr:id={ID}"),
                                          segments=(app13(iim((f"flickr:id={ID}",))),)))


def test_agreeing_sources_name_the_first_in_order(tagged: str) -> None:
    resolution = resolve_photo_id(tagged, plugins=builtin_plugins())
    assert (resolution.photo_id, resolution.source, resolution.error) == (ID, "xmp", None)
    assert [c.source for c in resolution.candidates] == ["xmp", "exif", "iptc", "filename"]
    photo_id, source, candidates = resolution  # hosts may unpack it
    assert (photo_id, source, len(candidates)) == (ID, "xmp", 4)


def test_sidecar_outranks_embedded_and_plugins_outrank_the_name(tmp_path, tagged: str) -> None:
    plugins = with_host(HostPlugin([Candidate(ID, "catalog")]))
    assert resolve_photo_id(tagged, plugins=plugins).candidates[3].source == "plugin:hostdb"
    write(tmp_path, DOWNLOAD + ".flickr.yaml", f"photo_id: {ID}".encode())
    resolution = resolve_photo_id(tagged, plugins=plugins)
    assert resolution.source == f"sidecar:{DOWNLOAD}.flickr.yaml"
    assert [c.source for c in resolution.candidates][-2:] == ["plugin:hostdb", "filename"]


@pytest.mark.parametrize(("kwargs", "source"), [
    ({"photo_id": ID2}, "argument"),
    ({"photo_id": int(ID2)}, "argument"),
    ({"metadata": {"photo_id": ID2}}, "metadata"),
    ({"metadata": {"photo_id": ID2, "photo_id_source": "argument"}}, "argument"),
])
def test_the_caller_wins_outright(tagged: str, kwargs: dict, source: str) -> None:
    host = HostPlugin(error=RuntimeError("must not be asked"))
    resolution = resolve_photo_id(tagged, plugins=with_host(host), **kwargs)
    assert (resolution.photo_id, resolution.source, resolution.error) == (ID2, source, None)
    assert host.calls == 0 and [c.source for c in resolution.candidates] == [source]


def test_argument_beats_metadata(tagged: str) -> None:
    resolution = resolve_photo_id(tagged, metadata={"photo_id": ID}, photo_id=ID2, plugins=builtin_plugins())
    assert (resolution.photo_id, resolution.source) == (ID2, "argument")


@pytest.mark.parametrize("bad", ["abc", "12 34", "1" * 21, "-5", True, "١٢٣"])
def test_a_caller_id_that_is_not_digits_is_a_local_error(tagged: str, bad: Any) -> None:
    resolution = resolve_photo_id(tagged, photo_id=bad, plugins=builtin_plugins())
    assert resolution.photo_id is None and resolution.error.origin is Origin.LOCAL
    assert "not a Flickr photo id" in resolution.error.message and "argument (--photo-id)" in resolution.error.message


def test_disagreement_fails_naming_every_source_and_id(tmp_path) -> None:
    path = write(tmp_path, DOWNLOAD, jpeg(exif(f"Flickr URL: https://www.flickr.com/photos/x/{ID2}"),
                                          subject_xmp(f"flickr:id={ID}")))
    resolution = resolve_photo_id(path, plugins=with_host(HostPlugin([Candidate(ID2, "catalog"), Candidate(ID, "ignored")])))
    assert resolution.photo_id is None and resolution.source is None
    error = resolution.error
    assert (error.origin, error.code, error.retryable) == (Origin.LOCAL, None, False)
    for part in (f"xmp (dc:subject) says {ID}", f"exif (ImageDescription) says {ID2}",
                 f"plugin:hostdb (catalog) says {ID2}", f"plugin:hostdb (ignored) says {ID}",
                 f"filename ({DOWNLOAD}) says {ID}"):
        assert part in error.message
    assert "--photo-id" in error.message and path in error.message


def test_nothing_found_hints_at_photo_id(tmp_path) -> None:
    path = write(tmp_path, "IMG_20240101_123456.jpg", jpeg(exif("A sunny day")))
    resolution = resolve_photo_id(Path(path), plugins=builtin_plugins())
    assert resolution.photo_id is None and resolution.candidates == []
    assert resolution.error.message.startswith(f"no Flickr photo id found for {path}: ")
    assert "--photo-id" in resolution.error.message


def test_a_plugin_that_raises_fails_the_file_naming_it(tagged: str) -> None:
    resolution = resolve_photo_id(tagged, plugins=with_host(HostPlugin(error=KeyError("catalog locked"))))
    assert resolution.photo_id is None and "'hostdb'" in resolution.error.message
    assert "catalog locked" in resolution.error.message


@pytest.mark.parametrize("answer", ["12345", 12345, {"photo_id": "1"}, [("1", "a"), "2"], ("1", "a", "b")])
def test_a_plugin_answer_of_the_wrong_shape_fails_the_file_naming_it(tagged: str, answer: Any) -> None:
    resolution = resolve_photo_id(tagged, plugins=with_host(HostPlugin(answer)))
    assert resolution.photo_id is None and "plugin 'hostdb' returned" in resolution.error.message


def test_a_plugin_id_that_is_not_digits_fails_the_file(tagged: str) -> None:
    resolution = resolve_photo_id(tagged, plugins=with_host(HostPlugin([Candidate("IMG_1", "catalog")])))
    assert "plugin:hostdb (catalog) says 'IMG_1'" in resolution.error.message


def test_a_plugin_id_may_be_an_int(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg())
    answer = [Candidate(int(ID), "catalog")]  # type: ignore[arg-type]
    resolution = resolve_photo_id(path, plugins=with_host(HostPlugin(answer)))
    assert (resolution.photo_id, resolution.source) == (ID, "plugin:hostdb")


def test_notes_from_sources_and_plugins_reach_the_resolution(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(xmp=b"<x><unclosed></x>"))
    resolution = resolve_photo_id(path, plugins=with_host(HostPlugin(message="no row for this file")))
    assert any("XMP not read" in n for n in resolution.notes)
    assert "hostdb: no row for this file" in resolution.notes
    note("outside a resolution this goes nowhere")  # and does not raise


def test_notes_do_not_leak_between_threads(tmp_path) -> None:
    good = [write(tmp_path, f"good{i}.jpg", jpeg(xmp=subject_xmp(f"flickr:id={ID}"))) for i in range(8)]
    bad = [write(tmp_path, f"bad{i}.jpg", jpeg(xmp=b"<broken")) for i in range(8)]
    plugins = builtin_plugins()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: resolve_photo_id(p, plugins=plugins), good + bad))
    assert all(r.photo_id == ID and r.notes == [] for r in results[:8])
    assert all(r.photo_id is None and len(r.notes) == 1 and p in r.notes[0] for p, r in zip(bad, results[8:]))


def test_the_host_metadata_is_not_changed(tagged: str) -> None:
    metadata = {"title": "x"}
    resolve_photo_id(tagged, metadata=metadata, photo_id=ID, plugins=builtin_plugins())
    resolve_photo_id(tagged, metadata=metadata, plugins=builtin_plugins())
    assert metadata == {"title": "x"}


def test_default_plugins_are_loaded_when_none_are_given(tagged: str) -> None:
    assert resolve_photo_id(tagged).photo_id == ID


def test_an_export_reads_its_originals_metadata_too(tmp_path) -> None:
    original = write(tmp_path, "IMG_1234.jpg", jpeg(exif(f"Flickr URL: {PAGE_URL}"), subject_xmp(f"flickr:id={ID}")))
    export = write(tmp_path, "IMG_1234_01.jpg", jpeg())  # exported without metadata
    resolution = resolve_photo_id(export, metadata={"original": original}, plugins=builtin_plugins())
    assert (resolution.photo_id, resolution.source) == (ID, "xmp")
    assert [c.detail for c in resolution.candidates] == [
        "dc:subject of original IMG_1234.jpg", "ImageDescription of original IMG_1234.jpg"]


def test_a_missing_original_is_a_note(tmp_path, tagged: str) -> None:
    resolution = resolve_photo_id(tagged, metadata={"original": str(tmp_path / "gone.CR2")}, plugins=builtin_plugins())
    assert resolution.photo_id == ID and any("gone.CR2: cannot read" in n for n in resolution.notes)


@pytest.mark.parametrize("note", ["IMG_1234_01.jpg.flickr.json", "IMG_1234_01.jpg.flickr.yaml"])
def test_a_batch_host_names_each_exports_original_next_to_it(tmp_path, note: str) -> None:
    # darktable exports a batch to temporary files and cannot give one --original per file
    source = tmp_path / "src dir 'x'"
    source.mkdir()
    original = write(source, "IMG_1234.jpg", jpeg())
    write(source, "IMG_1234.xmp", subject_xmp(f"flickr:photo_id={ID}"))  # Lightroom's NAME.xmp
    export = write(tmp_path, "IMG_1234_01.jpg", jpeg())
    write(tmp_path, note, json.dumps({"original": original}).encode())
    resolution = resolve_photo_id(export, plugins=builtin_plugins())
    assert (resolution.photo_id, resolution.source) == (ID, "sidecar:IMG_1234.xmp")
    assert [c.detail for c in resolution.candidates] == ["dc:subject of original IMG_1234.jpg"]
    other = write(tmp_path, "other.jpg", jpeg())  # named by the caller, the caller's original wins
    assert resolve_photo_id(export, metadata={"original": other}, plugins=builtin_plugins()).photo_id is None
