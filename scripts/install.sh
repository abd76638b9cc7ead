#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Nimbus, and nothing twice: system packages (as
# root), npm dependencies, the libvirt daemons (for qemu:///system guests), the bootable test
# guest image, and a running local PostgreSQL for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# libvirt-dev: the Node binding's headers; libvirt-daemon-system + qemu-system-x86: real guests on
# qemu:///system; dnsmasq-base: DHCP on the guests' networks; iptables (its ebtables too): nwfilter
# (security groups); genisoimage: config drives; qemu-utils: image inspection and overlays;
# busybox-static + cpio: the test guest's initramfs; openssh-client: ssh-keygen for key tests;
# ipset: a remote security group's members on a host; iputils-ping: the real-guest test pings
# its guest through its security group; chromium: the browser tests; stress-ng: one test runs
# again with every core busy (scripts/under-cpu-hog.sh); python3-openstackclient: the stock `openstack`
# CLI that the OpenStack API tests drive.
APT_PACKAGES=(libvirt-dev libvirt-clients libvirt-daemon-system qemu-system-x86 qemu-utils dnsmasq-base iptables
  genisoimage busybox-static cpio openssh-client ipset iputils-ping pkg-config python3 make g++ chromium stress-ng
  python3-openstackclient)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]} (run this script as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# npm dependencies exactly as the committed lock file says, when node_modules is absent or older
# than the lock. The lock holds every platform's optional packages, so a fresh clone stays clean;
# a dependency change must commit a lock that `npm ci` accepts.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi
# The libvirt binding is compiled against libvirt-dev by node-gyp at install time.
libvirt_works() {
  node --input-type=module -e "const { Hypervisor } = await import('@unraid/libvirt');
    const h = new Hypervisor({ uri: 'test:///default' }); await h.connectOpen(); await h.connectClose();" 2>/dev/null
}
libvirt_works || { echo "==> npm rebuild @unraid/libvirt"; npm rebuild @unraid/libvirt; libvirt_works; }

# The tests also run against the machine's PostgreSQL (127.0.0.1:5432); start it if it is down.
if [ "${NIMBUS_SKIP_POSTGRES:-0}" != 1 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "==> starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

# Real guests: libvirtd + virtlogd for qemu:///system (no systemd here), and the test guest image
# (a Debian cloud kernel and a busybox initramfs) that the first start seeds into the image store.
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/libvirt-daemons.sh
  bash scripts/test-image/build.sh "${NIMBUS_DATA_DIR:-.data}/test-image"
else
  echo "Not root: skipping the libvirt daemons and the test guest image (qemu:///system guests need them)." >&2
fi
echo "==> install.sh done in ${SECONDS} s"
