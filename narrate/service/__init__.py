"""``narrate serve``: the newsroom service — an HTTP API over the same library the command
line calls, with durable jobs, webhooks and API keys.

- ``config.py``   ServiceConfig: flags < TOML file < built-in defaults, validated once.
- ``store.py``    the only module that opens the database (SQLite, WAL): articles and their
                  jobs, keys, webhook deliveries.
- ``keys.py``     API tokens (stored hashed), webhook signatures, signed URLs.
- ``documents.py`` a request body → Document + Settings, through narrate.ingest/config.
- ``worker.py``   job threads sharing one engine pool (narrate.pipeline.narrate_document).
- ``webhooks.py`` the delivery loop: POST, retries with backoff and jitter, a log.
- ``app.py``, ``routes.py``, ``files.py``, ``errors.py``: the web layer (FastAPI's home).
- ``server.py``   starts it all under uvicorn and stops it gracefully.

Nothing here is imported by ``narrate --help``: the CLI imports it only for ``narrate serve``.
"""
