#!/usr/bin/env bash
# Ensures, as root, that virtlogd and libvirtd are running so qemu:///system answers.
# Idempotent: starts only what is not already running. There is no systemd on these machines,
# so the daemons are started directly in daemon mode (-d).
set -euo pipefail

URI=qemu:///system
TIMEOUT=${LIBVIRT_WAIT_SECONDS:-20}

die() { echo "libvirt-daemons: $*" >&2; exit 1; }

# A cheap call that needs a live connection. (`virsh version` itself takes about 4 s on these
# machines, longer on libvirtd's first start while it probes QEMU, so it is not the poll.)
answers() { timeout 10 virsh -c "$URI" list --all --name >/dev/null 2>&1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (qemu:///system needs root to start libvirtd)"
for bin in virsh virtlogd libvirtd; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin not found: apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86"
done

# /dev/kvm is root:root 0600 on these machines (no udev). libvirt then finds KVM usable when it
# probes QEMU (as root) but not for the qemu user, judges its capability cache invalid on every
# lookup and re-probes QEMU each time: `virsh create` took 60 s instead of 0.4 s. Give it the
# ownership Debian's udev rule would (root:kvm 0660; libvirt-qemu is in group kvm). Guests still
# use type='qemu' (TCG): nested KVM is unreliable here.
if [ -c /dev/kvm ] && getent group kvm >/dev/null 2>&1; then
  if [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm && echo "libvirt-daemons: /dev/kvm set to root:kvm 0660"
  fi
fi

if answers; then
  echo "libvirt-daemons: $URI already answers"
  exit 0
fi

mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt

# pgrep -x matches the exact process name, so only these daemons count.
if ! pgrep -x virtlogd >/dev/null 2>&1; then
  echo "libvirt-daemons: starting virtlogd"
  virtlogd -d || die "virtlogd -d failed"
fi
if ! pgrep -x libvirtd >/dev/null 2>&1; then
  echo "libvirt-daemons: starting libvirtd"
  # libvirtd logs harmless errors about dmidecode and D-Bus on these machines; keep them out of
  # the caller's output (they still go to its own log).
  libvirtd -d 2>/dev/null || die "libvirtd -d failed (try running 'libvirtd' in the foreground to see why)"
fi

deadline=$((SECONDS + TIMEOUT))
until answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    pgrep -x libvirtd >/dev/null 2>&1 || die "libvirtd exited; run 'libvirtd' in the foreground to see why"
    die "$URI did not answer within ${TIMEOUT}s: $(timeout 10 virsh -c "$URI" list 2>&1 | tail -n1)"
  fi
  sleep 0.5
done
version=$(timeout 60 virsh -c "$URI" version 2>&1) || die "$URI connects but 'virsh version' failed: $version"
echo "libvirt-daemons: $URI answers ($(echo "$version" | grep -m1 'Running hypervisor' | sed 's/.*: //'))"
