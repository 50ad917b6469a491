/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control socket server: serves the command language (command.h) to
 * local clients (ternctl) over a Unix stream socket, protocol in
 * control_proto.h. Single-threaded: it runs on the control thread, between
 * which and the workers the only link is RCU, so a slow or stuck client can
 * delay other control commands but never the data path.
 */
#ifndef TERN_CONTROL_SOCKET_H
#define TERN_CONTROL_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

#include "engine.h"
#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Clients served at once; one more makes the one idle the longest give way. */
#define TERN_CTL_MAX_CLIENTS 16
/** Default seconds a client may go without completing a line or taking answer bytes. */
#define TERN_CTL_IDLE_DEFAULT_S 60
#define TERN_CTL_IDLE_MAX_S 86400

struct tern_ctl_server;

/**
 * Listen at path: its directory is created (0755) if missing. A stale socket
 * there is replaced; a live one (another ternd answers), a path longer than a
 * socket address holds, or anything that is not a socket (a file, a
 * directory, a symlink) is an error, and is left as it was. The socket gets
 * mode 0600, or 0660 owned by group gid when gid is not (gid_t)-1. A client
 * that completes no line and takes no answer byte for idle_s seconds is
 * closed. NULL with err set (and errno) on failure.
 */
struct tern_ctl_server *tern_ctl_open(const char *path, gid_t gid, unsigned idle_s,
				      struct tern_err *err);

/**
 * Wait up to timeout_ms for clients, read what they sent, run every complete
 * line against e and queue the answers (a line with a NUL byte, or longer
 * than TERN_CMD_LINE_MAX, is answered with an error, not run); close idle
 * clients. Returns 0 (also when a signal
 * interrupted the wait) or -errno on a failure of the listening socket.
 */
int tern_ctl_poll(struct tern_ctl_server *s, struct tern_engine *e, int timeout_ms);

/** Make tern_ctl_poll also return when fd is readable (another server of
 * the control thread, e.g. metrics_http.h's); -1 for none. The caller
 * serves it after the poll. */
void tern_ctl_wake_on(struct tern_ctl_server *s, int fd);

/** Close every client and the socket, and remove the socket file if it is
 * still the one tern_ctl_open made (not something put there since). */
void tern_ctl_close(struct tern_ctl_server *s);

/** The default socket path for DPDK file prefix (TERN_CTL_DIR/PREFIX.sock). */
void tern_ctl_default_path(const char *prefix, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_CONTROL_SOCKET_H */
