#!/bin/sh
# Install every Debian 12 package rootline needs to build, test and run.
# Idempotent: packages already present are skipped; apt-get runs only when
# something is missing.  Must run as root (or with sudo available).
#
#   deploy/debian-deps.sh            build + runtime + test packages
#   ROOTLINE_DEPS_MINIMAL=1 deploy/debian-deps.sh   build + runtime only
set -eu

BUILD="build-essential cmake pkg-config
  librdf0-dev librasqal3-dev libraptor2-dev liblmdb-dev
  libmicrohttpd-dev libcunit1-dev libjansson-dev libutf8proc-dev libpcre2-dev
  libssl-dev zlib1g-dev"
# libcurl: any flavour's -dev package will do (they conflict with each
# other); the GnuTLS one is installed only when none is present.
have_curl_dev=0
for p in libcurl4-gnutls-dev libcurl4-openssl-dev libcurl4-nss-dev; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    have_curl_dev=1
  fi
done
if [ "$have_curl_dev" = 0 ]; then
  BUILD="$BUILD libcurl4-gnutls-dev"
fi
TEST="curl python3 python3-rdflib raptor2-utils lmdb-utils golang-go"

pkgs="$BUILD"
if [ "${ROOTLINE_DEPS_MINIMAL:-0}" != 1 ]; then
  pkgs="$pkgs $TEST"
fi

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "debian-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
echo "debian-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
