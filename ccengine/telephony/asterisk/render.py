"""Render asterisk-config/*.j2 and dialplan/*.j2 into the runtime directory."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ccengine.config import EngineConfig
from ccengine.telephony.asterisk.secrets import Secrets, load_or_create
from ccengine.telephony.asterisk.webrtc import ensure_dtls_certificate, parse_webrtc
from ccengine.telephony.outbound.settings import template_trunks
from ccengine.telephony.sip_guard.blocks import Block, iso
from ccengine.telephony.sip_guard.settings import parse_sip_security
from ccengine.telephony.sip_guard.store import blocks_file, load_blocks

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = (REPO_ROOT / "asterisk-config", REPO_ROOT / "dialplan")

MODULES = (
    # sorcery, PJSIP and its pieces (no chan_sip)
    "res_sorcery_config.so", "res_sorcery_memory.so", "res_sorcery_astdb.so",
    "res_pjproject.so", "res_pjsip.so", "res_pjsip_session.so", "chan_pjsip.so",
    "res_pjsip_authenticator_digest.so", "res_pjsip_outbound_authenticator_digest.so",
    "res_pjsip_endpoint_identifier_user.so", "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_endpoint_identifier_anonymous.so", "res_pjsip_registrar.so",
    "res_pjsip_sdp_rtp.so", "res_pjsip_dtmf_info.so", "res_pjsip_caller_id.so",
    "res_pjsip_nat.so", "res_pjsip_outbound_registration.so", "res_pjsip_pubsub.so",
    "res_pjsip_rfc3326.so", "res_pjsip_header_funcs.so", "res_pjsip_acl.so",
    # media
    "res_rtp_asterisk.so", "res_timing_timerfd.so", "codec_ulaw.so", "codec_alaw.so",
    "codec_gsm.so", "codec_resample.so", "format_gsm.so", "format_wav.so", "format_pcm.so",
    "format_wav_gsm.so", "format_sln.so", "res_musiconhold.so",
    # bridges
    "bridge_simple.so", "bridge_softmix.so", "bridge_native_rtp.so", "bridge_holding.so",
    "chan_bridge_media.so",
    # ARI / Stasis
    "res_http_websocket.so", "res_stasis.so", "app_stasis.so", "res_stasis_answer.so",
    "res_stasis_playback.so", "res_stasis_recording.so", "res_stasis_snoop.so",
    "res_stasis_device_state.so", "res_ari.so", "res_ari_model.so",
    "res_ari_applications.so", "res_ari_asterisk.so", "res_ari_bridges.so",
    "res_ari_channels.so", "res_ari_device_states.so", "res_ari_endpoints.so",
    "res_ari_events.so", "res_ari_playbacks.so", "res_ari_recordings.so",
    "res_ari_sounds.so",
    # security events into the security log (logger.conf)
    "res_security_log.so",
    # dialplan and functions
    "pbx_config.so", "func_channel.so", "func_callerid.so", "func_strings.so",
    "func_logic.so", "func_global.so", "func_rand.so",
)
# loaded when a WebRTC phone is configured: SIP over websocket (on Asterisk's HTTP server)
# and DTLS-SRTP media
WEBRTC_MODULES = ("res_pjsip_transport_websocket.so", "res_srtp.so")


@dataclass(frozen=True)
class Rendered:
    etc_dir: Path
    var_dir: Path
    secrets: Secrets

    @property
    def asterisk_conf(self) -> Path:
        return self.etc_dir / "asterisk.conf"


def phone_of(user: Mapping[str, Any]) -> str:
    """The phone a configured agent or supervisor takes calls on (validated elsewhere)."""
    return str(user.get("phone", "webrtc"))


def _phone_entries(users: Iterable[Mapping[str, Any]], secrets: Secrets
                   ) -> list[dict[str, str]]:
    return [{"id": str(u["id"]), "name": str(u.get("name", u["id"])),
             "sip_password": secrets.sip_passwords[str(u["id"])], "phone": phone_of(u)}
            for u in users]


def agent_entries(config: EngineConfig, secrets: Secrets) -> list[dict[str, str]]:
    return _phone_entries(config.agents, secrets)


def supervisor_entries(config: EngineConfig, secrets: Secrets) -> list[dict[str, str]]:
    return _phone_entries(config.supervisors, secrets)


def uses_webrtc(config: EngineConfig) -> bool:
    return any(phone_of(u) == "webrtc" for u in (*config.agents, *config.supervisors))


def user_ids(config: EngineConfig) -> list[str]:
    return [*(str(u["id"]) for u in (*config.agents, *config.supervisors)), "admin"]


def load_secrets(config: EngineConfig) -> Secrets:
    configured = {str(u["id"]): {k: str(u[k]) for k in ("sip_password", "api_token") if k in u}
                  for u in (*config.agents, *config.supervisors)}
    return load_or_create(config.runtime_dir / "secrets.json", user_ids(config), configured)


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made once (it keeps the templates it compiled: the SIP
    guard renders acl.conf again on every block, and must be quick)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)


def acl_entries(blocks: Iterable[Block]) -> list[dict[str, str]]:
    """The blocked addresses as acl.conf.j2 lists them."""
    return [{"network": b.network, "until": iso(b.until), "reason": b.reason}
            for b in blocks]


def write_acl(etc_dir: Path, blocks: Iterable[Block]) -> None:
    """Rewrite acl.conf with ``blocks`` (atomically: Asterisk may read it at any time)."""
    text = _environment().get_template("acl.conf.j2").render(
        {"sip_blocks": acl_entries(blocks)})
    target = etc_dir / "acl.conf"
    tmp = etc_dir / ".acl.conf.tmp"
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(target)


def current_blocks(config: EngineConfig, now: float) -> list[Block]:
    """The SIP blocks saved by the guard that are still on (none when it is off)."""
    if not parse_sip_security(config.raw.get("sip_security"), config.source).enabled:
        return []
    return [b for b in load_blocks(blocks_file(config.runtime_dir)) if b.until > now]


def render(config: EngineConfig) -> Rendered:
    """Write the Asterisk config for ``config`` under ``runtime_dir/asterisk`` (with the
    SIP blocks in force now)."""
    texts, rendered = render_texts(config)
    for name, text in texts.items():
        _write(rendered.etc_dir / name, text)
    return rendered


def render_changes(config: EngineConfig) -> tuple[list[str], Rendered]:
    """Render again for ``config`` and write only the files whose text changed (every
    template is rendered before any file is written: a template error changes nothing);
    the names of the files written."""
    texts, rendered = render_texts(config)
    changed = []
    for name, text in texts.items():
        target = rendered.etc_dir / name
        try:
            same = target.read_text() == text
        except OSError:
            same = False
        if not same:
            changed.append(name)
    for name in changed:
        _write(rendered.etc_dir / name, texts[name])
    return sorted(changed), rendered


def _write(target: Path, text: str) -> None:
    target.write_text(text)
    target.chmod(0o600)


def render_texts(config: EngineConfig) -> tuple[dict[str, str], Rendered]:
    """Every rendered file's text by name, and where they go (nothing written but the
    secrets, the DTLS certificate and the private folders)."""
    secrets = load_secrets(config)
    base = config.runtime_dir / "asterisk"
    etc_dir, var_dir = base / "etc", base / "var"
    for sub in ("lib", "spool", "run", "log", "agi-bin"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    etc_dir.mkdir(parents=True, exist_ok=True)
    env = _environment()
    webrtc: dict[str, Any] = {"enabled": uses_webrtc(config)}
    modules = MODULES
    if webrtc["enabled"]:
        cert, key = ensure_dtls_certificate(config.runtime_dir / "keys")
        settings = parse_webrtc(config)
        webrtc.update(cert_file=cert, key_file=key, stun_server=settings.stun_server,
                      host_candidates=settings.host_candidates, loopback=settings.loopback)
        modules = (*MODULES, *WEBRTC_MODULES)
    context = {
        "asterisk": config.asterisk,
        "etc_dir": etc_dir,
        "var_dir": var_dir,
        "data_dir": Path(config.asterisk.sounds_dir).parent,
        "secrets": secrets,
        "agents": agent_entries(config, secrets),
        "supervisors": supervisor_entries(config, secrets),
        "service_numbers": config.service_numbers,
        "modules": modules,
        "webrtc": webrtc,
        "trunks": template_trunks(config),
        "sip_blocks": acl_entries(current_blocks(config, time.time())),
        "custom": custom_files(config),
    }
    texts = {name.removesuffix(".j2"): env.get_template(name).render(context)
             for name in env.list_templates(extensions=["j2"])}
    return texts, Rendered(etc_dir=etc_dir, var_dir=var_dir, secrets=secrets)


# the admin's own additions in asterisk.custom_dir, included as they are (never written)
CUSTOM_FILES = {"pjsip": "pjsip_custom.conf", "extensions": "extensions_custom.conf"}
# contexts of extensions_custom.conf that the engine's contexts include when defined
CUSTOM_CONTEXTS = {"public": "ccengine-public-custom", "agents": "ccengine-agents-custom"}


def custom_files(config: EngineConfig) -> dict[str, Any]:
    """The admin's files in ``asterisk.custom_dir`` that exist (with a digest of each, so
    that a change to them is a change to the rendered config), and which of the custom
    contexts extensions_custom.conf defines."""
    folder = config.asterisk.custom_dir
    found: dict[str, Any] = {"dir": folder, **dict.fromkeys(CUSTOM_FILES),
                             **{f"{key}_context": False for key in CUSTOM_CONTEXTS}}
    if folder is None:
        return found
    for key, name in CUSTOM_FILES.items():
        path = Path(folder) / name
        if path.is_file():
            found[key] = {"path": str(path),
                          "digest": hashlib.sha256(path.read_bytes()).hexdigest()[:16]}
    extensions = found.get("extensions")
    text = Path(extensions["path"]).read_text(errors="replace") if extensions else ""
    for key, context in CUSTOM_CONTEXTS.items():
        found[f"{key}_context"] = f"[{context}]" in text
    return found
