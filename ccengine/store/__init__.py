"""ccengine records store (SQLAlchemy 2 asyncio; SQLite by default, PostgreSQL in production).

- ``db``: ``Database`` (engine, sessions, ``migrate()``), ``create_engine_from_url``
- ``customers``: ``CustomerRepository`` (identities, lookup, merge, history)
- ``interactions``: ``InteractionRepository`` (idempotent saves, notes, dispositions, lists)
- ``users``: ``UserRepository`` (scrypt passwords, hashed API tokens, users from the config)
- ``sessions``: ``SessionRepository`` (signed-in web sessions, stored by their cookie's hash)
- ``admin_config``: ``ConfigRepository`` (admin-defined queues and skills)
- ``records``: the plain values going in and out; ``errors``: errors with stable codes
"""
