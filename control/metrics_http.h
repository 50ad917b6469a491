/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `ternd --metrics ADDR:PORT`: `show metrics` over HTTP (GET /metrics) for
 * a Prometheus server to scrape, with libmicrohttpd in its external-select
 * mode: no thread of its own. The control thread waits on
 * tern_metrics_http_fd() with its other sockets and then calls
 * tern_metrics_http_run(), which answers on that thread, the one allowed to
 * read the apps. A request is answered in one step (the text is built in
 * memory); a slow client delays nothing but itself (non-blocking sockets, a
 * connection limit and a timeout).
 *
 * Without libmicrohttpd at build time, tern_metrics_http_open() fails with
 * ENOTSUP and says so.
 */
#ifndef TERN_METRICS_HTTP_H
#define TERN_METRICS_HTTP_H

#include <stdbool.h>

#include "engine.h"
#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_metrics_http;

/**
 * Listen on addr, "IPV4:PORT" or "[IPV6]:PORT" (e.g. 127.0.0.1:9469), for
 * the metrics of e. Control thread. NULL with err set (and errno) on a bad
 * address, a port in use, or no libmicrohttpd.
 */
struct tern_metrics_http *tern_metrics_http_open(const char *addr, const struct tern_engine *e,
						 struct tern_err *err);

/** Whether this build has libmicrohttpd (tern_metrics_http_open can work). */
bool tern_metrics_http_available(void);

/** A descriptor that polls readable when the server has work (its epoll fd). */
int tern_metrics_http_fd(const struct tern_metrics_http *h);

/** Accept, read and answer what is ready, without blocking. Control thread. */
void tern_metrics_http_run(struct tern_metrics_http *h);

/** Close every connection and the socket. NULL is fine. */
void tern_metrics_http_close(struct tern_metrics_http *h);

#ifdef __cplusplus
}
#endif

#endif /* TERN_METRICS_HTTP_H */
