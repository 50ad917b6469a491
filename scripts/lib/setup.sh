# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Set-up helpers shared by scripts/test.sh and scripts/run.sh: Debian
# packages, the meson build, hugepages. Source it; functions only.

# Packages tern needs to build, test and run (Debian 12 names).
TERN_PACKAGES=(
	bsdextrautils
	clang
	dpdk
	dpdk-dev
	ethtool
	g++
	gcc
	groff-base
	iproute2
	iputils-ping
	jq
	libclang-rt-14-dev
	libbenchmark-dev
	libbpf-dev
	libssl-dev
	libdpdk-dev
	liburcu-dev
	libxdp-dev
	libmemcached-tools
	libmicrohttpd-dev
	man-db
	memcached
	meson
	ninja-build
	pkg-config
	prometheus
	python3
	python3-scapy
	sockperf
	systemd
	tshark
)

TERN_HUGE_OLD=
TERN_HUGE_MOUNTED=

# tern_as_root CMD...: runs CMD as root (directly, or through sudo).
tern_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "need root to run: $*" >&2
		return 1
	fi
}

# tern_install_deps: installs the missing packages; apt-get update runs only
# when something is missing. Returns non-zero if installation failed.
tern_install_deps() {
	local missing=() p
	for p in "${TERN_PACKAGES[@]}"; do
		if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" != "ii " ]; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all ${#TERN_PACKAGES[@]} required packages are installed"
		return 0
	fi
	echo "installing missing packages: ${missing[*]}"
	tern_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		tern_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}"
}

# tern_build SRC BUILD [MESON_OPTION...]: configures (or reconfigures) and
# builds; the options (e.g. -Db_sanitize=address) are given to meson setup.
tern_build() {
	local src=$1 build=$2
	shift 2
	if [ -f "$build/build.ninja" ]; then
		meson setup --reconfigure "$@" "$build" "$src" ||
			meson setup --wipe "$@" "$build" "$src" || return 1
	else
		meson setup "$@" "$build" "$src" || return 1
	fi
	ninja -C "$build"
}

# tern_hugepages_reserve PAGES: reserves 2 MB hugepages and mounts hugetlbfs
# at /dev/hugepages when needed. Returns 0 if at least PAGES are free then.
# tern_hugepages_restore undoes what this changed.
tern_hugepages_reserve() {
	local want=$1 cur free
	[ -w /proc/sys/vm/nr_hugepages ] || return 1
	cur=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$cur" -lt "$want" ]; then
		TERN_HUGE_OLD=$cur
		echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || return 1
	fi
	if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages &&
			mount -t hugetlbfs nodev /dev/hugepages || return 1
		TERN_HUGE_MOUNTED=1
	fi
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "${free:-0}" -ge "$want" ]
}

tern_hugepages_restore() {
	if [ -n "$TERN_HUGE_MOUNTED" ]; then
		umount /dev/hugepages 2>/dev/null
		TERN_HUGE_MOUNTED=
	fi
	if [ -n "$TERN_HUGE_OLD" ]; then
		echo "$TERN_HUGE_OLD" >/proc/sys/vm/nr_hugepages 2>/dev/null
		TERN_HUGE_OLD=
	fi
}
