"""A sipp user agent standing in for an agent's phone that declines every call: it
registers with digest auth, answers OPTIONS (qualify) with 200, and answers each INVITE
with 180 Ringing then a final status (603 Decline by default)."""

from __future__ import annotations

from pathlib import Path

from tests.sip.sipp import SippProcess

_REGISTER = """REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{user}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <{contact}>
{auth}Expires: {expires}
Max-Forwards: 70
Content-Length: 0
"""


def register_scenario(user: str, auth: str, contact: str, expires: int, tail: str = ""
                      ) -> str:
    """A sipp scenario registering ``user`` with digest auth: REGISTER, the 401 challenge,
    REGISTER with ``auth`` (sipp's ``[authentication ...]`` keyword, or a CSV field
    holding one), 200 OK; then ``tail``. ``user`` and ``auth`` may be sipp fields."""
    def register(cseq: int, auth_line: str) -> str:
        return ('  <send retrans="500">\n    <![CDATA[\n'
                + _REGISTER.format(user=user, cseq=cseq, contact=contact, auth=auth_line,
                                   expires=expires)
                + "    ]]>\n  </send>\n")
    return ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
            '<scenario name="ccengine agent registers">\n'
            + register(1, "") + '  <recv response="401" auth="true"/>\n'
            + register(2, f"{auth}\n") + '  <recv response="200"/>\n' + tail
            + "</scenario>\n")


# every request outside the registration (an INVITE from the engine) runs this
DECLINE = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ccengine agent declines">
  <recv request="INVITE"/>
  <send>
    <![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port]>
Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="500"/>
  <send>
    <![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""


class SippAgentPhone(SippProcess):
    """One sipp process registered as ``user`` that answers INVITEs with ``status``."""

    def __init__(self, workdir: Path, user: str, password: str, registrar_port: int,
                 sip_port: int, media_port: int, control_port: int,
                 status: str = "603 Decline") -> None:
        directory = workdir / f"sipp-agent-{user}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "register.xml").write_text(register_scenario(
            user, f"[authentication username={user} password={password}]",
            f"sip:{user}@[local_ip]:[local_port]", 300,
            tail='  <pause milliseconds="600000"/>\n'))
        (directory / "decline.xml").write_text(DECLINE.format(status=status))
        super().__init__(directory, [
            "sipp", f"127.0.0.1:{registrar_port}", "-sf", str(directory / "register.xml"),
            "-oocsf", str(directory / "decline.xml"), "-aa",
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", str(sip_port),
            "-mp", str(media_port), "-cp", str(control_port),
            "-m", "1", "-l", "1", "-nostdin",
            "-trace_msg", "-message_file", str(directory / "messages.log"),
            "-trace_err", "-error_file", str(directory / "errors.log"),
        ])

    def messages(self) -> str:
        path = self.dir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""
