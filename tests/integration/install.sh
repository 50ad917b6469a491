#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: `meson install --destdir` gives an operator what a real
# host needs, and it works:
#   1. ternd and ternctl in BINDIR; the apps in the app directory, which is
#      the installed ternd's default --app-dir;
#   2. <tern/app.h> and tern-app.pc: pkg-config resolves it inside the
#      staging root and an app source compiles against it;
#   3. the man pages ternd.8 and ternctl.8 render without a warning and name
#      every option of `ternd -- --help` and `ternctl --help` in OPTIONS;
#   4. ternd@.service passes `systemd-analyze verify` (on the staging root);
#      its ExecStart, expanded as systemd would, starts the installed ternd
#      with the installed example.cmds; ternctl -p INSTANCE reaches it; SIGTERM
#      stops it with status 0 and its counters;
#   5. scripts/setup-host.sh --dry-run plans hugepages, hugetlbfs, vfio-pci,
#      the IOMMU check and dpdk-devbind.py, and runs none of it (the commands
#      that change a host are stubs here that record any call).
#
# Environment (set by meson): TERND, TERNCTL (for nothing but tern.sh's
# checks), INSTALL_BUILD_ROOT (the build dir), INSTALL_PREFIX, INSTALL_BINDIR,
# INSTALL_LIBDIR, INSTALL_INCLUDEDIR, INSTALL_MANDIR, INSTALL_DATADIR
# (meson's options), INSTALL_APP_DIR, INSTALL_CONFDIR, INSTALL_UNIT_DIR
# (absolute).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"
ROOT=$(readlink -f "$(dirname "$(readlink -f "$0")")/../..")

tern_need_root
for v in INSTALL_BUILD_ROOT INSTALL_PREFIX INSTALL_BINDIR INSTALL_LIBDIR INSTALL_INCLUDEDIR \
	INSTALL_MANDIR INSTALL_DATADIR INSTALL_APP_DIR INSTALL_CONFDIR INSTALL_UNIT_DIR; do
	[ -n "${!v:-}" ] || tern_die "\$$v is not set (run through 'meson test')"
done
for tool in meson pkg-config groff man col systemd-analyze; do
	command -v "$tool" >/dev/null ||
		tern_die "$tool not found (scripts/lib/setup.sh's TERN_PACKAGES installs it)"
done
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

# abs DIR: meson's directory option DIR made absolute under the prefix.
abs() {
	case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$INSTALL_PREFIX/$1" ;; esac
}

tern_mktemp
R=$TERN_TMP/root
bindir=$(abs "$INSTALL_BINDIR")
libdir=$(abs "$INSTALL_LIBDIR")
incdir=$(abs "$INSTALL_INCLUDEDIR")
mandir=$(abs "$INSTALL_MANDIR")
docdir=$(abs "$INSTALL_DATADIR")/doc/tern
appdir=$INSTALL_APP_DIR
unitdir=$INSTALL_UNIT_DIR
confdir=$INSTALL_CONFDIR

meson install -C "$INSTALL_BUILD_ROOT" --destdir "$R" --no-rebuild --quiet \
	>"$TERN_TMP/install.log" 2>&1 ||
	{ cat "$TERN_TMP/install.log" >&2; tern_fail "meson install --destdir $R failed"; }
tern_say "installed into $R"

# 1. Binaries and apps.
for f in "$bindir/ternd" "$bindir/ternctl"; do
	[ -x "$R$f" ] || tern_fail "$f not installed (or not executable) under $R"
done
for f in libudp_responder.so libkv.so; do
	[ -f "$R$appdir/$f" ] || tern_fail "$f not installed in the app directory $appdir"
done
"$R$bindir/ternd" -- --help >"$TERN_TMP/ternd.help" 2>&1 ||
	tern_fail "the installed ternd -- --help failed: $(cat "$TERN_TMP/ternd.help")"
"$R$bindir/ternctl" --help >"$TERN_TMP/ternctl.help" 2>&1 ||
	tern_fail "the installed ternctl --help failed: $(cat "$TERN_TMP/ternctl.help")"
default_appdir=$(sed -n 's/^ *--app-dir DIR .*(default \(.*\))$/\1/p' "$TERN_TMP/ternd.help")
[ "$default_appdir" = "$appdir" ] ||
	tern_fail "installed ternd's default --app-dir is '$default_appdir', the apps are in '$appdir'"
tern_say "ok: ternd, ternctl; apps in ternd's default --app-dir $appdir"

