"""`Sandbox`: the local Flickr as a Python object, for tests, benchmarks and the demo."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..formats.sniff import sniff_format

from .api import FlickrApi
from .control import peak_rss_kb
from .faults import FaultQueue
from .requestlog import RequestLog
from .server import SandboxServer
from .datadir import claim
from .records import Photo
from .sizes import available, source
from .static import Renditions
from .store import Store

FILE_CHUNK = 1 << 20


def _chunks(data: bytes | str | os.PathLike) -> Iterator[bytes]:
    if isinstance(data, bytes):
        yield data
        return
    with open(data, "rb") as fh:
        while chunk := fh.read(FILE_CHUNK):
            yield chunk


class Sandbox:
    """A Flickr-compatible server on loopback with its account kept in `data_dir`.

    Stopping and starting again keeps the port (clients hold its URL) and the data; a new
    Sandbox on the same data dir finds the same photos, tickets and credentials.
    Without a data dir, a temporary one is used and removed by `close()`.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, port: int = 0, host: str = "127.0.0.1",
                 latency: float = 0.0, max_bytes: int | None = None, ticket_delay: float | None = None) -> None:
        self._temp_dir = None if data_dir is not None else tempfile.mkdtemp(prefix="flickr-sandbox-")
        self.data_dir = Path(data_dir if data_dir is not None else self._temp_dir)
        self.host = host
        self.port = port
        self.latency = latency or 0.0
        self.store = Store(claim(self.data_dir) if data_dir is not None else self.data_dir)
        self.faults = FaultQueue()
        self.log = RequestLog()
        self.api = FlickrApi(self.store, self.faults, max_bytes, ticket_delay)
        self.renditions = Renditions()
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> "Sandbox":
        if self._server is None:
            server = SandboxServer(self, self.host, self.port)
            self.port = server.server_address[1]
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"flickr-sandbox-{self.port}", daemon=True)
            self._server = server
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections; the data stays."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close(self) -> None:
        """Stop, and remove the data dir if it was a temporary one."""
        self.stop()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # -- the account ---------------------------------------------------------------------------------
    @property
    def credentials(self) -> dict[str, str]:
        """api_key, api_secret, oauth_token, oauth_token_secret: what the sandbox accepts."""
        return dict(self.store.credentials)

    @property
    def max_bytes(self) -> int:
        return self.api.max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self.api.max_bytes = value

    def add_photo(self, data: bytes | str | os.PathLike, filename: str | None = None, title: str = "", *,
                  owner: str | None = None, media: str | None = None, description: str = "",
                  tags: Iterable[str] = (), is_public: bool = True, is_friend: bool = False,
                  is_family: bool = False, date_taken: str | None = None) -> str:
        """Seed a photo (bytes or a path) with none of Flickr's checks; returns its id.

        `owner`: a username or nsid of another user (created on first use); default the sandbox's
        own user. `media="video"` makes a video whatever the bytes. `date_taken`
        ('YYYY-MM-DD HH:MM:SS') overrides the file's EXIF DateTimeOriginal.
        """
        if filename is None:
            filename = "photo.jpg" if isinstance(data, bytes) else os.path.basename(os.fspath(data))
        meta = {"owner": owner, "media": media, "description": description, "tags": list(tags),
                "is_public": int(is_public), "is_friend": int(is_friend), "is_family": int(is_family),
                "taken": date_taken}
        return self.store.add_photo(_chunks(data), filename, title, **meta).id

    def seed(self, n: int, data: bytes | str | os.PathLike | None = None, *,
             filename: str = "IMG_{i:05d}.jpg", title: str | Callable[[int], str] | None = None,
             date_taken: str | Callable[[int], str | None] | None = None, owner: str | None = None,
             is_public: bool = True, tags: Iterable[str] = (), description: str = "") -> list[str]:
        """Add `n` photos at once (an account of thousands in well under a second); their ids, oldest first.

        Every photo holds the same picture (`data`, default the packaged sample JPEG), uploaded one
        second apart. `filename`, `title` and `date_taken` may hold `{i}` (0..n-1) or be
        callables of i; `title` None is Flickr's default, the file name's stem.
        """
        if data is None:
            data = Path(__file__).resolve().parent.parent / "data" / "sample.jpg"

        def pick(value: Any, i: int) -> Any:
            return value(i) if callable(value) else value.format(i=i) if isinstance(value, str) else value

        upload = self.store.receive(_chunks(data), "seed")
        tag_list = list(tags)
        return self.store.seed(n, upload, sniff_format(upload.head), lambda i: {
            "filename": pick(filename, i), "title": pick(title, i), "taken": pick(date_taken, i) or "",
            "owner": owner, "is_public": int(is_public), "tags": list(tag_list), "description": description})

    @property
    def ticket_delay(self) -> float:
        """Seconds an async ticket takes to complete, for tickets created from now on."""
        return self.api.ticket_delay

    @ticket_delay.setter
    def ticket_delay(self, value: float) -> None:
        self.api.ticket_delay = value

    def release_tickets(self) -> None:
        """Complete every waiting ticket at the next request, whatever its delay."""
        self.store.release_tickets()

    def photo(self, photo_id: str) -> Photo:
        """A copy of the photo's record (raises KeyError for an unknown id)."""
        self.store.settle()
        photo = self.store.photo(str(photo_id))
        if photo is None:
            raise KeyError(photo_id)
        return photo

    def photo_bytes(self, photo_id: str) -> bytes:
        """The bytes the photo holds now: its current original, exactly as stored."""
        return self.photo(photo_id).data_path.read_bytes()

    def update_photo(self, photo_id: str, **fields: Any) -> Photo:
        """Change a photo's record as an edit on Flickr would (title, description, tags, is_public,
        taken, ...); its lastupdate moves. Raises KeyError for an unknown id."""
        return self.store.update_photo(str(photo_id), fields)

    def add_tags(self, photo_id: str, tags: Iterable[str], author: str | None = None) -> list[str]:
        """Tags added to a photo as `author` (a username or nsid: another user, created on first use;
        None: the owner) would add them on the website; returns their tag ids."""
        from .records import add_tags, tag_id

        nsid = self.store.user_for(author)
        self.photo(photo_id)
        added = self.store.edit(str(photo_id), lambda photo: [(photo, e) for e in add_tags(photo, list(tags), nsid)])
        return [tag_id(photo, entry) for photo, entry in added]

    def delete_photo(self, photo_id: str) -> None:
        """Delete a photo as its owner would on flickr.com (raises KeyError for an unknown id)."""
        self.store.delete_photo(str(photo_id))

    def replace_outside(self, photo_id: str, data: bytes | str | os.PathLike, filename: str = "web.jpg") -> Photo:
        """Replace a photo's image as the website's "Replace" would, outside this tool: new bytes,
        new secrets, no journal entry of ours (raises KeyError for an unknown id)."""
        self.photo(photo_id)
        upload = self.store.receive(_chunks(data), filename)
        return self.store.replace_photo(str(photo_id), upload, sniff_format(upload.head))

    def user(self, who: str | None = None) -> dict[str, str]:
        """{nsid, username, fullname} of the sandbox's user, or of another user (created on first use)."""
        return dict(self.store.person(self.store.user_for(who)) or {})

    def static_url(self, photo_id: str, label: str = "Original") -> str:
        """The address getSizes gives for this size ('Square', 'Small', 'Medium', 'Large', 'Original', ...)."""
        photo = self.photo(photo_id)
        size = next((s for s in available(photo) if s.label == label), None)
        if size is None:
            raise KeyError(f"photo {photo_id} has no size {label!r}")
        return source(self.base_url, photo, size)

    # -- what happened -------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.log.snapshot()

    def rest_calls(self, method: str | None = None) -> int:
        return self.log.rest_calls(method)

    def clear_requests(self) -> None:
        self.log.clear()

    def stats(self) -> dict[str, Any]:
        return {**self.log.summary(), **self.store.stats(), "faults_applied": dict(self.faults.applied),
                "faults_pending": self.faults.pending(), "peak_rss_kb": peak_rss_kb()}
