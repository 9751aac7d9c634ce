"""What one file's run has found so far, handed from stage to stage."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

from ..preflight import Checked, open_checked
from ..result import ReplaceResult, ResultError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..photoid.candidates import Resolution
    from ..safety.targets import PhotoInfo
    from .services import Services
    from .early import EarlySend
    from .guess import Guessed, GuessedBackup

# A stage's answer: None goes on to the next stage; a ResultError fails the file with it; the
# file's own result (already final: skipped, sent, pending) ends its run there.
Outcome = Union[ResultError, ReplaceResult, None]


@dataclass
class FileRun:
    """One file on its way through the stages: its result, and what earlier stages found."""

    result: ReplaceResult
    checked: Checked | ResultError  # the one look at the file (pre-flight), kept open until the end
    resolution: "Resolution | None" = None
    info: "PhotoInfo | None" = None  # getInfo's answer for the photo to overwrite (target check)
    expected_sha256: str | None = None  # taken before sending (skip-unchanged, a new photo's journal entry)
    on_close: list[Callable[[], None]] = field(default_factory=list)  # told when the file's stages are over
    backup_record: tuple[int, str] | None = None  # the backup's size and sha256 as saved, for the journal
    ahead: dict[str, "Future[Any]"] = field(default_factory=dict)  # answers asked early (pipeline/ahead.py)
    guessed: "Guessed | None" = None  # the small image asked before getInfo answered (pipeline/guess.py)
    guessed_backup: "GuessedBackup | None" = None  # the original, likewise, for the backup
    known: dict[str, Any] = field(default_factory=dict)  # what a stage read once for the stages after it
    early: "EarlySend | None" = None  # the body begun beside the remote checks (pipeline/early.py)

    @classmethod
    def open(cls, path: str) -> "FileRun":
        return cls(ReplaceResult(path=str(path)), open_checked(str(path)))

    @property
    def path(self) -> str:
        return self.result.path

    @property
    def new(self) -> bool:
        """--upload-missing: a new photo, which overwrites nothing."""
        return self.result.photo_id is None

    @property
    def file(self) -> Checked:
        """The open file; only stages after the local checks ask for it."""
        assert isinstance(self.checked, Checked), "the local checks stage comes first"
        return self.checked

    def close(self) -> None:
        if self.early is not None:  # not let through by `send`: cut short before anything else ends
            self.early.abort()
        if self.guessed_backup is not None:  # never taken: no backup of a guess is left behind
            self.guessed_backup.abandon()
        for started in self.ahead.values():  # a worker may still read the file: it ends first
            if not started.cancel():
                started.exception()
        try:
            if isinstance(self.checked, Checked):
                self.checked.close()
        finally:
            for told in self.on_close:
                told()


Stage = Callable[[FileRun, "Services"], Outcome]
