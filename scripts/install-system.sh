#!/usr/bin/env bash
# Install the system packages ccengine needs on Debian 12, as root. Idempotent and quick
# when everything is already there.
#
#   scripts/install-system.sh            Asterisk 16 (from bullseye, pinned), sipp, baresip,
#                                        Node.js and npm (the agent desk's browser libraries)
#   scripts/install-system.sh --test     the above plus what tests need (PostgreSQL, Redis,
#                                        chromium for the browser tests, dovecot: the email
#                                        tests' private IMAP server, sipvicious: the SIP
#                                        edge's attack tests run its svwar and svcrack)
#
# Asterisk is not in Debian 12. Debian 11 ("bullseye") carries Asterisk 16.28; we add a
# bullseye source from Debian's own archive and pin it so that only asterisk* and the two
# libraries Debian 12 lacks (libssl1.1, libldap-2.4-2) can come from it.
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf '[install-system] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "install-system.sh must run as root (it uses apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# French prompts (sounds/fr) for IVR flows that offer a language choice (ivr/self_service.yaml);
# asterisk-core-sounds-fr makes the sounds/fr link, -fr-gsm carries the files
pkgs=(asterisk asterisk-core-sounds-en-gsm asterisk-core-sounds-fr asterisk-core-sounds-fr-gsm
      asterisk-moh-opsound-gsm sip-tester baresip-core)
# a python3 that can make a venv (Debian 12's python3 needs python3-venv for that)
python3 -c 'import ensurepip, venv' 2>/dev/null || pkgs+=(python3 python3-venv)
[ $want_test = 1 ] && pkgs+=(postgresql redis-server chromium dovecot-imapd sipvicious)
# Node.js and npm install and bundle the desk's browser libraries (scripts/setup-desk.sh) and
# drive chromium through playwright-core in the browser tests; any Node >= 18
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do have_pkg "$p" || missing+=("$p"); done
if [ ${#missing[@]} = 0 ]; then
  log "system packages present"
else
  src=/etc/apt/sources.list.d/ccengine-bullseye.list
  if [ ! -f "$src" ]; then
    # bullseye lives on the main mirror while it is supported, on archive.debian.org after.
    echo "deb http://deb.debian.org/debian bullseye main" > "$src"
    cat > /etc/apt/preferences.d/ccengine-bullseye <<'PIN'
# ccengine: only Asterisk and the libraries it needs that Debian 12 lacks come from bullseye.
Package: *
Pin: release n=bullseye
Pin-Priority: -1

Package: asterisk* libssl1.1 libldap-2.4-2
Pin: release n=bullseye
Pin-Priority: 500
PIN
  fi
  log "apt-get update"
  if ! apt-get -q update >/tmp/ccengine-apt-update.log 2>&1 || grep -q "bullseye.*404\|bullseye.*does not have a Release" /tmp/ccengine-apt-update.log; then
    log "bullseye not on the main mirror; using archive.debian.org"
    echo "deb http://archive.debian.org/debian bullseye main" > "$src"
    apt-get -q update
  fi
  log "installing: ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The Debian packages start a system-wide Asterisk (and dovecot); ccengine runs its own
  # private ones.
  for service in asterisk dovecot; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet $service 2>/dev/null; then
      systemctl stop $service || true
      systemctl disable $service || true
    fi
  done
fi

if [ $want_test = 1 ]; then
  # Start PostgreSQL and Redis if they are not answering (no systemd in containers).
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
  # Tests use database "test" as user postgres over 127.0.0.1 without a password.
  if ! su postgres -c "psql -tAc \"select 1 from pg_database where datname='test'\"" 2>/dev/null | grep -q 1; then
    su postgres -c "createdb test"
  fi
  if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
    hba=$(su postgres -c "psql -tAc 'show hba_file'")
    log "allowing trust for user postgres from 127.0.0.1 (tests make throwaway databases) in $hba"
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
  fi
fi
log "done"
