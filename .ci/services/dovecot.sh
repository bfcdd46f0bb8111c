#!/usr/bin/env bash
# Installs Debian's Dovecot IMAP server and runs a private instance of it as
# a test IMAP server for kizuki-mailbox: one user from a password file, its
# mail in a Maildir under /var/mail/kizuki-imap/<user>.
#
#   127.0.0.1:10143  IMAP, plain or STARTTLS; plaintext login allowed
#   127.0.0.1:10993  IMAP over implicit TLS
#
# The certificate comes from a private CA made here; the tests trust the CA
# file printed below. This instance has its own configuration directory
# (/etc/kizuki-imap), base_dir, instance name, log and ports, so it runs
# beside the SASL-only Dovecot that postfix.sh starts (/etc/kizuki-dovecot)
# and beside a system-wide Dovecot, if any.
#
# Written for Dovecot 2.3 (Debian 12). Re-running it restarts the instance
# with the same configuration, users and certificates. Prints the
# environment the tests read on stdout, everything else on stderr.
set -euo pipefail

conf_dir=/etc/kizuki-imap
base_dir=/run/kizuki-imap
mail_root=/var/mail/kizuki-imap
log=/var/log/kizuki-imap.log
mail_user=kizuki-imap
imap_user=kizuki
imap_password=kizuki-imap-password
plain_port=10143
tls_port=10993

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    }
}

if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/imap ] || [ ! -x /usr/lib/dovecot/imap-login ]; then
    echo "installing dovecot-core and dovecot-imapd" >&2
    apt_install dovecot-core dovecot-imapd
fi
command -v openssl >/dev/null || apt_install openssl

# The system user that owns the mail. Dovecot refuses mail access for UIDs
# below first_valid_uid (500 by default), so the configuration names this
# user's UID as the first valid one.
id "$mail_user" >/dev/null 2>&1 ||
    useradd --system --home-dir "$mail_root" --shell /usr/sbin/nologin "$mail_user"
uid=$(id -u "$mail_user")
gid=$(id -g "$mail_user")
mkdir -p "$mail_root"
chown "$mail_user:$mail_user" "$mail_root"
chmod 750 "$mail_root"

mkdir -p "$conf_dir"
echo "$imap_user:{PLAIN}$imap_password" > "$conf_dir/users"
chown root:dovecot "$conf_dir/users"
chmod 640 "$conf_dir/users"

# TLS: a private CA and a server certificate for localhost and 127.0.0.1.
tls=$conf_dir/tls
if [ ! -f "$tls/server.pem" ] || [ ! -f "$tls/ca.pem" ]; then
    echo "making a private CA and a server certificate in $tls" >&2
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kizuki IMAP test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$tls/ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
    chmod 600 "$tls/server.key" "$tls/ca.key"
    chmod 644 "$tls/ca.pem" "$tls/server.pem"
fi
dh_line=""
[ -f /usr/share/dovecot/dh.pem ] && dh_line="ssl_dh = </usr/share/dovecot/dh.pem"

cat > "$conf_dir/dovecot.conf" <<CONF
# Written by kizuki's .ci/services/dovecot.sh; re-running it rewrites this.
protocols = imap
listen = 127.0.0.1
base_dir = $base_dir
instance_name = kizuki-imap
log_path = $log
info_log_path = $log

ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
$dh_line
# Plaintext LOGIN is allowed on the plain port too (it only listens on
# 127.0.0.1), so the tests can use it without and with STARTTLS.
disable_plaintext_auth = no
auth_mechanisms = plain login

mail_location = maildir:$mail_root/%u
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $conf_dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$mail_root/%u
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $plain_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
# Tests connect in parallel, one connection per operation.
protocol imap {
  mail_max_userip_connections = 200
}
CONF

conf_check=$(doveconf -c "$conf_dir/dovecot.conf" -n 2>&1 >/dev/null) || {
    echo "dovecot configuration $conf_dir/dovecot.conf is not valid:" >&2
    echo "$conf_check" >&2
    exit 1
}

running() {
    [ -f "$base_dir/master.pid" ] && kill -0 "$(cat "$base_dir/master.pid")" 2>/dev/null
}

if running; then
    echo "restarting the kizuki-imap dovecot instance" >&2
    dovecot -c "$conf_dir/dovecot.conf" stop </dev/null >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do
        running || break
        sleep 0.2
    done
fi
# Its own stdio, or whoever reads this script's output waits for ever.
dovecot -c "$conf_dir/dovecot.conf" </dev/null >/dev/null 2>&1

# Wait for both listeners.
for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$plain_port") 2>/dev/null &&
        (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
        # Mailboxes that failed tests left behind (tests delete theirs
        # when they pass). doveadm asks the running server's auth process.
        { doveadm -c "$conf_dir/dovecot.conf" mailbox list -u "$imap_user" 'kizuki-test-*' </dev/null || true; } |
            while IFS= read -r mailbox; do
                doveadm -c "$conf_dir/dovecot.conf" mailbox delete -u "$imap_user" "$mailbox" </dev/null >&2 || true
            done
        echo "KIZUKI_TEST_IMAP=127.0.0.1:$plain_port"
        echo "KIZUKI_TEST_IMAPS=127.0.0.1:$tls_port"
        echo "KIZUKI_TEST_IMAP_CA=$tls/ca.pem"
        echo "KIZUKI_TEST_IMAP_USER=$imap_user"
        echo "KIZUKI_TEST_IMAP_PASSWORD=$imap_password"
        exit 0
    fi
    sleep 0.2
done
echo "dovecot did not start listening on 127.0.0.1:$plain_port and :$tls_port" >&2
tail -20 "$log" >&2 || true
exit 1
