"""A sipp UAS standing in for a SIP carrier behind a trunk: it answers REGISTER with a digest
challenge (and checks the credentials), and takes INVITEs, writing down the number it was
asked for, the From and P-Asserted-Identity headers. What it does with a call depends on
the number's last digits: ``...0486`` busy, ``...0408`` rings until cancelled (no answer),
``...0433`` answers after 4 s of ringing, anything else answers at once (300 ms) and echoes
the audio until the other side hangs up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.sip.sipp import SippProcess

BUSY_SUFFIX = "0486"
NO_ANSWER_SUFFIX = "0408"
SLOW_ANSWER_SUFFIX = "0433"

RESPONSE_HEAD = """[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]"""

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ccengine carrier">
{first_register}  <recv request="OPTIONS" optional="true" next="options"/>
  <recv request="INVITE" next="invite">
    <action>
      <ereg regexp="^INVITE sip:([^@;>]+)@" search_in="msg" check_it="true"
            assign_to="ruri,ruser"/>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="from"/>
      <ereg regexp=".*" search_in="hdr" header="P-Asserted-Identity:" check_it="false"
            assign_to="pai"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" check_it="true" assign_to="cseq"/>
      <ereg regexp="^INVITE sip:[^@]*{busy}@" search_in="msg" check_it="false"
            assign_to="busy"/>
      <ereg regexp="^INVITE sip:[^@]*{no_answer}@" search_in="msg" check_it="false"
            assign_to="noanswer"/>
      <ereg regexp="^INVITE sip:[^@]*{slow}@" search_in="msg" check_it="false"
            assign_to="slow"/>
      <log message="INVITE|[$ruser]|[$from]|[$pai]|[$ruri]"/>
    </action>
  </recv>

  <label id="invite"/>
  <nop test="busy" next="busy"/>
  <nop test="noanswer" next="noanswer"/>
  <send>
    <![CDATA[
SIP/2.0 180 Ringing
{head}
[last_CSeq:]
Contact: <sip:carrier@[local_ip]:[local_port]>
Content-Length: 0
    ]]>
  </send>
  <nop test="slow" next="slow"/>
  <pause milliseconds="300"/>
  <label id="answer"/>
  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK
{head}
[last_CSeq:]
Contact: <sip:carrier@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=carrier 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
    ]]>
  </send>
  <recv request="ACK" crlf="true">
    <action><log message="ANSWERED|[$ruser]"/></action>
  </recv>
  <recv request="BYE"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <nop next="end"><action><log message="BYE|[$ruser]"/></action></nop>

  <label id="slow"/>
  <pause milliseconds="4000"/>
  <nop next="answer"/>

  <label id="busy"/>
  <send>
    <![CDATA[
SIP/2.0 486 Busy Here
{head}
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" next="end"/>

  <label id="noanswer"/>
  <send>
    <![CDATA[
SIP/2.0 180 Ringing
{head}
[last_CSeq:]
Contact: <sip:carrier@[local_ip]:[local_port]>
Content-Length: 0
    ]]>
  </send>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
{head}
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
SIP/2.0 487 Request Terminated
{head}
CSeq: [$cseq] INVITE
Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" next="end">
    <action><log message="CANCELLED|[$ruser]"/></action>
  </recv>

  <label id="options"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
{head}
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <nop next="end"/>

  <label id="register"/>
  <nop test="authok" next="registered"/>
  <nop test="hasauth" next="forbidden"/>
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
{head}
[last_CSeq:]
WWW-Authenticate: Digest realm="carrier.test", nonce="6363656e67696e65", algorithm=MD5
Content-Length: 0
    ]]>
  </send>
{recv_register}
  <label id="registered"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
{head}
[last_CSeq:]
[last_Contact:];expires=120
Expires: 120
Content-Length: 0
    ]]>
  </send>
  <nop><action><log message="REGISTERED|[$hasauth]"/></action></nop>
{recv_register}
  <label id="forbidden"/>
  <send>
    <![CDATA[
SIP/2.0 403 Forbidden
{head}
[last_CSeq:]
Content-Length: 0
    ]]>
  </send>
  <nop next="end"><action><log message="FORBIDDEN|[$hasauth]"/></action></nop>

  <label id="end"/>
</scenario>
"""


# a REGISTER, its credentials checked: on to "register" to answer it
RECV_REGISTER = """  <recv request="REGISTER"{optional} next="register">
    <action>
      <verifyauth assign_to="authok" username="{user}" password="{password}"/>
      <ereg regexp="Digest" search_in="hdr" header="Authorization:" check_it="false"
            assign_to="hasauth"/>
    </action>
  </recv>
"""


@dataclass(frozen=True)
class Invite:
    """One INVITE the carrier received: the number asked for and the caller's identity."""

    number: str
    from_header: str
    pai: str


class Carrier(SippProcess):
    """One sipp process acting as the carrier on 127.0.0.1:``port``."""

    def __init__(self, workdir: Path, *, port: int, media_port: int, control_port: int,
                 user: str = "acme", password: str = "carrier-secret") -> None:
        directory = workdir / f"carrier-{port}"
        directory.mkdir(parents=True, exist_ok=True)
        self.port, self.user, self.password = port, user, password
        self.scenario = directory / "carrier.xml"
        self.scenario.write_text(SCENARIO.format(
            head=RESPONSE_HEAD, busy=BUSY_SUFFIX, no_answer=NO_ANSWER_SUFFIX,
            slow=SLOW_ANSWER_SUFFIX,
            first_register=RECV_REGISTER.format(user=user, password=password,
                                                optional=' optional="true"'),
            recv_register=RECV_REGISTER.format(user=user, password=password, optional="")))
        self.log = directory / "carrier.log"
        super().__init__(directory, [
            "sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", str(port), "-mp", str(media_port), "-cp", str(control_port),
            "-rtp_echo", "-nostdin", "-trace_logs", "-log_file", str(self.log),
            "-trace_err", "-error_file", str(directory / "errors.log"),
        ])

    def lines(self, kind: str) -> list[list[str]]:
        """The fields of every logged line of ``kind`` (INVITE, REGISTERED, ANSWERED...)."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            fields = line.strip().split("|")
            if fields and fields[0] == kind:
                out.append(fields[1:])
        return out

    def invites(self) -> list[Invite]:
        return [Invite(*(f + ["", "", ""])[:3]) for f in self.lines("INVITE")]

    def registered(self) -> bool:
        return bool(self.lines("REGISTERED"))

    def errors(self) -> str:
        path = self.dir / "errors.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
