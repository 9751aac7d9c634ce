"""One REST call as the method families see it: the store, the request, who signed it."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .oauth import Signed
from .records import Photo
from .replies import Fail
from .request import Request
from .store import Store

MAX_PER_PAGE = 500  # Flickr's cap on per_page
DEFAULT_PER_PAGE = 100


@dataclass
class Call:
    store: Store
    request: Request
    signed: Signed | None

    def get(self, name: str, default: str = "") -> str:
        value = self.request.get(name)
        return default if value is None else value

    @property
    def caller(self) -> str | None:
        """The nsid of the user the call is made for: a token-signed call is the sandbox's user."""
        if self.signed is None or self.signed.token is None:
            return None
        return self.store.user["nsid"]

    @property
    def origin(self) -> str:
        """scheme://host:port as the client addressed the sandbox: static files are served there too."""
        parts = urlsplit(self.request.url)
        return f"{parts.scheme}://{parts.netloc}"

    def can_see(self, photo: Photo) -> bool:
        """Flickr shows a photo to its owner, and to others only when public (the sandbox's user has
        no contacts, so friends-only and family-only photos of others stay hidden)."""
        return bool(photo.is_public) or (self.caller is not None and photo.owner == self.caller)

    def photo(self) -> Photo:
        """The `photo_id` photo, or Flickr's code 1 when it does not exist or may not be seen."""
        photo_id = self.get("photo_id")
        photo = self.store.photo(photo_id)
        if photo is None or not self.can_see(photo):
            raise Fail(1, f'Photo "{photo_id}" not found (invalid ID)')
        return photo

    def paging(self) -> tuple[int, int]:
        """(page, per_page) as Flickr reads them: bad or missing values fall back, per_page capped."""
        def number(name: str, default: int) -> int:
            try:
                value = int(self.get(name) or default)
            except ValueError:
                return default
            return value if value > 0 else default

        return number("page", 1), min(number("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
