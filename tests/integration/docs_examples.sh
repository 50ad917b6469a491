#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the examples of docs/commands.md and docs/apps.md are
# what ternd answers.
# Every "> COMMAND" in a fenced block is sent to a real ternd with ternctl
# and its answer compared with the lines the docs show after it: errors
# exactly, rows word by word (same keys and words; numbers may differ),
# JSON by its keys (tests/tools/doc_examples.py says how). The ternd has two
# workers (--lcores: on one CPU), a net_null port, --idle adaptive, and an app
# directory holding the apps the examples load (the docs' /opt/tern/apps).
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, KV_APP, BAD_ABI,
# BAD_NOABI, BAD_INIT, EVENT_APP, SWAP_APP_A, HIDDEN_APP, DOC_EXAMPLES.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"
ROOT=$(readlink -f "$(dirname "$(readlink -f "$0")")/../..")

tern_need_root
tern_need_var TERND TERNCTL RESPONDER KV_APP BAD_ABI BAD_NOABI BAD_INIT BAD_SIZE BAD_NOINIT EVENT_APP SWAP_APP_A HIDDEN_APP DOC_EXAMPLES
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
appdir="$TERN_TMP/apps"
sock="$TERN_TMP/ctl.sock"
mkdir "$appdir" || tern_die "mkdir $appdir"
for pair in "$RESPONDER:libudp_responder.so" "$KV_APP:libkv.so" "$BAD_ABI:libbad_abi.so" \
	"$BAD_NOABI:libbad_noabi.so" "$BAD_INIT:libbad_init.so" "$EVENT_APP:libevent_app.so" \
	"$SWAP_APP_A:libswap_app_a.so" "$HIDDEN_APP:libhidden_app.so" \
	"$BAD_SIZE:libbad_size.so" "$BAD_NOINIT:libbad_noinit.so"; do
	cp "${pair%%:*}" "$appdir/${pair#*:}" || tern_die "cannot copy ${pair%%:*}"
done
printf "%s\n" "These notes are not a shared object, and ld.so says so." "Two lines are enough for it to look at the ELF header." >"$appdir/notes.txt"

tern_prefix docs
ternd_start "$TERN_TMP/ternd.log" --lcores '0@0,1@1,2@1' --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev net_null0 \
	-- --ip 198.18.0.1/24 --app-dir "$appdir" --control "$sock" --idle adaptive
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start"

/usr/bin/python3 "$DOC_EXAMPLES" --ternctl "$TERNCTL" --socket "$sock" --subst "/opt/tern/apps=$appdir" \
	"$ROOT/docs/commands.md" "$ROOT/docs/apps.md" || tern_fail "the docs' examples differ from what ternd answers"

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS"
