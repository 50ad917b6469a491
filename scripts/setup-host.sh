#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# setup-host.sh: prepare a NIC host for ternd (docs/running.md, "A real
# host"): reserve 2 MB hugepages, mount hugetlbfs, load vfio-pci, check the
# IOMMU, and bind NICs to vfio-pci with dpdk-devbind.py. Every command that
# changes the host is printed ("+ COMMAND") before it runs; --dry-run prints
# them and runs none. Reading the host's state (/proc, /sys, dmesg) happens
# in both modes, so the plan is this host's.
set -u

PROG=setup-host.sh
PAGES=1024
PERSISTENT=0
DRY_RUN=0
NOIOMMU=0
DRIVER=vfio-pci
DEVICES=()
SYSCTL_FILE=/etc/sysctl.d/80-tern-hugepages.conf
HUGE_MNT=/dev/hugepages
N_WARN=0

usage() {
	cat <<EOF
usage: $PROG [--pages N] [--persistent] [--bind PCI_ADDR]... [--unsafe-noiommu] [--dry-run]

Prepares this host for ternd on a NIC:
  1. reserves N hugepages of 2 MB (vm.nr_hugepages; never lowers it);
  2. mounts hugetlbfs on $HUGE_MNT unless something is mounted there;
  3. loads the $DRIVER module;
  4. checks the IOMMU (/sys/kernel/iommu_groups, dmesg);
  5. binds each --bind device to $DRIVER with dpdk-devbind.py (taking its
     kernel interface down first; one with addresses or routes is refused).

options:
  --pages N          2 MB hugepages to reserve (default $PAGES)
  --persistent       also write the reservation to
                     $SYSCTL_FILE (at every boot)
  --bind PCI_ADDR    a NIC to bind to $DRIVER, e.g. 0000:03:00.0 (repeatable;
                     'dpdk-devbind.py --status' lists them)
  --unsafe-noiommu   without an IOMMU, enable vfio's no-IOMMU mode (no DMA
                     isolation: test hosts only)
  --dry-run          print every command it would run, run none
  -h, --help         this text

Needs root (except --dry-run). Exit status: 0 done (or planned), 1 an error,
2 a bad command line. Undo a binding with
  dpdk-devbind.py --bind=KERNEL_DRIVER PCI_ADDR
EOF
}

err() { printf '%s: error: %s\n' "$PROG" "$*" >&2; }
die() { err "$*"; exit 1; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; N_WARN=$((N_WARN + 1)); }
say() { printf '%s: %s\n' "$PROG" "$*"; }
usage_error() {
	err "$*"
	usage | head -n 1 >&2
	echo "('$PROG --help' says more)" >&2
	exit 2
}

# A problem that stops a real run; in a dry run, a warning (the plan goes on).
problem() {
	if [ "$DRY_RUN" -eq 1 ]; then
		warn "$* (a real run stops here)"
	else
		die "$*"
	fi
}

# run CMD...: print it, then run it unless --dry-run.
run() {
	printf '+ %s\n' "$*"
	[ "$DRY_RUN" -eq 1 ] && return 0
	"$@" || die "failed: $*"
}

# write_file PATH LINE: print it, then write LINE as PATH's whole content
# (through tee: every change to the host is a command, as with run).
write_file() {
	printf "+ echo '%s' > %s\n" "$2" "$1"
	[ "$DRY_RUN" -eq 1 ] && return 0
	printf '%s\n' "$2" | tee "$1" >/dev/null || die "cannot write $1"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--pages)
			[ $# -ge 2 ] || usage_error "--pages needs a number"
			if ! [[ $2 =~ ^[0-9]{1,7}$ ]]; then
				usage_error "bad --pages '$2' (expected a decimal number of 2 MB pages)"
			fi
			PAGES=$((10#$2))
			shift 2
			;;
		--persistent) PERSISTENT=1; shift ;;
		--bind)
			[ $# -ge 2 ] || usage_error "--bind needs a PCI address"
			DEVICES+=("$(pci_full "$2")") || exit 2
			shift 2
			;;
		--unsafe-noiommu) NOIOMMU=1; shift ;;
		--dry-run) DRY_RUN=1; shift ;;
		-h | --help) usage; exit 0 ;;
		*) usage_error "unknown argument '$1'" ;;
		esac
	done
	[ "$PAGES" -gt 0 ] || usage_error "--pages must be at least 1"
}

