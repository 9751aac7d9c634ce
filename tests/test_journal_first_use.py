"""A state folder's first run: the journal is created while the run's workers already use it."""
from __future__ import annotations

import threading

from flickr_replace_plugin.safety.account import AccountMemory
from flickr_replace_plugin.safety.journal import Journal


def test_a_new_journal_opened_at_once_by_the_run_its_ticket_store_and_the_account_memory(tmp_path):
    """Before, about one first run in two with an upload failed `journal_failed` ("database is
    locked"): the account memory on a worker held the new file while the run switched it to WAL."""
    for round_ in range(40):
        state = tmp_path / f"state-{round_}"
        failures: list[BaseException] = []

        def guarded(step):
            def run():
                try:
                    step()
                except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                    failures.append(exc)
            return threading.Thread(target=run)

        steps = [lambda: AccountMemory(Journal(state), "https://api.example/", "token").remember(nsid="1@N01"),
                 lambda: Journal(state).begin(path=str(tmp_path / "a.jpg"), photo_id=None, command="upload"),
                 lambda: Journal(state).entries([], 5),
                 lambda: Journal(state).begin(path=str(tmp_path / "b.jpg"), photo_id="5", command="replace")]
        threads = [guarded(step) for step in steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [], f"round {round_}: {failures[0]}"
        assert len(Journal(state).entries()) == 2
        assert AccountMemory(Journal(state), "https://api.example/", "token").nsid() == "1@N01"
