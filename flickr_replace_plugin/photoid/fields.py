"""What the built-in sources share: which files to read, failures as notes, ids as candidates."""
from __future__ import annotations

import functools
import os
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, TypeVar

from .candidates import Candidate
from ..formats.containers import Embedded, read_embedded
from .patterns import Kind, ids_in
from ..formats.scope import note
from ..formats.xmp import XMPError, xmp_fields

F = TypeVar("F", bound=Callable[..., Any])


class Field(NamedTuple):
    name: str  # the field's name as users know it
    kind: Kind  # how it carries an id
    value: str
    cut: bool = False  # the value may continue past its end: no id that reaches the end is taken




def guarded(source: str) -> Callable[[F], F]:
    """Turn any exception a source raises into a note and no answer: a damaged file must not
    fail the batch, and the other sources may still find the id."""

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def run(path: str, metadata: Mapping[str, Any]) -> Any:
            try:
                return func(path, metadata)
            except Exception as exc:  # noqa: BLE001 - parsers of hostile bytes fail in any way
                note(f"{source}: {path}: {type(exc).__name__}: {exc}")
                return None

        return run  # type: ignore[return-value]

    return wrap


def subjects(path: str, metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(file, detail suffix) pairs to read: the file itself, and the source image it was exported
    from when the host names one (an export may carry no metadata of its own)."""
    files = [(path, "")]
    original = metadata.get("original") if metadata else None
    if isinstance(original, (str, os.PathLike)) and os.fspath(original) and os.fspath(original) != path:
        files.append((os.fspath(original), f" of original {os.path.basename(original)}"))
    return files


def scan(source: str, fields: Iterable[tuple[Any, ...]], where: str = "") -> list[Candidate]:
    """A candidate for every id the fields carry (the same id in the same field counted once);
    a field is a `Field` or a plain (name, kind, value) tuple."""
    found: dict[tuple[str, str], Candidate] = {}
    for item in fields:
        name, kind, value, cut = Field(*item)
        for photo_id in ids_in(value, kind, cut):
            found.setdefault((photo_id, name), Candidate(photo_id, source, name + where))
    return list(found.values())


def _embedded(path: str) -> Embedded:
    """The file's metadata blocks, its read problems left as notes (once, though three sources ask)."""
    blocks = read_embedded(path)
    for problem in blocks.problems:
        note(f"{path}: {problem}")
    return blocks


def from_embedded(
    source: str, path: str, metadata: Mapping[str, Any], fields: Callable[[Embedded, str], Iterable[Field]]
) -> list[Candidate] | None:
    """Candidates from the embedded metadata of the file and of its original, read by `fields`."""
    found = []
    for file, where in subjects(path, metadata):
        found += scan(source, fields(_embedded(file), file), where)
    return found or None


def xmp_packet_fields(packets: Iterable[bytes], path: str) -> Iterator[Field]:
    """The fields of every packet that parses; one that does not is a note."""
    for packet in packets:
        try:
            fields = list(xmp_fields(packet))
        except XMPError as exc:
            note(f"{path}: XMP not read: {exc}")
            continue
        yield from fields
