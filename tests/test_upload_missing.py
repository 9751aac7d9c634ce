"""`replace --upload-missing`: a file no source has an id for becomes a new photo, once."""
from __future__ import annotations

import json
from pathlib import Path

from clirun import cli
from photofiles import app13, bag, iim, xmp_packet
from pictures import export, jpeg_bytes, photo


def uploads(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/upload")]


def test_uploaded_recorded_then_replaced_not_uploaded_again(sandbox, cli_env, tmp_path):
    sandbox.seed(20)
    xmp = xmp_packet(bag("dc:title", "Harbour at dawn", container="Alt")
                     + bag("dc:description", "Fog over the boats", container="Alt")
                     + bag("dc:subject", "harbour", "morning fog"))
    path = export(tmp_path / "IMG_0042.jpg", "coffee", xmp=xmp)
    ran = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [result] = ran.results()
    assert (result["status"], result["source"], result["error"]) == ("uploaded", None, None)
    photo = sandbox.photo(result["photo_id"])
    assert photo.data_path.read_bytes() == path.read_bytes()
    assert (photo.title, photo.description) == ("Harbour at dawn", "Fog over the boats")
    assert photo.tags == ["harbour", "morning fog"]
    assert (photo.is_public, photo.is_friend, photo.is_family) == (0, 0, 0)  # private unless configured
    assert Path(f"{path}.flickr.yaml").read_text() == f'photo_id: "{result["photo_id"]}"\n'
    sandbox.clear_requests()
    export(path.parent / path.name, "coffee", brighter=1.3, xmp=xmp)
    again = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [second] = again.results()
    assert (second["status"], second["photo_id"]) == ("replaced", result["photo_id"])
    assert uploads(sandbox) == [] and sandbox.photo_bytes(result["photo_id"]) == path.read_bytes()


def test_iptc_fields_privacy_from_config_and_the_original_sidecar(sandbox, cli_env, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("privacy: friends-and-family\n")
    env = {**cli_env, "FLICKR_REPLACE_CONFIG": str(config)}
    original = tmp_path / "library" / "DSC_7.NEF"
    original.parent.mkdir()
    original.write_bytes(b"raw")
    export_path = export(tmp_path / "tmp" / "export.jpg", "chelsea",
                         segments=(app13(iim(keywords=("cat", "Chelsea")) + b""),))
    ran = cli(["replace", "--upload-missing", "--json", "--original", str(original), str(export_path)], env)
    [result] = ran.results()
    assert result["status"] == "uploaded", ran.stderr
    photo = sandbox.photo(result["photo_id"])
    assert photo.title == "DSC_7"  # no title in the file: the source image's name, as Flickr would
    assert photo.tags == ["cat", "Chelsea"]
    assert (photo.is_public, photo.is_friend, photo.is_family) == (0, 1, 1)
    assert Path(f"{original}.flickr.yaml").exists() and not Path(f"{export_path}.flickr.yaml").exists()
    config.write_text("privacy: everyone\n")
    bad = cli(["replace", "--upload-missing", str(export_path)], env)
    assert bad.returncode == 2 and "privacy must be one of" in bad.stderr


def test_a_file_probably_on_flickr_is_not_uploaded_again(sandbox, cli_env, tmp_path):
    sandbox.seed(10)
    pid = sandbox.add_photo(jpeg_bytes(photo("coffee"), "2022:07:14 08:30:05"), "DSC_0101.jpg", title="DSC_0101")
    path = export(tmp_path / "DSC_0101.jpg", "coffee", taken="2022:07:14 08:30:05")
    other = export(tmp_path / "new.jpg", "rocket")
    sandbox.clear_requests()
    ran = cli(["replace", "--upload-missing", "--json", str(path), str(other)], cli_env)
    assert ran.returncode == 1
    results = ran.by_path()
    refused = results[str(path)]
    assert refused["status"] == "failed" and refused["error"]["reason"] == "probably_on_flickr"
    assert pid in refused["error"]["message"]
    assert f"flickr-replace link --write {path}" in refused["error"]["message"]
    assert results[str(other)]["status"] == "uploaded"
    assert [json.loads(line)["path"] for line in ran.stdout.splitlines()].count(str(path)) == 1
    assert len(uploads(sandbox)) == 1


def test_without_the_option_a_file_with_no_id_still_fails(sandbox, cli_env, tmp_path):
    path = export(tmp_path / "new.jpg", "rocket")
    ran = cli(["replace", "--json", str(path)], cli_env)
    [result] = ran.results()
    assert result["error"]["reason"] == "no_photo_id" and uploads(sandbox) == []


def test_a_file_uploaded_by_an_earlier_run_is_not_uploaded_again(sandbox, cli_env, tmp_path):
    """The cached photo list is read before the first upload; the second run must still see it."""
    sandbox.seed(10)
    first = export(tmp_path / "a" / "coffee.jpg", "coffee")
    ran = cli(["replace", "--upload-missing", "--json", str(first)], cli_env)
    [uploaded] = ran.results()
    assert uploaded["status"] == "uploaded", ran.stderr
    copy = export(tmp_path / "b" / "coffee.jpg", "coffee")  # the same export, somewhere else
    again = cli(["replace", "--upload-missing", "--json", str(copy)], cli_env)
    [refused] = again.results()
    assert again.returncode == 1
    assert refused["error"]["reason"] == "probably_on_flickr" and uploaded["photo_id"] in refused["error"]["message"]
    assert len(uploads(sandbox)) == 1


def test_a_batch_of_temporary_exports_records_each_new_id_next_to_its_source(sandbox, cli_env, tmp_path):
    """A host's batch names each export's source in EXPORT.flickr.json: the title is the source's
    name and the id goes next to the source, never next to the export that is deleted afterwards."""
    sources = [export(tmp_path / "library" / name, picture) for name, picture in
               (("DSC_0301.jpg", "coffee"), ("DSC_0302.jpg", "rocket"))]
    exports = []
    for n, source in enumerate(sources):
        temporary = export(tmp_path / "tmp" / f"export-{n}.jpg", ("coffee", "rocket")[n])
        Path(f"{temporary}.flickr.json").write_text(json.dumps({"original": str(source)}))
        exports.append(temporary)
    ran = cli(["replace", "--upload-missing", "--json", *map(str, exports)], cli_env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    results = ran.by_path()
    for source, temporary in zip(sources, exports):
        result = results[str(temporary)]
        assert result["status"] == "uploaded"
        assert sandbox.photo(result["photo_id"]).title == source.stem
        assert Path(f"{source}.flickr.yaml").read_text() == f'photo_id: "{result["photo_id"]}"\n'
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == sorted(
        [e.name for e in exports] + [f"{e.name}.flickr.json" for e in exports])  # no id file beside them


def test_a_ticket_finished_after_the_export_is_gone_records_the_id_next_to_the_source(sandbox, cli_env, tmp_path):
    """`flickr-replace tickets` finishes an upload after the host removed its temporary export: the
    id goes next to the source the journal kept with the upload, and nowhere near the export."""
    from flickr_replace_plugin.result import ReplaceResult
    from flickr_replace_plugin.safety.journal import Journal
    from flickr_replace_plugin.pipeline.origin import record_upload

    state = tmp_path / "state"
    source = export(tmp_path / "library" / "DSC_0400.jpg", "coffee")
    gone = tmp_path / "tmp" / "DSC_0400.jpg"  # the host's export, removed after the run
    journal = Journal(state)
    entry = journal.begin(path=str(gone), photo_id=None, command="upload", original=str(source))
    result = ReplaceResult(path=str(gone), photo_id="52000000001", journal_entry=entry)
    record_upload(result, {}, state)
    assert Path(f"{source}.flickr.yaml").read_text() == 'photo_id: "52000000001"\n' and result.warnings == []
    assert not gone.parent.exists()

    unnamed = ReplaceResult(path=str(gone), photo_id="52000000002",
                            journal_entry=journal.begin(path=str(gone), photo_id=None, command="upload"))
    record_upload(unnamed, {}, state)
    assert not gone.parent.exists()  # no id file next to a vanished export
    assert "recorded nowhere" in unnamed.warnings[0] and "52000000002" in unnamed.warnings[0]


def test_dry_run_says_it_would_upload_a_file_with_no_id_and_sends_nothing(sandbox, cli_env, tmp_path):
    path = export(tmp_path / "IMG_0077.jpg", "coffee")
    ran = cli(["replace", "--upload-missing", "--dry-run", str(path)], cli_env)
    assert ran.returncode == 0 and ran.stdout == f"would upload: {path} as a new photo\n", ran.stdout
    as_json = cli(["replace", "--upload-missing", "--dry-run", "--json", str(path)], cli_env)
    [result] = as_json.results()
    assert (result["status"], result["photo_id"], result["error"]) == ("dry-run", None, None)
    assert uploads(sandbox) == [] and not Path(f"{path}.flickr.yaml").exists()
