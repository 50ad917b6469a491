/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control socket's wire protocol, shared by ternd and ternctl.
 *
 * A Unix stream socket. The client sends commands of the command language
 * (command.h), one per line, each ended by '\n' and at most
 * TERN_CMD_LINE_MAX bytes long before it. For every line, in order, the
 * server answers with a header line and a body:
 *
 *     ok <len>\n<len bytes>        the command's output (may be empty)
 *     error <len>\n<len bytes>     one line saying what is wrong; nothing changed
 *
 * A longer line is answered with an error and skipped up to its newline. A
 * line the client did not finish (it closed the socket first) is not run.
 */
#ifndef TERN_CONTROL_PROTO_H
#define TERN_CONTROL_PROTO_H

#ifdef __cplusplus
extern "C" {
#endif

/** Where sockets live by default: TERN_CTL_DIR/<DPDK file prefix>.sock. */
#define TERN_CTL_DIR "/run/tern"
/** DPDK's default --file-prefix. */
#define TERN_CTL_DEFAULT_PREFIX "rte"
#define TERN_CTL_OK "ok"
#define TERN_CTL_ERROR "error"

#ifdef __cplusplus
}
#endif

#endif /* TERN_CONTROL_PROTO_H */