# 2. Header and pkg-config.
[ -f "$R$incdir/tern/app.h" ] || tern_fail "tern/app.h not installed in $incdir"
pcdir=$R$libdir/pkgconfig
[ -f "$pcdir/tern-app.pc" ] || tern_fail "tern-app.pc not installed in $libdir/pkgconfig"
flags=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$R \
	pkg-config --cflags --libs tern-app) || tern_fail "pkg-config --cflags --libs tern-app failed"
case " $flags " in *" -I$R$incdir "*) ;; *)
	tern_fail "pkg-config gives '$flags', not -I$R$incdir" ;;
esac
printf '#include <tern/app.h>\nint tern_install_check;\n' >"$TERN_TMP/check.c"
# shellcheck disable=SC2086 # flags is a list of words
"${CC:-cc}" -std=gnu11 -Wall -Werror -fsyntax-only $flags "$TERN_TMP/check.c" ||
	tern_fail "a source including <tern/app.h> does not compile with '$flags'"
tern_say "ok: tern/app.h and tern-app.pc ($flags)"

# 3. Man pages: no groff or man warning, every option of --help named.
check_man() {
	local page=$1 help=$2 out opt
	[ -f "$page" ] || tern_fail "man page $page not installed"
	out=$(groff -man -z -ww "$page" 2>&1) || tern_fail "groff fails on $page: $out"
	[ -z "$out" ] || tern_fail "groff warns on $page: $out"
	out=$(MANWIDTH=250 man --warnings -l "$page" 2>&1 >"$TERN_TMP/page.txt") ||
		tern_fail "man -l fails on $page: $out"
	[ -z "$out" ] || tern_fail "man --warnings warns on $page: $out"
	# The rendered text, without overstrike; flat for searching; and the
	# options the OPTIONS section has an entry for ("-h, --help" gives two).
	col -bx <"$TERN_TMP/page.txt" >"$TERN_TMP/page.plain"
	tr -s ' \n\t' ' ' <"$TERN_TMP/page.plain" >"$TERN_TMP/page.flat"
	awk '/^[A-Z]/ { in_opts = ($0 == "OPTIONS") } in_opts && /^       -/ { sub(/^ +/, ""); print }' \
		"$TERN_TMP/page.plain" | grep -oE -- '(^|, )--?[a-z][a-z-]*' | sed 's/^, //' >"$TERN_TMP/page.opts"
	# shellcheck disable=SC2013 # options are words
	for opt in $(grep -oE '^ +(-[a-z], )?--?[a-z][a-z-]*' "$help" | grep -oE -- '--?[a-z][a-z-]*'); do
		grep -qxF -- "$opt" "$TERN_TMP/page.opts" ||
			tern_fail "$(basename "$page")'s OPTIONS has no entry for $opt (from --help)"
	done
}
check_man "$R$mandir/man8/ternd.8" "$TERN_TMP/ternd.help"
grep -qF -- "$appdir" "$TERN_TMP/page.flat" || tern_fail "ternd.8 does not name the app directory $appdir"
check_man "$R$mandir/man8/ternctl.8" "$TERN_TMP/ternctl.help"
tern_say "ok: ternd.8 and ternctl.8"

# 4. The systemd unit.
unit=$R$unitdir/ternd@.service
[ -f "$unit" ] || tern_fail "ternd@.service not installed in $unitdir"
for want in "ExecStart=$bindir/ternd " "EnvironmentFile=$confdir/%i.env" "--exec $confdir/%i.cmds" \
	"--control /run/tern/%i.sock" "RuntimeDirectory=tern" "Restart=on-failure" "KillSignal=SIGTERM"; do
	grep -qF -- "$want" "$unit" || tern_fail "ternd@.service has no '$want'"
