"""Email channel against real mail servers: a private dovecot and an SMTP sink."""
