"""The one replace core every host calls: a run of many files through the pipeline's stages."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from .config import Config
from .flickr.responses import TicketState
from .options import RunOptions, run_options
from .pipeline import stages
from .pipeline.resolve import resolve_all
from .pipeline.services import Activity, OnStage, Progress, Services
from .result import ReplaceResult
from .scheduler import stream_results
from .tickets import TicketStore, held_by, result_from_saved

if TYPE_CHECKING:
    from .plugins import Plugins

log = logging.getLogger("flickr_replace.core")


class Run:
    """What one invocation shares across files: its options and plugins, and the `Services` every
    stage is given. The scheduler drives it through its `Batch` protocol."""

    def __init__(self, options: RunOptions, plugins: "Plugins", *, progress: Progress | None = None,
                 on_wait: Callable[[float], None] | None = None, activity: Activity | None = None,
                 on_stage: OnStage | None = None) -> None:
        self.options, self.plugins = options, plugins
        self.wait, self.timeout = options.wait, options.timeout
        if not options.dry_run:
            options.config.require_credentials()
        self.services = Services(options, plugins, progress=progress, on_wait=on_wait, activity=activity,
                                 on_stage=on_stage)
        self.store: TicketStore = self.services.store
        self._in_flight: dict[str, ReplaceResult] = {}  # by path: each upload's result as it is filled in

    def prepare(self, paths: list[str]) -> None:
        """Every path resolved before any upload: two paths naming one photo send nothing."""
        resolve_all(paths, self.services)

    def upload(self, path: str) -> ReplaceResult:
        self.services.tell_stage(path, "checking")
        try:
            return stages.upload(path, self.services, opened=lambda result: self._in_flight.update({path: result}))
        finally:
            self._in_flight.pop(path, None)

    def in_flight(self, path: str) -> ReplaceResult | None:
        """An upload's result as its stages have filled it in so far (None once it has returned)."""
        return self._in_flight.get(path)

    def check_tickets(self, ticket_ids: list[str], until: float | None = None) -> dict:
        """One checkTickets, retries included, ended by `until` (the ticket wait's end)."""
        log.info("polling %d ticket(s): %s", len(ticket_ids), ", ".join(ticket_ids))
        services = self.services
        if services.activity is not None:
            services.activity.tickets_waiting(len(ticket_ids))
        return services.retry(lambda: services.client().check_tickets(ticket_ids, until), until)

    def finish_ticket(self, result: ReplaceResult, state: TicketState | None, started: float) -> ReplaceResult:
        return stages.WAIT(result, state, started, self.services)

    def after(self, result: ReplaceResult) -> ReplaceResult:
        return stages.after(result, self.services)

    def close(self) -> None:
        self.services.close()


def replace_many(paths: Iterable[str], *, photo_id: str | None = None, metadata: Mapping[str, Any] | None = None,
                 async_: bool = True, wait: bool = True, dry_run: bool = False, config: Config | None = None,
                 plugins: "Plugins | None" = None, progress: Progress | None = None,
                 on_wait: Callable[[float], None] | None = None, activity: Activity | None = None,
                 on_stage: OnStage | None = None, **settings: Any) -> Iterator[ReplaceResult]:
    """Replace many files; results come as they finish, and one bad path never stops the rest.

    `settings` are config keys for this run (`jobs`, `timeout`, `record`, `retries`,
    `limit_rate`, ...); left out or None, the config's value holds, as on the command line.
    A ticket is unsaved once its final result has been taken: stop early, and the rest stay
    saved for `finish_saved_tickets` (`flickr-replace tickets`). `on_stage(path, stage)` is told as
    each file reaches `checking` and `metadata` (`progress` tells its bytes)."""
    plugins = plugins or _default_plugins()
    options = run_options(config, plugins, async_=async_, wait=wait, dry_run=dry_run, photo_id=photo_id,
                          metadata=metadata, **settings)
    run = Run(options, plugins, progress=progress, on_wait=on_wait, activity=activity, on_stage=on_stage)
    paths = [str(p) for p in paths]
    return stream_results(run, paths, options.jobs)  # looks at every path first (Run.prepare)


def replace(path: str, photo_id: str | None = None, metadata: Mapping[str, Any] | None = None, *,
            async_: bool = True, wait: bool = True, dry_run: bool = False, **options: Any) -> ReplaceResult:
    """Replace one file's photo on Flickr. Raises only for a wrong configuration."""
    [result] = replace_many([path], photo_id=photo_id, metadata=metadata, async_=async_, wait=wait,
                            dry_run=dry_run, **options)  # to the end: a finished ticket is then unsaved
    return result


def finish_saved_tickets(*, wait: bool = True, config: Config | None = None, plugins: "Plugins | None" = None,
                         timeout: float | None = None, activity: Activity | None = None,
                         on_held: Callable[[ReplaceResult, str], None] | None = None) -> Iterator[ReplaceResult]:
    """Finish the tickets an earlier run left pending (`flickr-replace tickets`).

    Each is claimed first; one still claimed by a run that is alive (a `replace` waiting on it) is
    left to that run, which prints its result: `on_held(result, who)` is told of it (else a log line).
    Raises OSError when the saved tickets can be neither read nor claimed (nothing is finished then)."""
    plugins = plugins or _default_plugins()
    run = Run(run_options(config, plugins, wait=wait, timeout=timeout if wait else 0.0), plugins, activity=activity)
    try:
        claimed, held = run.store.claim_saved()
    except BaseException:
        run.close()
        raise
    for entry in held:
        held_by(result_from_saved(entry), entry["claim"], on_held)
    if not claimed:
        run.close()
        return iter(())
    return stream_results(run, [], 1, resumed=[result_from_saved(e) for e in claimed])


def _default_plugins() -> "Plugins":
    """The process environment's plugins, loaded on first use (pluggy stays out of a bare import)."""
    from .plugins import get_plugins

    return get_plugins()
