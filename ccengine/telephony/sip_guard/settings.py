"""The ``sip_security:`` config section::

    sip_security:
      enabled: true            # block addresses after failed SIP authentications
      max_failures: 5          # this many failures from one address within window_seconds
      window_seconds: 60       #   block it
      block_seconds: 600       # for this long
      never_block: ["127.0.0.1"]   # addresses or networks (CIDR) never blocked

Keys left out take these defaults; every problem raises ConfigError naming the file (and
line when the section comes from a config file), the key and what is wrong.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ccengine.config import ConfigSection

SECTION = "sip_security"
KEYS = frozenset({"enabled", "max_failures", "window_seconds", "block_seconds",
                  "never_block"})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SipSecurity:
    """How the SIP edge blocks addresses that fail to authenticate."""

    enabled: bool = True
    max_failures: int = 5
    window_seconds: int = 60
    block_seconds: int = 600
    never_block: tuple[Network, ...] = field(
        default_factory=lambda: (ipaddress.ip_network("127.0.0.1/32"),))

    def never_blocked(self, address: str) -> bool:
        """True if ``address`` lies in one of the ``never_block`` addresses or networks."""
        ip = ipaddress.ip_address(address)
        return any(ip.version == net.version and ip in net for net in self.never_block)


def parse_sip_security(doc: Any, source: str) -> SipSecurity:
    """The ``sip_security:`` section (None: the defaults), validated."""
    s = ConfigSection({} if doc is None else doc, source, SECTION, KEYS)
    default = SipSecurity()
    raw = s.data.get("never_block", [str(n) for n in default.never_block])
    if not isinstance(raw, list):
        raise s.error("never_block", "must be a list of IP addresses or networks "
                                     "(e.g. [\"127.0.0.1\", \"10.0.0.0/8\"])")
    networks = []
    for i, item in enumerate(raw):
        try:
            if not isinstance(item, str):
                raise ValueError(item)
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise s.error(f"never_block[{i}]", f"{item!r} is not an IP address or network "
                                               "(e.g. 10.0.0.0/8)") from None
    return SipSecurity(
        enabled=s.flag("enabled", default.enabled),
        max_failures=s.integer("max_failures", default.max_failures, minimum=1,
                               maximum=1000),
        window_seconds=s.integer("window_seconds", default.window_seconds, minimum=1,
                                 maximum=24 * 3600),
        block_seconds=s.integer("block_seconds", default.block_seconds, minimum=1,
                                maximum=30 * 24 * 3600),
        never_block=tuple(networks))