# pci_full ADDR: prints ADDR as DOMAIN:BUS:DEV.FN (0000: added when missing).
pci_full() {
	local a=${1,,}
	[[ $a =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && a=0000:$a
	if ! [[ $a =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
		usage_error "bad PCI address '$1' (expected e.g. 0000:03:00.0)"
	fi
	printf '%s\n' "$a"
}

step_hugepages() {
	local cur total
	cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null) || die "cannot read /proc/sys/vm/nr_hugepages"
	if [ "$cur" -ge "$PAGES" ]; then
		say "hugepages: vm.nr_hugepages is $cur (>= $PAGES): nothing to reserve"
	else
		say "hugepages: vm.nr_hugepages is $cur, reserving $PAGES"
		run sysctl -w "vm.nr_hugepages=$PAGES"
		if [ "$DRY_RUN" -eq 0 ]; then
			total=$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo)
			[ "${total:-0}" -ge "$PAGES" ] ||
				die "the kernel reserved only ${total:-0} of $PAGES hugepages (memory too fragmented: reserve at boot, or fewer)"
		fi
	fi
	if [ "$PERSISTENT" -eq 1 ]; then
		say "hugepages: at every boot through $SYSCTL_FILE"
		write_file "$SYSCTL_FILE" "vm.nr_hugepages = $PAGES"
	fi
}

step_mount() {
	if mountpoint -q "$HUGE_MNT" 2>/dev/null; then
		say "hugetlbfs: $HUGE_MNT is mounted"
		return
	fi
	say "hugetlbfs: mounting on $HUGE_MNT"
	run mkdir -p "$HUGE_MNT"
	run mount -t hugetlbfs nodev "$HUGE_MNT"
}

step_module() {
	say "$DRIVER: loading the module"
	run modprobe "$DRIVER"
}

# Sets IOMMU_OK=1 if the kernel has IOMMU groups.
step_iommu() {
	local groups
	groups=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	if [ "$groups" -gt 0 ]; then
		say "iommu: $groups IOMMU groups"
		return
	fi
	if dmesg 2>/dev/null | grep -qiE 'DMAR: IOMMU enabled|AMD-Vi: .*enabled|iommu: Default domain'; then
		say "iommu: dmesg shows an IOMMU but /sys/kernel/iommu_groups is empty"
	else
		say "iommu: none (no /sys/kernel/iommu_groups; kernel arguments intel_iommu=on iommu=pt, or amd_iommu=on iommu=pt, then reboot)"
	fi
	[ ${#DEVICES[@]} -gt 0 ] || return
	if [ "$NOIOMMU" -eq 1 ]; then
		say "iommu: vfio no-IOMMU mode (--unsafe-noiommu: no DMA isolation)"
		write_file /sys/module/vfio/parameters/enable_unsafe_noiommu_mode 1
	else
		problem "no IOMMU: $DRIVER cannot take a device (enable the IOMMU, or --unsafe-noiommu on a test host)"
	fi
}

step_bind() {
	local dev sys drv ifc
	[ ${#DEVICES[@]} -gt 0 ] || { say "bind: no --bind device"; return; }
	if ! command -v dpdk-devbind.py >/dev/null; then
		problem "dpdk-devbind.py not found (Debian package 'dpdk')"
	fi
	for dev in "${DEVICES[@]}"; do
		sys=/sys/bus/pci/devices/$dev
		if [ ! -e "$sys" ]; then
			problem "no PCI device $dev on this host ('dpdk-devbind.py --status' lists them)"
			say "bind: $dev to $DRIVER"
			run dpdk-devbind.py "--bind=$DRIVER" "$dev"
			continue
		fi
		drv=
		[ -e "$sys/driver" ] && drv=$(basename "$(readlink -f "$sys/driver")")
		if [ "$drv" = "$DRIVER" ]; then
			say "bind: $dev is already bound to $DRIVER"
			continue
		fi
		say "bind: $dev (driver ${drv:-none}) to $DRIVER; back with: dpdk-devbind.py --bind=${drv:-DRIVER} $dev"
		for ifc in "$sys"/net/* "$sys"/virtio*/net/*; do
			[ -e "$ifc" ] || continue
			ifc=$(basename "$ifc")
			# Like dpdk-devbind.py, leave an interface in use alone (it
			# may be how this host is reached).
			if [ -n "$(ip -o addr show dev "$ifc" scope global 2>/dev/null)" ] ||
				[ -n "$(ip -o route show dev "$ifc" 2>/dev/null)" ]; then
				problem "$dev is $ifc, which has addresses or routes (in use?): if it is the NIC for tern, 'ip addr flush dev $ifc; ip link set $ifc down' first"
			fi
			run ip link set "$ifc" down
		done
		run dpdk-devbind.py "--bind=$DRIVER" "$dev"
	done
}

main() {
	parse_args "$@"
	if [ "$DRY_RUN" -eq 1 ]; then
		say "dry run: printing the commands, running none"
	elif [ "$(id -u)" -ne 0 ]; then
		die "needs root (or --dry-run to see the plan)"
	fi
	step_hugepages
	step_mount
	step_module
	step_iommu
	step_bind
	if [ "$DRY_RUN" -eq 1 ]; then
		say "dry run done ($N_WARN warning(s))"
	else
		say "done; check with: grep Huge /proc/meminfo; dpdk-devbind.py --status"
	fi
}

main "$@"
