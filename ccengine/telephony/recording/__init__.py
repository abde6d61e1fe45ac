"""Call recording and voicemail.

- ``settings``: the ``recording:`` config section (directory, format, per-queue policy
  always|never|on_demand, voicemail limits), validated with ConfigError naming the key.
- ``files``: moving finished recordings out of Asterisk's spool into the recordings
  directory, their duration, and resolving stored paths safely.
- ``service``: one recording's life over ARI (start, pause, resume, stop, its file
  indexed when it finishes).
- ``calls``: the per-queue policy on bridged calls and the agent's pause/resume/start.
- ``voicemail``: the IVR/queue action ``voicemail``.
The API is in ``ccengine/api/recordings.py``, the index in ``ccengine/store/recordings.py``.
"""
