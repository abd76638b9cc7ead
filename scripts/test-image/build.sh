#!/usr/bin/env bash
# Builds the Nimbus test guest from Debian packages:
#   vmlinuz      Debian's cloud kernel (linux-image-*-cloud-amd64, resolved from the metapackage)
#   initrd.img   newc cpio + gzip: busybox-static, /init (init.sh) and the kernel modules it needs
#   disk.qcow2   a blank 64 MiB qcow2, the image "body" an instance's overlay is backed by
# Usage: scripts/test-image/build.sh [OUT_DIR]   (default .data/test-image under the repo root;
# a relative OUT_DIR is taken from the current directory)
# Idempotent: when the outputs exist and the stamp records the same package versions and the same
# init.sh/build.sh, it exits 0 at once. Needs root on a fresh machine (installs its apt deps).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/.data/test-image}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

# Modules the guest needs that the cloud kernel builds as modules (=m in its config); their
# dependencies are added from each module's own .modinfo. The cloud kernel has no AHCI driver
# (CONFIG_SATA_AHCI unset), so a config drive is attached on IDE (ata_piix, i440fx 'pc' machine)
# or on virtio-scsi (both are here). button + evdev: the ACPI power button as an input event
# device, which init.sh's acpid watches so that the guest powers off when asked.
MODULES=(virtio_pci virtio_blk virtio_net virtio_scsi ata_piix sr_mod isofs button evdev)

APT_DEPS=(busybox-static cpio qemu-utils)
log() { echo "test-image: $*"; }
die() { echo "test-image: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in "${APT_DEPS[@]}"; do installed "$pkg" || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root or apt-get install them)"
  log "apt-get install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# One apt-cache call (each takes about a second here): the candidates of the kernel metapackage,
# whose Depends pins the real versioned package, and of busybox-static.
resolve() {
  local show
  show=$(apt-cache show --no-all-versions linux-image-cloud-amd64 busybox-static 2>/dev/null) || return 0
  KPKG=$(echo "$show" | sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*-cloud-amd64\) *(= *\([^)]*\)).*/\1/p' | head -n 1)
  KVER_PKG=$(echo "$show" | sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*-cloud-amd64\) *(= *\([^)]*\)).*/\2/p' | head -n 1)
  BB_VER=$(echo "$show" | awk '/^Package: busybox-static$/ {p=1} p && /^Version:/ {print $2; exit}')
}
KPKG="" KVER_PKG="" BB_VER=""
resolve
if [ -z "$KPKG" ] || [ -z "$BB_VER" ]; then
  log "apt-get update (linux-image-cloud-amd64 or busybox-static not in the package lists)"
  apt-get update -qq
  resolve
fi
[ -n "$KPKG" ] && [ -n "$KVER_PKG" ] || die "cannot resolve linux-image-cloud-amd64 to a versioned kernel package"
[ -n "$BB_VER" ] || die "no candidate version for busybox-static"

STAMP_CONTENT="kernel=$KPKG $KVER_PKG
busybox-static=$BB_VER
modules=${MODULES[*]}
init.sh=$(sha256sum "$HERE/init.sh" | cut -d' ' -f1)
build.sh=$(sha256sum "$HERE/build.sh" | cut -d' ' -f1)"
STAMP="$OUT/stamp"
if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/disk.qcow2" ] && [ -f "$STAMP" ] &&
  [ "$(cat "$STAMP")" = "$STAMP_CONTENT" ]; then
  log "up to date in $OUT ($KPKG $KVER_PKG, busybox-static $BB_VER)"
  exit 0
fi

START=$SECONDS
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/debs"

log "downloading $KPKG $KVER_PKG and busybox-static $BB_VER"
download() {
  # apt-get download as root warns that _apt cannot write into a private dir; make it writable.
  chmod 0777 "$WORK/debs"
  (cd "$WORK/debs" && apt-get download -q "$KPKG=$KVER_PKG" "busybox-static=$BB_VER" >/dev/null 2>&1)
}
if ! download; then
  log "download failed; apt-get update and retry"
  apt-get update -qq
  download || die "apt-get download $KPKG busybox-static failed"
fi
dpkg -x "$WORK"/debs/linux-image-*.deb "$WORK/kernel"
dpkg -x "$WORK"/debs/busybox-static_*.deb "$WORK/busybox"

KVER=$(ls "$WORK/kernel/lib/modules" | head -n 1)
[ -n "$KVER" ] && [ -f "$WORK/kernel/boot/vmlinuz-$KVER" ] || die "no vmlinuz in $KPKG"
MODDIR="$WORK/kernel/lib/modules/$KVER"

# --- initramfs tree ---
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,etc,mnt/config,run,lib/modules}
cp "$WORK/busybox/bin/busybox" "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$R/bin/$applet"
done
install -m 0755 "$HERE/init.sh" "$R/init"

# Module dependency closure, in load order (dependencies first), from each .ko's .modinfo.
declare -A KO_PATH=() SEEN=()
while IFS= read -r f; do
  name=$(basename "$f"); name=${name%%.ko*}; name=${name//-/_}
  KO_PATH[$name]=$f
done < <(find "$MODDIR/kernel" -name '*.ko' -o -name '*.ko.xz')
ORDER=()
add_module() {
  local m=${1//-/_} f deps d
  [ -n "${SEEN[$m]:-}" ] && return 0
  SEEN[$m]=1
  f=${KO_PATH[$m]:-}
  if [ -z "$f" ]; then
    grep -q "/$m.ko" "$MODDIR/modules.builtin" 2>/dev/null && return 0
    die "module $m is neither in $KPKG nor built in"
  fi
  case "$f" in
    *.xz) "$R/bin/busybox" xz -dc "$f" > "$WORK/$m.ko"; f="$WORK/$m.ko" ;;  # busybox insmod reads plain .ko only
  esac
  deps=$(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | head -n 1)
  for d in ${deps//,/ }; do add_module "$d"; done
  cp "$f" "$R/lib/modules/$m.ko"
  ORDER+=("$m.ko")
}
for m in "${MODULES[@]}"; do add_module "$m"; done
printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/load-order"

# --- outputs (written beside, then moved, so a failed build leaves no half file) ---
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$OUT/vmlinuz.tmp"
(cd "$R" && find . -print0 | sort -z | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 > "$OUT/initrd.img.tmp"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
if [ ! -f "$OUT/disk.qcow2" ]; then
  qemu-img create -q -f qcow2 "$OUT/disk.qcow2" 64M
fi
# libvirt's qemu runs as libvirt-qemu: the files must be readable by others.
chmod 0644 "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/disk.qcow2"
printf '%s\n' "$STAMP_CONTENT" > "$STAMP"

log "built in $((SECONDS - START)) s into $OUT:"
log "  vmlinuz     $KVER ($KPKG $KVER_PKG), $(stat -c %s "$OUT/vmlinuz") bytes"
log "  initrd.img  busybox-static $BB_VER + init.sh + ${#ORDER[@]} modules, $(stat -c %s "$OUT/initrd.img") bytes"
log "  modules     ${ORDER[*]//.ko/}"
log "  disk.qcow2  $(qemu-img info "$OUT/disk.qcow2" | sed -n 's/^virtual size: //p')"
