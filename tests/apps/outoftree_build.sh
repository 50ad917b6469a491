#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build a tern app out of tree, the way a user would, with only
# `pkg-config --cflags tern-app`, then load it with the tern loader:
#   1. against the build tree (meson-uninstalled/tern-app-uninstalled.pc);
#   2. against a real `meson install --destdir` (the installed tern-app.pc).
# Usage: outoftree_build.sh BUILD_DIR HELLO_APP.c LOAD_CHECK PREFIX LIBDIR
set -eu

build=$1 src=$2 load_check=$3 prefix=$4 libdir=$5
cc=${CC:-cc}
tmp=$(mktemp -d /tmp/tern-outoftree.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() {
	echo "outoftree_build: $*" >&2
	exit 1
}

# docs/apps.md shows hello_app.c: it must be this file, word for word.
docs=$(dirname "$src")/../../../docs/apps.md
awk '/^A complete app \(`hello_app.c`/ { on = 1 } on && /^```c$/ { inb = 1; next }
	inb && /^```$/ { exit } inb { print }' "$docs" >"$tmp/doc_hello_app.c"
cmp -s "$tmp/doc_hello_app.c" "$src" ||
	fail "docs/apps.md's hello_app.c differs from $src: $(diff "$tmp/doc_hello_app.c" "$src" | head -5)"

# Compile hello_app.c with the given cflags into $1 and load it.
build_and_load() {
	so=$1
	shift
	echo "outoftree_build: $cc -shared -fPIC $* -o $so $src"
	"$cc" -shared -fPIC -std=gnu11 -Wall -Wextra -Werror -fvisibility=hidden "$@" -o "$so" "$src" ||
		fail "compiling $src with '$*' failed"
	"$load_check" "$so" || fail "$so did not load or did not reply hello"
}

# 1. Uninstalled: the .pc meson writes into the build tree.
pcdir=$build/meson-uninstalled
[ -f "$pcdir/tern-app-uninstalled.pc" ] || fail "$pcdir/tern-app-uninstalled.pc missing"
cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags tern-app) ||
	fail "pkg-config --cflags tern-app failed with PKG_CONFIG_PATH=$pcdir"
case $cflags in *-I*) ;; *)
	fail "$pcdir/tern-app-uninstalled.pc gives no -I (cflags '$cflags'): pkg.generate in" \
		"the top-level meson.build must point the uninstalled Cflags at dataplane/include";;
esac
# shellcheck disable=SC2086 # cflags is a list of words
build_and_load "$tmp/libhello-uninstalled.so" $cflags

# 2. Installed into a staging root.
root=$tmp/root
meson install -C "$build" --destdir "$root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "meson install --destdir $root failed"; }
case $prefix in /*) ;; *) fail "prefix '$prefix' is not absolute";; esac
case $libdir in /*) libdir_abs=$libdir ;; *) libdir_abs=$prefix/$libdir ;; esac
pcdir=$root$libdir_abs/pkgconfig
[ -f "$pcdir/tern-app.pc" ] || fail "installed tern-app.pc not found in $pcdir"
[ -f "$root$prefix/include/tern/app.h" ] || fail "tern/app.h not installed under $root$prefix/include"
[ -f "$root$libdir_abs/tern/apps/libudp_responder.so" ] ||
	fail "libudp_responder.so not installed in $root$libdir_abs/tern/apps"
cflags=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
	pkg-config --cflags tern-app) || fail "pkg-config --cflags tern-app failed on the installed .pc"
case $cflags in *"$root"*) ;; *) fail "installed cflags '$cflags' do not point into $root";; esac
# shellcheck disable=SC2086
build_and_load "$tmp/libhello-installed.so" $cflags
echo "outoftree_build: ok"
