#!/bin/sh
# ipsec-lab.sh - a two-host IPsec lab for X3: namespace "gw" (where bgfd runs) and namespace
# "df" (the delivery function), joined by a veth pair, with one strongSwan charon per
# namespace (IKEv2, PSK, tunnel mode, userspace ESP through kernel-libipsec since the kernel
# here has XFRM but no ESP). X3 travels between the inner addresses; only IKE and ESP-in-UDP
# cross the veth.
#
#   scripts/ipsec-lab.sh up DIR      create namespaces, start both charons, bring the SA up
#   scripts/ipsec-lab.sh down DIR    stop charons, delete namespaces
#   scripts/ipsec-lab.sh status DIR  show the SAs of both ends
#
# Addresses (documentation ranges, RFC 5737): outer gw 198.51.100.1, df 198.51.100.2 (veth);
# inner (X3) gw 203.0.113.1, df 203.0.113.2 (on each namespace's loopback).
# Namespace names take the prefix $LAB_PREFIX (default bgfipsec-).
set -eu
cmd=${1:?usage: $0 up|down|status DIR}
dir=${2:?usage: $0 up|down|status DIR}
P=${LAB_PREFIX:-bgfipsec-}
GW=${P}gw DF=${P}df
OUT_GW=198.51.100.1 OUT_DF=198.51.100.2
IN_GW=203.0.113.1 IN_DF=203.0.113.2
PSK=${LAB_PSK:-bgf-x3-lab-only-psk-0123456789abcdef}
CHARON=/usr/lib/ipsec/charon

write_conf() { # $1 = side (gw|df), $2 local outer, $3 remote outer, $4 local inner, $5 remote inner
    d=$dir/$1
    mkdir -p "$d"
    cat >"$d/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce aes sha1 sha2 hmac gcm pem pkcs1 x509 openssl curve25519 kdf kernel-libipsec kernel-netlink socket-default vici updown
    install_routes = yes
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
    }
    filelog {
        log {
            path = $d/charon.log
            default = 1
            ike = 1
            time_format = %H:%M:%S
        }
    }
}
CONF
    cat >"$d/swanctl.conf" <<CONF
connections {
    x3 {
        version = 2
        local_addrs = $2
        remote_addrs = $3
        proposals = aes256gcm16-prfsha256-x25519
        encap = yes
        local {
            auth = psk
            id = $2
        }
        remote {
            auth = psk
            id = $3
        }
        children {
            x3 {
                mode = tunnel
                local_ts = $4/32
                remote_ts = $5/32
                esp_proposals = aes256gcm16
                start_action = trap
            }
        }
    }
}
secrets {
    ike-x3 {
        id-1 = $2
        id-2 = $3
        secret = "$PSK"
    }
}
CONF
}

start_charon() { # $1 = side, $2 = namespace
    d=$dir/$1
    # each charon gets its own /run (pid file) through the mount namespace ip netns exec makes
    ip netns exec "$2" sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$d/strongswan.conf exec $CHARON" \
        >"$d/charon.out" 2>&1 &
    echo $! >"$d/charon.pid"
    i=0
    while [ ! -S "$d/charon.vici" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "charon ($1) did not start; see $d/charon.out" >&2; return 1; }
        sleep 0.1
    done
    ip netns exec "$2" swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >"$d/swanctl.out" 2>&1
}

case $cmd in
up)
    mkdir -p "$dir"
    ip netns add "$GW"; ip netns add "$DF"
    ip link add "${P}v0" type veth peer name "${P}v1"
    ip link set "${P}v0" netns "$GW"; ip link set "${P}v1" netns "$DF"
    ip -n "$GW" addr add $OUT_GW/24 dev "${P}v0"; ip -n "$DF" addr add $OUT_DF/24 dev "${P}v1"
    for ns in "$GW" "$DF"; do
        ip -n "$ns" link set lo up
        # an IPv4-only link: no IPv6 autoconfiguration chatter besides IKE and ESP
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    done
    ip -n "$GW" link set "${P}v0" up; ip -n "$DF" link set "${P}v1" up
    ip -n "$GW" addr add $IN_GW/32 dev lo; ip -n "$DF" addr add $IN_DF/32 dev lo
    write_conf gw $OUT_GW $OUT_DF $IN_GW $IN_DF
    write_conf df $OUT_DF $OUT_GW $IN_DF $IN_GW
    start_charon df "$DF"
    start_charon gw "$GW"
    ip netns exec "$GW" swanctl --initiate --child x3 --uri "unix://$dir/gw/charon.vici" --timeout 20 >"$dir/initiate.out" 2>&1 ||
        { echo "IKE negotiation failed; see $dir/gw/charon.log" >&2; exit 1; }
    ;;
down)
    for side in gw df; do
        [ -f "$dir/$side/charon.pid" ] && kill "$(cat "$dir/$side/charon.pid")" 2>/dev/null || true
    done
    sleep 0.3
    ip netns del "$GW" 2>/dev/null || true
    ip netns del "$DF" 2>/dev/null || true
    ;;
status)
    ip netns exec "$GW" swanctl --list-sas --uri "unix://$dir/gw/charon.vici"
    ip netns exec "$DF" swanctl --list-sas --uri "unix://$dir/df/charon.vici"
    ;;
*) echo "usage: $0 up|down|status DIR" >&2; exit 2 ;;
esac
