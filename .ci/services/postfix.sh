#!/usr/bin/env bash
# Installs Debian's postfix and runs it on 127.0.0.1:25 as a test MTA that
# accepts mail for any address in any domain and delivers it all to one
# Maildir, $KIZUKI_TEST_MAILDIR (new/ holds the delivered messages, each with
# Delivered-To and X-Original-To added). Nothing is relayed off the machine.
# Prints the environment the tests read.
#
# It insists on RFC 821 envelope syntax, and refuses bare LF where this
# postfix version checks for it.
#
# This rewrites /etc/postfix/main.cf: run it on a CI or throwaway machine.
set -euo pipefail

maildir=/var/mail/kizuki
if ! command -v postfix >/dev/null; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
    }
fi
id vmail >/dev/null 2>&1 || useradd --system --home-dir "$maildir" --shell /usr/sbin/nologin vmail
mkdir -p "$maildir"
chown vmail:vmail "$maildir"

[ -f /etc/postfix/main.cf ] || cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
printf '/./ OK\n' > /etc/postfix/kizuki-domains
uid=$(id -u vmail)
gid=$(id -g vmail)
postconf -e \
    "myhostname=mta.kizuki.test" \
    "mydestination=" \
    "inet_interfaces=127.0.0.1" \
    "inet_protocols=ipv4" \
    "mynetworks=127.0.0.0/8" \
    "relayhost=" \
    "alias_maps=" \
    "alias_database=" \
    "default_transport=error:no mail leaves this test MTA" \
    "virtual_mailbox_domains=regexp:/etc/postfix/kizuki-domains" \
    "virtual_mailbox_maps=static:inbox/" \
    "virtual_mailbox_base=$maildir" \
    "virtual_uid_maps=static:$uid" \
    "virtual_gid_maps=static:$gid" \
    "virtual_mailbox_limit=0" \
    "message_size_limit=52428800" \
    "smtpd_recipient_restrictions=permit_mynetworks,reject" \
    "strict_rfc821_envelopes=yes" \
    "smtpd_forbid_bare_newline=yes" \
    "smtpd_forbid_bare_newline_exclusions=" \
    "maillog_file=/var/log/postfix.log"
# TLS: a private CA and a certificate for 127.0.0.1, for STARTTLS on 25
# and implicit TLS on 465. The tests trust the CA file printed below.
tls=/etc/postfix/kizuki-tls
if [ ! -f "$tls/server.pem" ]; then
    command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kizuki test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$tls/ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
    chmod 600 "$tls/server.key" "$tls/ca.key"
fi
postconf -e \
    "smtpd_tls_cert_file=$tls/server.pem" \
    "smtpd_tls_key_file=$tls/server.key" \
    "smtpd_tls_security_level=may" \
    "smtpd_tls_received_header=yes"
postconf -M "127.0.0.1:465/inet=127.0.0.1:465 inet n - y - - smtpd"
postconf -P "127.0.0.1:465/inet/smtpd_tls_wrappermode=yes"
# AUTH: submission on 127.0.0.1:587 (STARTTLS required, then AUTH PLAIN or
# LOGIN) checked by a private Dovecot instance that only does SASL for
# postfix, with one user from a password file.
if ! command -v dovecot >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-core >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-core >/dev/null
    }
fi
sasl=/etc/kizuki-dovecot
mkdir -p "$sasl"
echo "kizuki:{PLAIN}kizuki-test-password" > "$sasl/users"
chown root:dovecot "$sasl/users"
chmod 640 "$sasl/users"
cat > "$sasl/dovecot.conf" <<CONF
protocols =
base_dir = /run/kizuki-dovecot
instance_name = kizuki-dovecot
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = /var/log/kizuki-dovecot.log
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $sasl/users
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$maildir
}
service auth {
  unix_listener /var/spool/postfix/private/kizuki-auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
CONF
if [ -f /run/kizuki-dovecot/master.pid ] && kill -0 "$(cat /run/kizuki-dovecot/master.pid)" 2>/dev/null; then
    dovecot -c "$sasl/dovecot.conf" reload </dev/null >/dev/null 2>&1
else
    # Its own stdio, or whoever reads this script's output waits for ever.
    dovecot -c "$sasl/dovecot.conf" </dev/null >/dev/null 2>&1
fi
postconf -M "127.0.0.1:587/inet=127.0.0.1:587 inet n - y - - smtpd"
postconf -P "127.0.0.1:587/inet/smtpd_tls_security_level=encrypt" \
    "127.0.0.1:587/inet/smtpd_sasl_auth_enable=yes" \
    "127.0.0.1:587/inet/smtpd_sasl_type=dovecot" \
    "127.0.0.1:587/inet/smtpd_sasl_path=private/kizuki-auth" \
    "127.0.0.1:587/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject" \
    "127.0.0.1:587/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject"
postfix check
if postfix status >/dev/null 2>&1; then
    postfix reload >/dev/null 2>&1
else
    postfix start >/dev/null 2>&1
fi
# Wait for the listener.
for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; then
        echo "KIZUKI_TEST_SMTP=127.0.0.1:25"
        echo "KIZUKI_TEST_MAILDIR=$maildir/inbox"
        echo "KIZUKI_TEST_SMTPS=127.0.0.1:465"
        echo "KIZUKI_TEST_SMTP_CA=$tls/ca.pem"
        echo "KIZUKI_TEST_SUBMISSION=127.0.0.1:587"
        echo "KIZUKI_TEST_SMTP_USER=kizuki"
        echo "KIZUKI_TEST_SMTP_PASSWORD=kizuki-test-password"
        exit 0
    fi
    sleep 0.2
done
echo "postfix did not start listening on 127.0.0.1:25" >&2
tail -20 /var/log/postfix.log >&2 || true
exit 1
