"""Keep secrets out of every log line, including what requests and urllib3 print at debug level."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from typing import Iterable, Iterator

# oauth_token after oauth_token_secret: the longer name is tried first
_SECRET_FIELDS = r"oauth_(?:signature|token_secret|verifier|consumer_key|token)"
_PATTERNS = [
    re.compile(rf"({_SECRET_FIELDS}(?:=|%3D|%253D))[^&%\s\"',]+"),  # form-encoded, and inside base strings
    re.compile(r'(oauth_[a-z_]+=")[^"]*'),  # every value of an Authorization header, each on its own
    re.compile(rf"(['\"]{_SECRET_FIELDS}['\"]\s*[:,]\s*['\"])[^'\"]*"),  # ('name', 'value') and {'name': 'value'}
    re.compile(r"(\bSignature: )\S+"),  # oauthlib logs each signature it makes
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


LOGGERS = ("flickr_replace", "urllib3", "requests_oauthlib", "oauthlib")


@contextmanager
def logging_to(stream, verbosity: int, secrets: Iterable[str | None] = ()) -> Iterator[RedactingFilter]:
    """Log to `stream` through the redactor for one command; the logging set-up it found is put
    back afterwards, so a host (or a test) running commands in-process keeps its own."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, [logging.getLogger(n).level for n in LOGGERS])
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    for old in saved[0]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("flickr_replace").setLevel(logging.INFO if verbosity == 1 else
                                                 logging.DEBUG if verbosity > 1 else logging.WARNING)
    if verbosity > 1:
        for name in LOGGERS[1:]:
            logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield redactor
    finally:
        root.removeHandler(handler)
        for old in saved[0]:
            root.addHandler(old)
        root.setLevel(saved[1])
        for name, level in zip(LOGGERS, saved[2]):
            logging.getLogger(name).setLevel(level)
