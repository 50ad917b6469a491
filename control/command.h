/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The command language, one command per line. It is spoken by `--exec` files
 * and by the control socket; each command is one call into the engine, and a
 * command that fails changes nothing. The list (docs/commands.md has each in
 * full; `help` prints their usages):
 *
 *   help
 *   app load NAME PATH [key=value ...]
 *   app replace NAME PATH [handoff=exact|snapshot] [key=value ...]
 *   app unload NAME
 *   app budget NAME N
 *   event post NAME TEXT...
 *   bind|rebind udp PORT NAME
 *   unbind udp PORT
 *   canary udp PORT NAME PERCENT [key=value ...]
 *   canary promote|abort udp PORT
 *   ip add ADDR/PREFIX [port N]
 *   trust add|del PREFIX
 *   trust local on|off
 *   show latency [apps|interval] [json]
 *   show flow SRC DST SPORT DPORT [udp|tcp] [json]
 *   show stats|apps|bindings|ports|lcores|events|canary|memory|trust|version [json]
 *   clear stats
 *   clear latency
 *
 * Control thread only (it may wait for RCU grace periods).
 */
#ifndef TERN_COMMAND_H
#define TERN_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "err.h"
#include "exec_file.h"
#include "out.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_CMD_LINE_MAX 1024

/**
 * Run one command line (no newline needed; a line that is empty or starts
 * with '#' after blanks does nothing and returns 0).
 * @return 0 with the answer (possibly empty) appended to out, or -errno with
 * err naming the problem (unknown verb, missing or bad argument, the
 * engine's refusal).
 */
int tern_cmd_exec(struct tern_engine *e, const char *line, struct tern_out *out,
		  struct tern_err *err);


#ifdef __cplusplus
}
#endif

#endif /* TERN_COMMAND_H */
