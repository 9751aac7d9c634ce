"""How fast is photo-id resolution next to exiftool?

Writes 1,000 JPEGs with embedded XMP and EXIF (each with its own photo id), then times, each in
one fresh process, our resolver (built-in sources) and ``exiftool -j`` over the same files.
Both timings include process start-up. Exits 1 if we are not at least TARGET times faster.

    python benchmarks/resolve.py [--files N] [--repeat N]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0
BASE_ID = 53208249252  # every id has 11 digits, as the placeholder has 11 characters
_PLACEHOLDER = b"PHOTO_ID_XX"
ROOT = Path(__file__).resolve().parent.parent

_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmp:CreatorTool="Photini" xmp:Rating="3" photoshop:DateCreated="2024-01-01T12:34:56">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour at dusk</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>A. Photographer</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Boats in the harbour.</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag>
    <rdf:li>harbour</rdf:li><rdf:li>boats</rdf:li><rdf:li>flickr:id=PHOTO_ID_XX</rdf:li>
   </rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>places|harbour</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

_OURS = """
import os, sys
from flickr_replace_plugin import resolve_photo_id
folder = sys.argv[1]
ok = 0
for name in sorted(os.listdir(folder)):
    resolution = resolve_photo_id(os.path.join(folder, name))
    ok += resolution.photo_id == str(int(name.split(".")[0]) + int(sys.argv[2]))
print(ok)
"""


def make_files(folder: Path, count: int) -> None:
    from PIL import Image

    image = Image.effect_noise((640, 480), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Camera Maker", "Model 7", "2024:01:01 12:34:56"
    exif[0x010E] = "Flickr URL: https://www.flickr.com/photos/someone/PHOTO_ID_XX"
    template = io.BytesIO()
    image.save(template, "JPEG", quality=85, exif=exif, xmp=_XMP.encode("utf-8"))
    data = template.getvalue()
    assert data.count(_PLACEHOLDER) == 2, "the placeholder must occur only where the ids go"
    for i in range(count):
        (folder / f"{i:05d}.jpg").write_bytes(data.replace(_PLACEHOLDER, str(BASE_ID + i).encode()))


def timed(command: list[str], **kwargs) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = parser.parse_args(argv)
    exiftool = shutil.which("exiftool")
    if not exiftool:
        print("exiftool is not installed (Debian: libimage-exiftool-perl)", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_files(folder, args.files)
        ours, theirs = [], []
        for _ in range(args.repeat):
            seconds, out = timed([sys.executable, "-c", _OURS, str(folder), str(BASE_ID)], env=env)
            if int(out) != args.files:
                print(f"resolver found the right id in {out.strip()} of {args.files} files", file=sys.stderr)
                return 1
            ours.append(seconds)
            seconds, out = timed([exiftool, "-j", "-q", str(folder)])
            if len(json.loads(out)) != args.files:
                print("exiftool did not read every file", file=sys.stderr)
                return 1
            theirs.append(seconds)
    best_ours, best_theirs = min(ours), min(theirs)
    ratio = best_theirs / best_ours
    print(f"files:        {args.files}")
    print(f"flickr-replace resolver: {best_ours:.3f} s ({best_ours / args.files * 1000:.3f} ms/file)")
    print(f"exiftool -j:  {best_theirs:.3f} s ({best_theirs / args.files * 1000:.3f} ms/file)")
    print(f"ratio:        {ratio:.1f}x faster (target {TARGET:.0f}x)")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
