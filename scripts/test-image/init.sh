#!/bin/sh
# /init of the Nimbus test guest (busybox-static initramfs, booted by direct kernel boot).
# Proves an instance booted with its config drive, DHCP address and key by printing marker lines
# on the serial console (ttyS0), then idles forever: as PID 1 it must never exit.
#
# The same file is also udhcpc's lease script (udhcpc -s /init): then it is not PID 1 and udhcpc
# passes the event (deconfig, bound, renew, ...) as $1 and the lease in the environment.

if [ "$$" != 1 ]; then
  case "$1" in
    deconfig)
      ip -4 addr flush dev "$interface" 2>/dev/null
      ip link set "$interface" up
      ;;
    bound|renew)
      ip -4 addr flush dev "$interface" 2>/dev/null
      ip addr add "$ip/${mask:-24}" dev "$interface"
      [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
      for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
      : > /etc/resolv.conf
      for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
      ;;
  esac
  exit 0
fi

export PATH=/bin:/sbin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /mnt/config /etc /run
mount -t tmpfs tmpfs /tmp

# Marker lines go to the serial port itself; everything else to the console (also ttyS0 when the
# kernel command line says console=ttyS0).
SERIAL=/dev/ttyS0
[ -c "$SERIAL" ] || SERIAL=/dev/console
marker() { echo "NIMBUS-GUEST $*" > "$SERIAL"; }
log() { echo "nimbus-init: [$(cut -d" " -f1 /proc/uptime)s] $*"; }

log "starting ($(uname -r))"

# Kernel messages would interleave with the marker lines: keep only errors on the console.
dmesg -n 3 2>/dev/null

# Modules the cloud kernel builds as modules, listed by build.sh in dependency order.
if [ -f /lib/modules/load-order ]; then
  loaded=""
  while read -r ko; do
    [ -n "$ko" ] || continue
    if insmod "/lib/modules/$ko" 2>/tmp/insmod.err; then
      loaded="$loaded $(basename "$ko" .ko)"
    elif ! grep -q 'File exists' /tmp/insmod.err; then
      log "insmod $ko failed: $(cat /tmp/insmod.err)"
    fi
  done < /lib/modules/load-order
  log "modules:$loaded"
fi

# The ACPI power button (libvirt's shutdown: Nova's clean stop and soft reboot): the button
# driver turns a press into a key event, busybox acpid reads it from /dev/input/event* and runs
# /etc/acpi/PWRF/00000080, which says so on the serial port and powers the machine off. Without
# it the guest ignores the request and is powered off only when the shutdown timeout ends.
mkdir -p /etc/acpi/PWRF
printf '#!/bin/sh\necho "NIMBUS-GUEST power-button" > %s\nsync\npoweroff -f\n' "$SERIAL" > /etc/acpi/PWRF/00000080
chmod 0755 /etc/acpi/PWRF/00000080
if [ -c /dev/input/event0 ]; then
  acpid -f -c /etc/acpi -l /tmp/acpid.log &
else
  log "no input event device: the ACPI power button is ignored"
fi

# --- config drive: ISO9660 labelled config-2 (OpenStack layout) ---
CFG=/mnt/config
MD=$CFG/openstack/latest
found=""
try_mount() {
  mount -t iso9660 -o ro "$1" "$CFG" 2>/dev/null || mount -o ro "$1" "$CFG" 2>/dev/null || return 1
  [ -f "$MD/meta_data.json" ] && return 0
  umount "$CFG" 2>/dev/null
  return 1
}
# Disk probing (SCSI / ATA) is asynchronous after the modules load: wait up to about 15 s.
i=0
while [ $i -lt 30 ] && [ -z "$found" ]; do
  dev=$(findfs LABEL=config-2 2>/dev/null)
  if [ -n "$dev" ] && try_mount "$dev"; then
    found=$dev
    break
  fi
  for dev in /dev/sr[0-9]* /dev/vd[a-z] /dev/sd[a-z] /dev/hd[a-z]; do
    [ -b "$dev" ] || continue
    if try_mount "$dev"; then found=$dev; break; fi
  done
  [ -n "$found" ] && break
  i=$((i + 1))
  sleep 0.5
done
if [ -n "$found" ]; then
  log "config drive $found mounted"
else
  log "no config drive found (devices: $(ls /dev | grep -E '^(sr|vd|sd|hd)' | tr '\n' ' '))"
fi

# A one-line copy of a JSON file, and the first string value of a key in it (no jq in busybox).
json_flat() { [ -f "$1" ] && tr -d '\n\r' < "$1"; }
json_first() { # json_first KEY < flat-json: the value of the first "KEY": "value"
  grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n 1 | sed 's/^[^:]*:[[:space:]]*"\(.*\)"$/\1/'
}

META=$(json_flat "$MD/meta_data.json")
NET=$(json_flat "$MD/network_data.json")

uuid=$(echo "$META" | json_first uuid)
hostname=$(echo "$META" | json_first hostname)
[ -n "$hostname" ] || hostname=$(echo "$META" | json_first name)
[ -n "$hostname" ] || hostname=nimbus-guest

hostname "$hostname"
echo "$hostname" > /etc/hostname
echo "127.0.0.1 localhost $hostname" > /etc/hosts

# public_keys: {"name": "ssh-ed25519 AAAA... comment"}; the first one counts.
keys=$(echo "$META" | sed -n 's/.*"public_keys"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p')
key_name=$(echo "$keys" | sed -n 's/^[[:space:]]*"\([^"]*\)"[[:space:]]*:.*/\1/p')
key_line=$(echo "$keys" | sed -n 's/^[[:space:]]*"[^"]*"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
key_line=$(printf '%s' "$key_line" | sed 's/\\n$//')

# OpenSSH's fingerprint: SHA256: + unpadded base64 of sha256(base64-decoded key blob).
fingerprint() {
  blob=$(echo "$1" | awk '{print $2}')
  [ -n "$blob" ] || return 1
  hex=$(printf '%s' "$blob" | base64 -d 2>/dev/null | sha256sum | awk '{print $1}')
  [ ${#hex} -eq 64 ] || return 1
  b64=$(printf '%s' "$hex" | xxd -r -p | base64 | tr -d '=\n')
  [ -n "$b64" ] || return 1
  echo "SHA256:$b64"
}

# --- network: DHCP on eth0, else the static address from network_data.json ---
IFACE=eth0
j=0
while [ ! -e /sys/class/net/$IFACE ] && [ $j -lt 20 ]; do j=$((j + 1)); sleep 0.25; done
if [ ! -e /sys/class/net/$IFACE ]; then
  IFACE=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
fi
ip link set lo up
address=""
if [ -n "$IFACE" ]; then
  ip link set "$IFACE" up
  # -n: give up if no lease after the retries; with a lease it goes to the background and renews.
  if udhcpc -i "$IFACE" -s /init -t 4 -T 2 -A 2 -n -x "hostname:$hostname" >/tmp/udhcpc.log 2>&1; then
    log "DHCP lease on $IFACE"
  else
    log "DHCP failed on $IFACE, using network_data.json"
    sip=$(echo "$NET" | json_first ip_address)
    smask=$(echo "$NET" | json_first netmask)
    sgw=$(echo "$NET" | json_first gateway)
    if [ -n "$sip" ]; then
      case "$sip" in
        */*) cidr=$sip ;;
        *) prefix=24
           [ -n "$smask" ] && prefix=$(ipcalc -p "$sip" "$smask" | sed 's/PREFIX=//')
           cidr=$sip/$prefix ;;
      esac
      ip addr add "$cidr" dev "$IFACE"
      [ -n "$sgw" ] && [ "$sgw" != "0.0.0.0" ] && ip route replace default via "$sgw" dev "$IFACE"
    else
      log "network_data.json has no static ip_address"
    fi
  fi
  address=$(ip -4 -o addr show dev "$IFACE" | awk '{print $4}' | cut -d/ -f1 | head -n 1)
fi

if [ -b /dev/vda ]; then
  log "disk vda $(blockdev --getsize64 /dev/vda) bytes"
fi

if [ -f "$MD/user_data" ]; then
  ud_bytes=$(wc -c < "$MD/user_data" | tr -d ' ')
else
  ud_bytes=0
fi

marker "hostname=$hostname"
marker "instance=${uuid:-unknown}"
if [ -n "$key_line" ]; then
  fp=$(fingerprint "$key_line") || fp=$key_line
  marker "key=$fp"
  marker "key-name=$key_name"
else
  marker "key=none"
  marker "key-name=none"
fi
marker "address=${address:-none}"
marker "user-data-bytes=$ud_bytes"
marker "booted"

# User data that is a script ("#!" first, as cloud-init runs it) runs once, in the background,
# its output on the serial port.
if [ -f "$MD/user_data" ] && [ "$(head -c 2 "$MD/user_data")" = "#!" ]; then
  cp "$MD/user_data" /tmp/user-data && chmod 0755 /tmp/user-data
  log "running user data"
  /tmp/user-data > "$SERIAL" 2>&1 &
fi

# Idle forever; PID 1 exiting panics the kernel. (Reaps udhcpc should it ever exit.)
while :; do
  sleep 2147483647 &
  wait
done
