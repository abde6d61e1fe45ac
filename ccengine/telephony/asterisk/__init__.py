"""Running a project-private Asterisk: rendering its config and managing its process."""
