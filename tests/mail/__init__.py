"""Mail servers for tests: a private dovecot IMAP server and an SMTP sink."""
