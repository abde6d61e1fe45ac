"""The email channel: mail from IMAP mailboxes or a loopback SMTP listener becomes email
interactions in the same queues as every other medium; agents read the thread and reply
through the API, and replies go out through an SMTP relay.

- ``config``: the ``email:`` config section, validated (ConfigError names the key)
- ``parse``: raw bytes -> ParsedEmail (stdlib ``email``, policy.default), thread ids
- ``compose``: replies and automatic acknowledgements (sandboxed jinja2) as EmailMessage
- ``ingest``: store first, then queue: threading, customers, interactions, resume
- ``imap``: one mailbox poller (IDLE or polling, reconnect with backoff)
- ``smtp_in``: the SMTP listener (aiosmtpd on the engine's loop)
- ``outbox``: the sender of stored outbound mail (aiosmtplib, retried with backoff)
- ``service``: the channel adapter and the whole channel's lifecycle
- ``api``: GET /api/interactions/{id}/messages, POST /api/interactions/{id}/reply
"""
