"""`flickr-replace demo`: the whole job on a built-in sandbox, with no account and nothing to configure."""
from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from .env import Environment, ExitStatus
from ..config import Config, UserDirs
from ..result import Status

SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:subject><rdf:Bag><rdf:li>landscape</rdf:li><rdf:li>flickr:photo_id={photo_id}</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def run_demo(env: Environment, plugins: Any) -> int:
    from ..core import replace
    from ..photoid.resolve import resolve_photo_id
    from ..sandbox import Sandbox
    from ..flickr.client import FlickrClient

    say = lambda text: (env.stderr.write(text + "\n"), env.stderr.flush())  # noqa: E731
    data = resources.files("flickr_replace_plugin") / "data"
    with tempfile.TemporaryDirectory(prefix="flickr-replace-demo-") as tmp, \
            Sandbox(data_dir=Path(tmp) / "sandbox", port=0, ticket_delay=0.3) as sandbox:
        work = Path(tmp) / "photos"
        work.mkdir()
        # every user dir in the temporary one: the demo leaves nothing behind
        config = Config(base_url=sandbox.base_url, state_dir=str(Path(tmp) / "state"),
                        dirs=UserDirs.from_env({"HOME": tmp}), **sandbox.credentials)
        say(f"1. Started a local Flickr sandbox at {sandbox.base_url}")

        photo = work / "sunset.jpg"
        shutil.copyfile(data / "sample.jpg", photo)
        client = FlickrClient(config)
        photo_id = client.upload_file(str(photo), {"title": "Sunset", "async": "0"}, replace=False,
                                      content_type="image/jpeg").photo_id
        client.close()
        say(f"2. Uploaded {photo.name} to the sandbox: photo {photo_id}")

        (work / "sunset.jpg.xmp").write_text(SIDECAR.format(photo_id=photo_id), encoding="utf-8")
        say("3. Wrote its id into a darktable-style sidecar: sunset.jpg.xmp (keyword flickr:photo_id=...)")

        shutil.copyfile(data / "sample-edited.jpg", photo)
        resolution = resolve_photo_id(str(photo), plugins=plugins)
        say(f"4. Re-exported an edited {photo.name}; its photo id resolves to {resolution.photo_id} "
            f"(from {resolution.source})")

        result = replace(str(photo), config=config, plugins=plugins)
        stored = sandbox.photo(photo_id)
        same = stored is not None and Path(stored.data_path).read_bytes() == photo.read_bytes()
        say(f"5. Replaced: status {result.status.value}, new secret {result.secret}, "
            f"{result.attempts} upload(s), ticket {result.ticket_id}")
        say(f"6. The sandbox's photo {photo_id} now holds the edited bytes: {'yes' if same else 'NO'}")
        env.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        return ExitStatus.OK if result.status is Status.REPLACED and same else ExitStatus.FAILED
