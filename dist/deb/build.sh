#!/usr/bin/env bash
# Builds the Debian package of the edge build (the daemon, `check` and the ops commands, without
# the simulator): target/deb/greenwave_VERSION_ARCH.deb, with the binary (stripped), the systemd
# unit greenwave@.service, the example configs under /etc/greenwave/ (conffiles) and the docs.
# Usage: dist/deb/build.sh [--target TRIPLE]   (cross builds: see README, "On a cabinet computer")
set -euo pipefail
cd "$(dirname "$0")/../.."

target_args=()
deb_arch=$(dpkg --print-architecture)
bin_dir=${CARGO_TARGET_DIR:-target}/release
if [ "${1:-}" = "--target" ]; then
    triple=$2
    target_args=(--target "$triple")
    bin_dir=${CARGO_TARGET_DIR:-target}/$triple/release
    case $triple in
        aarch64-*) deb_arch=arm64 ;;
        armv7-*) deb_arch=armhf ;;
        x86_64-*) deb_arch=amd64 ;;
        *) echo "unknown target $triple" >&2; exit 2 ;;
    esac
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cargo build --release --locked --no-default-features --bin greenwave "${target_args[@]}"

stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$bin_dir/greenwave" "$stage/usr/bin/greenwave"
# A cross build needs the target's strip: STRIP=aarch64-linux-gnu-strip, say.
"${STRIP:-strip}" "$stage/usr/bin/greenwave"
install -D -m 0644 dist/systemd/greenwave@.service "$stage/lib/systemd/system/greenwave@.service"
mkdir -p "$stage/etc/greenwave"
cp -r config/cabinets config/corridors config/intersections config/plans config/profiles "$stage/etc/greenwave/"
doc="$stage/usr/share/doc/greenwave"
mkdir -p "$doc/examples"
cp README.md "$doc/"
cp -r docs "$doc/"  # the README links to docs/...
cp -r config/mosquitto "$doc/examples/"

mkdir -p "$stage/DEBIAN"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) > "$stage/DEBIAN/conffiles"
installed_kb=$(du -sk "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" << CONTROL
Package: greenwave
Version: $version
Architecture: $deb_arch
Maintainer: greenwave maintainers <greenwave@users.noreply.github.com>
Section: net
Priority: optional
Installed-Size: $installed_kb
Depends: libc6, adduser
Homepage: https://github.com/greenwave-signals/greenwave
Description: adaptive traffic-signal controller, edge daemon
 One daemon per intersection cabinet (greenwave@SITE.service): reads loop
 detectors over Modbus, chooses green times, drives the signal groups through
 an independent interlock, and talks to central operations over MQTT.
 Configs in /etc/greenwave/cabinets/SITE.toml; check them with
 "greenwave check /etc/greenwave".
CONTROL
cat > "$stage/DEBIAN/postinst" << 'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if ! getent passwd greenwave > /dev/null; then
        adduser --system --group --no-create-home --home /nonexistent greenwave > /dev/null
    fi
    adduser greenwave dialout > /dev/null 2>&1 || true
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
    fi
fi
exit 0
POSTINST
cat > "$stage/DEBIAN/postrm" << 'POSTRM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
exit 0
POSTRM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"

mkdir -p target/deb
out="target/deb/greenwave_${version}_${deb_arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$out" > /dev/null
echo "$out"
