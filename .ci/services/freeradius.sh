#!/usr/bin/env bash
# Installs Debian's freeradius (and freeradius-utils, for radclient) and runs
# it as a test RADIUS accounting server on 127.0.0.1:18130 (UDP), and on no
# other address or port. It answers every Accounting-Request from 127.0.0.1
# that carries the shared secret below with an Accounting-Response, and its
# detail module appends each request to one flat file per day,
# $KIZUKI_TEST_RADIUS_DETAIL/detail-YYYYMMDD (date and header lines in UTC:
# the daemon runs with TZ=UTC). Authentication is not served, nothing is
# proxied, and no database is used. Prints the environment the tests read.
#
# The accounting pipeline is Debian's default one minus what needs a
# database, wtmp or realms: preacct runs preprocess and acct_unique (so each
# record gets an Acct-Unique-Session-Id), accounting runs detail and
# attr_filter.accounting_response.
#
# The package's own configuration in /etc/freeradius/3.0 is left as it is
# and is not started; this runs a second configuration directory,
# /etc/freeradius/kizuki-test, rewritten on every run, and restarts the
# daemon it started before (found through its pid file). Detail files from
# earlier runs are kept. Run it on a CI or throwaway machine.
set -euo pipefail

port=18130
secret=kizuki-test-secret
detaildir=/var/log/kizuki-radacct
confdir=/etc/freeradius/kizuki-test
debconf=/etc/freeradius/3.0
rundir=/run/freeradius
pidfile=$rundir/kizuki-test.pid
logfile=/var/log/freeradius/kizuki-test.log

if ! command -v freeradius >/dev/null || ! command -v radclient >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q freeradius freeradius-utils >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q freeradius freeradius-utils >/dev/null
    }
    # Where the package's postinst was allowed to start the stock server
    # (which listens on all addresses), stop it again.
    invoke-rc.d freeradius stop >/dev/null 2>&1 || true
fi

# Stop the instance a previous run started.
if [ -s "$pidfile" ]; then
    oldpid=$(cat "$pidfile")
    oldcmd=$( (tr '\0' ' ' < "/proc/$oldpid/cmdline") 2>/dev/null || true)
    if [ "$oldcmd" = "freeradius -d $confdir " ]; then
        kill "$oldpid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -d "/proc/$oldpid" ] || break
            sleep 0.1
        done
        if [ -d "/proc/$oldpid" ]; then
            kill -9 "$oldpid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "$pidfile"
fi

install -d -o freerad -g freerad -m 0755 "$rundir" "$detaildir"
install -d -o freerad -g adm -m 0755 "$(dirname "$logfile")"

rm -rf "$confdir"
install -d -o freerad -g freerad -m 0750 "$confdir"
# The local dictionary file is optional, but keep Debian's (it only has
# comments unless someone added attributes there).
if [ -f "$debconf/dictionary" ]; then
    cp "$debconf/dictionary" "$confdir/dictionary"
else
    : > "$confdir/dictionary"
fi
cat > "$confdir/radiusd.conf" <<EOF
# Written by .ci/services/freeradius.sh; rewritten on every run.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
logdir = $(dirname "$logfile")
raddbdir = $confdir
radacctdir = $detaildir
name = freeradius
confdir = \${raddbdir}
# Debian's files for preprocess (hints, huntgroups) and attr_filter.
modconfdir = $debconf/mods-config
certdir = $debconf/certs
cadir = $debconf/certs
run_dir = $rundir
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = $pidfile

max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no

log {
	destination = files
	colourise = no
	file = $logfile
	stripped_names = no
	auth = no
	auth_badpass = no
	auth_goodpass = no
}

security {
	user = freerad
	group = freerad
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 1
	status_server = yes
}

proxy_requests = no

client kizuki-test {
	ipaddr = 127.0.0.1
	proto = udp
	secret = $secret
	require_message_authenticator = no
	nas_type = other
}

thread pool {
	start_servers = 5
	max_servers = 32
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
	auto_limit_acct = no
}

modules {
	always ok {
		rcode = ok
	}
	expr {
	}
	preprocess {
		moddir = \${modconfdir}/\${.:instance}
		huntgroups = \${moddir}/huntgroups
		hints = \${moddir}/hints
		with_ascend_hack = no
		ascend_channels_per_line = 23
		with_ntdomain_hack = no
		with_specialix_jetstream_hack = no
		with_cisco_vsa_hack = no
	}
	attr_filter attr_filter.accounting_response {
		key = "%{User-Name}"
		filename = \${modconfdir}/attr_filter/accounting_response
	}
	# One flat file per day; the date is the server's local date (UTC).
	detail {
		filename = \${radacctdir}/detail-%Y%m%d
		escape_filenames = no
		permissions = 0644
		dir_permissions = 0755
		header = "%t"
		locking = yes
	}
}

instantiate {
}

policy {
	# Debian's acct_unique, as in Debian's default site.
	class_value_prefix = 'ai:'
	acct_unique {
		update request {
			&Tmp-String-9 := "\${policy.class_value_prefix}"
		}
		if (("%{hex:&Class}" =~ /^%{hex:&Tmp-String-9}/) && \\
		    ("%{string:&Class}" =~ /^\${policy.class_value_prefix}([0-9a-f]{32})/i)) {
			update request {
				&Acct-Unique-Session-Id := "%{md5:%{1},%{Acct-Session-ID}}"
			}
		}
		else {
			update request {
				&Acct-Unique-Session-Id := "%{md5:%{User-Name},%{Acct-Session-ID},%{%{NAS-IPv6-Address}:-%{NAS-IP-Address}},%{NAS-Identifier},%{NAS-Port-ID},%{NAS-Port}}"
			}
		}
		update request {
			&Tmp-String-9 !* ANY
		}
	}
}

server kizuki-test {
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $port
		proto = udp
	}

	preacct {
		preprocess
		acct_unique
	}

	accounting {
		detail
		attr_filter.accounting_response
		ok
	}
}
EOF
chown freerad:freerad "$confdir/radiusd.conf" "$confdir/dictionary"
chmod 0640 "$confdir/radiusd.conf" "$confdir/dictionary"

export TZ=UTC
if ! freeradius -C -d "$confdir" >/dev/null 2>&1; then
    echo "freeradius rejected $confdir/radiusd.conf:" >&2
    freeradius -XC -d "$confdir" >&2 || true
    exit 1
fi
if ! freeradius -d "$confdir" </dev/null >/dev/null 2>&1; then
    echo "freeradius did not start (is 127.0.0.1:$port taken?)" >&2
    tail -20 "$logfile" >&2 || true
    exit 1
fi

# Wait until the accounting port answers a Status-Server.
for _ in $(seq 1 50); do
    if echo "Message-Authenticator = 0x00" |
        radclient -q -r 1 -t 1 "127.0.0.1:$port" status "$secret" >/dev/null 2>&1; then
        echo "KIZUKI_TEST_RADIUS=127.0.0.1:$port"
        echo "KIZUKI_TEST_RADIUS_SECRET=$secret"
        echo "KIZUKI_TEST_RADIUS_DETAIL=$detaildir"
        exit 0
    fi
    sleep 0.2
done
echo "freeradius did not answer on 127.0.0.1:$port" >&2
tail -20 "$logfile" >&2 || true
exit 1