done
# systemd-analyze looks the unit up in the root's unit path: a unit dir
# outside it (a custom prefix) is checked from the root's /etc.
case $unitdir in
/etc/systemd/system | /usr/local/lib/systemd/system | /usr/lib/systemd/system | /lib/systemd/system) ;;
*) mkdir -p "$R/etc/systemd/system" && cp "$unit" "$R/etc/systemd/system/" ;;
esac
out=$(MANPATH=$R$mandir systemd-analyze verify --root="$R" --recursive-errors=no \
	ternd@example.service 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	tern_fail "systemd-analyze verify ternd@example.service (status $rc): $out"
fi
tern_say "ok: systemd-analyze verify ternd@example.service"

for f in example.env example.cmds; do
	[ -f "$R$docdir/examples/$f" ] || tern_fail "$f not installed in $docdir/examples"
done
# The env file sets exactly the variables ExecStart uses.
vars=$(grep -vE '^[[:space:]]*(#|$)' "$R$docdir/examples/example.env" | sed 's/=.*//' | sort | tr '\n' ' ')
[ "$vars" = "TERND_EAL TERND_OPTS " ] || tern_fail "example.env sets '$vars', not TERND_EAL TERND_OPTS"

# Run ExecStart as systemd would for instance INSTANCE: %i replaced, each
# $VAR split at spaces, the config dir in TERN_TMP, the binary in the root.
# The EAL and tern options are this test's (no NIC): a net_null port, no
# hugepages, the installed apps (not at their final path yet).
tern_prefix install
inst=$TERN_PREFIX
mkdir -p "$TERN_TMP/conf" || tern_fail "mkdir $TERN_TMP/conf"
cp "$R$docdir/examples/example.cmds" "$TERN_TMP/conf/$inst.cmds" || tern_fail "cannot copy example.cmds"
eal="-l 0,1 --no-pci --no-huge -m 512 --vdev net_null0"
opts="--ip 198.18.0.1/24 --app-dir $R$appdir"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
cmd=()
for w in ${exec_start//%i/$inst}; do
	# shellcheck disable=SC2016 # the literal words of the unit
	case $w in
	'$TERND_EAL') read -ra more <<<"$eal"; cmd+=("${more[@]}") ;;
	'$TERND_OPTS') read -ra more <<<"$opts"; cmd+=("${more[@]}") ;;
	*'$'* | *%*) tern_fail "ExecStart word '$w' is not one this test expands" ;;
	"$confdir"/*) cmd+=("$TERN_TMP/conf/${w#"$confdir"/}") ;;
	*) cmd+=("$w") ;;
	esac
done
[ "${cmd[0]}" = "$bindir/ternd" ] || tern_fail "ExecStart runs '${cmd[0]}', not $bindir/ternd"
TERND=$R$bindir/ternd
tern_say "ExecStart: ternd ${cmd[*]:1}"
log=$TERN_TMP/ternd.log
ternd_start "$log" "${cmd[@]:1}"
ternd_wait_ready "$log" 60 || tern_fail "ternd did not start with the unit's command line"
apps=$("$R$bindir/ternctl" -p "$inst" show apps) || tern_fail "ternctl -p $inst show apps failed"
for name in echo sp; do
	grep -qw "$name" <<<"$apps" || tern_fail "example.cmds' app '$name' is not loaded: $apps"
done
bindings=$("$R$bindir/ternctl" -p "$inst" show bindings) || tern_fail "show bindings failed"
for port in 7 11111; do
	grep -qw "$port" <<<"$bindings" || tern_fail "UDP $port is not bound: $bindings"
done
ternd_stop 20
[ "$TERND_RC" = 0 ] || tern_fail "ternd exited with $TERND_RC on SIGTERM, not 0"
grep -q '^total:' "$log" || tern_fail "ternd printed no counters on SIGTERM"
grep -q 'leaked=0' "$log" || tern_fail "ternd's mbuf check on exit: $(grep mbufs: "$log")"
[ ! -e "/run/tern/$inst.sock" ] || tern_fail "ternd left /run/tern/$inst.sock behind"
tern_say "ok: the unit's ExecStart with example.cmds starts, answers ternctl -p, stops on SIGTERM"

# 5. setup-host.sh --dry-run: the plan, and nothing run. The commands that
# change a host are stubs that record any call.
stubs=$TERN_TMP/stubs
mkdir -p "$stubs"
for c in sysctl mount umount mkdir modprobe dpdk-devbind.py tee rm; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$TERN_TMP/ran" >"$stubs/$c"
	chmod +x "$stubs/$c"
done
# ip: reading (addr show, route show) is allowed; changing is recorded.
real_ip=$(command -v ip) || tern_fail "ip not found"
cat >"$stubs/ip" <<EOF
#!/bin/sh
case " \$* " in *" show "*) exec "$real_ip" "\$@" ;; esac
echo "ip \$*" >>"$TERN_TMP/ran"
EOF
chmod +x "$stubs/ip"
pages_before=$(cat /proc/sys/vm/nr_hugepages)
sysctl_file=/etc/sysctl.d/80-tern-hugepages.conf
had_sysctl_file=0
[ -e "$sysctl_file" ] && had_sysctl_file=1
# More pages than any host holds, and a PCI address no host here has: the
# plan then has every step.
plan=$(PATH=$stubs:$PATH "$ROOT/scripts/setup-host.sh" --dry-run --pages 4000000 --persistent \
	--bind 0000:fe:1f.7 2>&1) || tern_fail "setup-host.sh --dry-run failed: $plan"
printf '%s\n' "$plan" | sed 's/^/    /'
[ ! -e "$TERN_TMP/ran" ] || tern_fail "the dry run ran: $(cat "$TERN_TMP/ran")"
[ "$(cat /proc/sys/vm/nr_hugepages)" = "$pages_before" ] || tern_fail "the dry run changed vm.nr_hugepages"
if [ "$had_sysctl_file" = 0 ] && [ -e "$sysctl_file" ]; then
	tern_fail "the dry run wrote $sysctl_file"
fi
for want in "+ sysctl -w vm.nr_hugepages=4000000" "+ echo 'vm.nr_hugepages = 4000000' > $sysctl_file" \
	"+ modprobe vfio-pci" "iommu:" "+ dpdk-devbind.py --bind=vfio-pci 0000:fe:1f.7"; do
	grep -qF -- "$want" <<<"$plan" || tern_fail "the dry run's plan has no '$want'"
done
grep -qE -- '^\+ mount -t hugetlbfs nodev /dev/hugepages$|hugetlbfs: /dev/hugepages is mounted' <<<"$plan" ||
	tern_fail "the dry run's plan says nothing about hugetlbfs on /dev/hugepages"
# The NIC this host is reached by (the default route's), if it is a PCI
# device: the plan must refuse to take its interface down.
gw_if=$(ip -o route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
gw_dev=
if [ -n "$gw_if" ] && [ -e "/sys/class/net/$gw_if/device" ]; then
	gw_dev=$(readlink -f "/sys/class/net/$gw_if/device")
	case $(basename "$gw_dev") in virtio*) gw_dev=$(dirname "$gw_dev") ;; esac
	gw_dev=$(basename "$gw_dev")
	[[ $gw_dev =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] || gw_dev=
fi
if [ -n "$gw_dev" ]; then
	plan=$(PATH=$stubs:$PATH "$ROOT/scripts/setup-host.sh" --dry-run --bind "$gw_dev" 2>&1) ||
		tern_fail "setup-host.sh --dry-run --bind $gw_dev failed: $plan"
	grep -qF "$gw_dev is $gw_if, which has addresses or routes" <<<"$plan" ||
		tern_fail "the plan for $gw_dev ($gw_if, the default route's) does not say it is in use: $plan"
	tern_say "ok: setup-host.sh --dry-run --bind $gw_dev warns that $gw_if is in use"
else
	tern_say "note: the default route's interface is not a PCI NIC: the in-use case is not checked"
fi
[ ! -e "$TERN_TMP/ran" ] || tern_fail "the dry run ran: $(cat "$TERN_TMP/ran")"

# A bad command line: status 2 and a message, nothing run.
for bad in "--pages x" "--bind 3:0" "--frob"; do
	# shellcheck disable=SC2086 # the words of the bad command line
	PATH=$stubs:$PATH "$ROOT/scripts/setup-host.sh" --dry-run $bad >"$TERN_TMP/bad.out" 2>&1
	rc=$?
	[ "$rc" = 2 ] || tern_fail "setup-host.sh $bad: status $rc, not 2"
	grep -q '^setup-host.sh: error: ' "$TERN_TMP/bad.out" || tern_fail "setup-host.sh $bad: no error line"
done
[ ! -e "$TERN_TMP/ran" ] || tern_fail "a refused command line ran: $(cat "$TERN_TMP/ran")"
# A real run needs root: as nobody it stops with status 1 before any step.
if command -v runuser >/dev/null && runuser -u nobody -- test -r "$ROOT/scripts/setup-host.sh"; then
	out=$(runuser -u nobody -- bash "$ROOT/scripts/setup-host.sh" --pages 1 2>&1)
	rc=$?
	if [ "$rc" != 1 ] || ! grep -q '^setup-host.sh: error: needs root' <<<"$out"; then
		tern_fail "setup-host.sh as nobody: status $rc, not 1 with 'needs root': $out"
	fi
else
	tern_say "note: no runuser, or nobody cannot read the script: the non-root case is not checked"
fi
tern_say "ok: setup-host.sh --dry-run plans hugepages, hugetlbfs, vfio-pci, IOMMU, dpdk-devbind.py"
tern_say "PASS"
