"""Keep secrets out of every log line, including what requests and urllib3 print at debug level."""
from __future__ import annotations

import logging
import re
from typing import Iterable

_SECRET_FIELDS = r"oauth_(?:signature|token_secret|verifier)"
_PATTERNS = [
    re.compile(rf"({_SECRET_FIELDS}(?:=|%3D|%253D))[^&%\s\"',]+"),  # form-encoded, and inside base strings
    re.compile(rf'({_SECRET_FIELDS}=")[^"]*'),  # Authorization header values
    re.compile(rf"(['\"]{_SECRET_FIELDS}['\"]\s*[:,]\s*['\"])[^'\"]*"),  # ('name', 'value') and {'name': 'value'}
    re.compile(r"(\bSignature: )\S+"),  # oauthlib logs each signature it makes
    re.compile(r"(Authorization['\"]?:\s*b?['\"]?OAuth )[^'\"\n]+", re.IGNORECASE),
    re.compile(r"(api_secret['\"]?[:=]\s*['\"]?)[^\s'\",}]+"),
]
MASK = "***"


class RedactingFilter(logging.Filter):
    """Masks known secret values and OAuth fields in the formatted message of every record."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        self.secrets = sorted({*self.secrets, *(s for s in secrets if s and len(s) >= 4)}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:  # a traceback's messages can quote a request: mask it too
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(verbosity: int, stream, secrets: Iterable[str | None] = ()) -> RedactingFilter:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("flickr_replace").setLevel(logging.INFO if verbosity == 1 else
                                                 logging.DEBUG if verbosity > 1 else logging.WARNING)
    if verbosity > 1:
        for name in ("urllib3", "requests_oauthlib", "oauthlib"):
            logging.getLogger(name).setLevel(logging.DEBUG)
    return redactor
