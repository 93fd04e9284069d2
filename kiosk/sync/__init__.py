"""Sync with the central platform: push the outbox, pull events made centrally.

One module per concern, each imported by its full name:

- ``client``: the HTTP side: CentralClient, SyncError, backoff, Retry-After.
- ``engine``: SyncEngine: push streams and batches, the file lock, the pull.
- ``apply``: pulled events merged into the station's log, the cursor moved.
- ``state``: the keys the engine records under, and the status the kiosk's
  header shows, read from the database alone.
- ``process``: the resident kiosk's background passes, in a helper process.

Nothing is imported here: the resident kiosk reads ``state`` and drives
``process`` without loading requests (tests/test_lean_process.py).
"""
