"""Trunks, outbound calls and callbacks.

- ``settings``: the ``trunks:``, ``outbound:`` and ``callbacks:`` config sections, validated
- ``numbers``: the dialling policy (which destinations are allowed, how the carrier wants
  numbers written)
- ``legs``: ringing one leg (an agent's phone, a number through the trunk) over ARI
- ``calls``: agents' own outbound calls (API and softphone) and the transfers' dialler
- ``callbacks``: the callback channel adapter (ring the agent, then the customer; retries)
- ``requests``: creating, listing and cancelling callback requests (SQL is the truth)
- ``scheduler``: callback requests enter their queue at their time
- ``ivr_callback``: the IVR action ``callback`` (the caller keeps their place)
- ``registrations``: trunk registration status over AMI
- ``part``: wiring into the engine
"""
