#!/bin/sh
# Installs (as root) or names (otherwise) the Debian 12 packages bgf needs.
# Idempotent: asks apt-get only for what is missing.
#   scripts/deps.sh run    - what `make run` needs (build + run bgfd)
#   scripts/deps.sh test   - what `make test` needs (adds test peers and tools)
#   scripts/deps.sh bench  - what `make bench` needs (adds rtpengine, gnuplot, liburing for bench/urfwd)
set -eu
what=${1:-test}
build="make gcc clang libc6-dev libcmocka-dev libinih-dev libssl-dev libpcap-dev libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev"
test="python3 erlang-base erlang-megaco erlang-dev tshark tcpdump iproute2 ethtool strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins openssl xxd"
bench="rtpengine-daemon gnuplot-nox liburing-dev"
case $what in
run) want="$build" ;;
test) want="$build $test" ;;
bench) want="$build $test $bench" ;;
*) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "bgf needs these Debian packages; as root run:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends $missing >/dev/null
