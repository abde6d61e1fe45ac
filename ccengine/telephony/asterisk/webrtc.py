"""WebRTC phones: the desk's softphone registers over a SIP websocket (relayed by the engine,
``ccengine/api/phone.py``) and sends DTLS-SRTP media with ICE straight to Asterisk.

This module reads the ``webrtc:`` config section, makes the DTLS certificate on first start
(a self-signed one: browsers check its fingerprint from the SDP, not a CA) and works out
which ICE host candidates Asterisk may offer. On loopback (``asterisk.bind`` 127.x, the
embedded default) pjproject lists no loopback interface, so every address of the machine is
advertised as 127.0.0.1, every other candidate is denied, and the desk keeps only its own
127.0.0.1 candidates.
"""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccengine.config import ConfigSection, EngineConfig

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
_ICE_URL = re.compile(r"^(stun|stuns|turn|turns):[^\s]+$")
_HOST_PORT = re.compile(r"^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$")


@dataclass(frozen=True)
class WebrtcSettings:
    """What the ``webrtc:`` section says, plus what follows from ``asterisk.bind``."""

    ice_servers: tuple[Mapping[str, Any], ...] = ()  # handed to browsers (STUN/TURN)
    stun_server: str | None = None     # Asterisk learns its public address (stunaddr)
    host_candidates: Mapping[str, str] = field(default_factory=dict)  # local -> advertised
    loopback: bool = True              # Asterisk's media on loopback: 127.0.0.1 candidates
    rejoin_seconds: float = 10.0       # a caller waits this long for their agent's page


def parse_webrtc(config: EngineConfig) -> WebrtcSettings:
    """The ``webrtc:`` section, validated (errors name the file and key)."""
    section = ConfigSection(config.raw.get("webrtc") or {}, config.source, "webrtc",
                            {"ice_servers", "stun_server", "host_candidates",
                             "rejoin_seconds"})
    servers = []
    raw_servers = section.data.get("ice_servers", [])
    if not isinstance(raw_servers, list):
        raise section.error("ice_servers", "must be a list of STUN/TURN URLs or "
                                           "{urls, username, credential} mappings")
    for i, item in enumerate(raw_servers):
        entry = item if isinstance(item, Mapping) else {"urls": item}
        key = f"ice_servers[{i}]"
        if set(entry) - {"urls", "username", "credential"}:
            raise section.error(key, "allowed keys: urls, username, credential")
        urls = entry.get("urls")
        if not isinstance(urls, str) or not _ICE_URL.match(urls):
            raise section.error(key, f"{urls!r} is not a stun:, stuns:, turn: or turns: URL")
        for secret in ("username", "credential"):
            if secret in entry and not isinstance(entry[secret], str):
                raise section.error(f"{key}.{secret}", "must be text")
        servers.append(dict(entry))
    stun = section.text("stun_server", pattern=_HOST_PORT, what="an IP address with an "
                        "optional :port (no host names: Asterisk would query DNS)")
    candidates = section.data.get("host_candidates", {})
    if not isinstance(candidates, Mapping):
        raise section.error("host_candidates", "must map a local IP address to the one "
                                               "Asterisk advertises instead")
    for local, advertised in candidates.items():
        for value in (local, advertised):
            try:
                ipaddress.IPv4Address(str(value))
            except ValueError:
                raise section.error(f"host_candidates.{local}",
                                    f"{value!r} is not an IPv4 address") from None
    loopback = ipaddress.ip_address(config.asterisk.bind).is_loopback
    if loopback and not candidates:
        candidates = {ip: "127.0.0.1" for ip in machine_addresses()}
    rejoin = section.number("rejoin_seconds", 10.0, minimum=0.0, maximum=120.0,
                            unit="seconds")
    return WebrtcSettings(tuple(servers), stun, {str(k): str(v) for k, v in
                                                 candidates.items()}, loopback, rejoin)


def machine_addresses() -> list[str]:
    """The IPv4 addresses of the machine's interfaces, loopback left out."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name[:15].encode()))
            except OSError:
                continue  # no IPv4 address on this interface
            address = socket.inet_ntoa(packed[20:24])
            if not ipaddress.IPv4Address(address).is_loopback and address not in found:
                found.append(address)
    return found


def ensure_dtls_certificate(keys_dir: Path) -> tuple[Path, Path]:
    """The DTLS certificate and key Asterisk offers WebRTC phones, made on first use:
    a self-signed ECDSA P-256 certificate (browsers pin its fingerprint from the SDP)."""
    cert, key = keys_dir / "dtls-cert.pem", keys_dir / "dtls-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    keys_dir.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ccengine DTLS")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650))
                   .sign(private, hashes.SHA256()))
    _write_private(key, private.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    _write_private(cert, certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
