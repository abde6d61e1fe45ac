"""The SIP edge's guard: addresses that fail to authenticate too often are blocked in
Asterisk itself (a PJSIP ACL), for a while, then let in again (docs/telephony.md "The SIP edge").

- ``settings.py``: the ``sip_security:`` config section.
- ``blocks.py``: what counts as a failure, the count per address and the blocks (pure).
- ``store.py``: the blocks on disk (they outlive a restart) and the ACL file Asterisk reads.
- ``guard.py``: the running guard: Asterisk's security events over AMI, blocks applied
  (acl.conf rewritten and reloaded), lifted when they expire or an admin lifts them.
"""
