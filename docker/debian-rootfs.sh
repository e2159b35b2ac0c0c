# shellcheck shell=bash
# A minimal Debian bookworm root file system with some packages, for the images built here
# without a registry (docker/base-image.sh, docker/redis-image.sh), from the mirror apt already
# reaches on this machine, so the build needs no network this machine lacks.
#
# debian_rootfs DIR PACKAGE...: debootstrap --variant=minbase --include=PACKAGE,... bookworm DIR,
# then what a runtime image does not need removed (package lists and caches, documentation,
# manual pages). DEBIAN_MIRROR picks the mirror. Needs root; installs debootstrap if missing.

# The first mirror apt on this machine uses (not the security one), or deb.debian.org.
apt_mirror() {
  local uri
  uri="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{ print $2; exit }' || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

debian_rootfs() {
  local rootfs="$1" mirror packages
  shift
  packages="$(IFS=,; echo "$*")"
  mirror="${DEBIAN_MIRROR:-$(apt_mirror)}"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  echo "debootstrap bookworm + $packages from $mirror"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" \
    >"$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; return 1; }
  rm -f "$rootfs.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
}
