/* SPDX-License-Identifier: BSD-3-Clause */
/* ternd --metrics: see metrics_http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "decimal.h"
#include "metrics.h"
#include "metrics_http.h"
#include "out.h"

#ifdef TERN_HAVE_MHD
#include <microhttpd.h>

/* Scrapers at once, and how long a silent one may hold its connection. */
#define HTTP_MAX_CONNECTIONS 8
#define HTTP_TIMEOUT_S 10
/* What Prometheus expects of the text format. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct tern_metrics_http {
	struct MHD_Daemon *d;
	const struct tern_engine *e;
	int fd;
};

/* "IPV4:PORT" or "[IPV6]:PORT" into ss. 0 or -EINVAL. */
static int
parse_addr(const char *s, struct sockaddr_storage *ss, bool *v6)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hlen;
	uint64_t port;

	if (colon == NULL || tern_dec_parse(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*v6 = true;
		return 0;
	}
	return -EINVAL;
}

static enum MHD_Result
answer_text(struct MHD_Connection *conn, unsigned status, const char *type, const char *text,
	    size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET (or HEAD) /metrics: show metrics; anything else an error. Runs in
 * tern_metrics_http_run, on the control thread. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct tern_metrics_http *h = cls;
	static const char *const not_found = "not found: the metrics are at /metrics\n";
	static const char *const no_memory = "out of memory\n";
	static const char *const not_allowed = "only GET and HEAD\n";
	struct tern_out o;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) { /* the headers: answer once the request is complete */
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0; /* a body is ignored */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
				   strlen(not_allowed));
	if (strcmp(url, "/metrics") != 0)
		return answer_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
				   strlen(not_found));
	tern_out_init(&o);
	tern_metrics_write(&o, h->e);
	if (o.oom)
		ret = answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", no_memory,
				  strlen(no_memory));
	else
		ret = answer_text(conn, MHD_HTTP_OK, PROM_CONTENT_TYPE, o.buf != NULL ? o.buf : "",
				  o.len);
	tern_out_free(&o);
	return ret;
}

struct tern_metrics_http *
tern_metrics_http_open(const char *addr, const struct tern_engine *e, struct tern_err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct tern_metrics_http *h;
	bool v6 = false;

	if (parse_addr(addr, &ss, &v6) < 0) {
		errno = EINVAL;
		tern_err_set(err, EINVAL, "--metrics: bad address '%.64s' (expected IPV4:PORT or "
			     "[IPV6]:PORT, e.g. 127.0.0.1:9469)", addr);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		tern_err_set(err, ENOMEM, "--metrics: out of memory");
		return NULL;
	}
	h->e = e;
	/* No MHD_USE_INTERNAL_POLLING_THREAD: MHD answers only in MHD_run, on
	 * the thread that calls it (the control thread). */
	h->d = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
				on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
				MHD_OPTION_END);
	info = h->d != NULL ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (info == NULL) {
		int e2 = errno != 0 ? errno : EADDRINUSE;

		if (h->d != NULL)
			MHD_stop_daemon(h->d);
		free(h);
		errno = e2;
		tern_err_set(err, e2, "--metrics: cannot serve HTTP on %.64s: %s", addr,
			     strerror(e2));
		return NULL;
	}
	h->fd = info->epoll_fd;
	return h;
}

bool
tern_metrics_http_available(void)
{
	return true;
}

int
tern_metrics_http_fd(const struct tern_metrics_http *h)
{
	return h->fd;
}

void
tern_metrics_http_run(struct tern_metrics_http *h)
{
	MHD_run(h->d);
}

void
tern_metrics_http_close(struct tern_metrics_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

#else /* no libmicrohttpd */

struct tern_metrics_http {
	int fd;
};

struct tern_metrics_http *
tern_metrics_http_open(const char *addr, const struct tern_engine *e, struct tern_err *err)
{
	(void)addr;
	(void)e;
	errno = ENOTSUP;
	tern_err_set(err, ENOTSUP, "--metrics: this ternd was built without libmicrohttpd "
		     "(apt-get install libmicrohttpd-dev, then rebuild); use "
		     "'ternctl show metrics' instead");
	return NULL;
}

bool
tern_metrics_http_available(void)
{
	return false;
}

int
tern_metrics_http_fd(const struct tern_metrics_http *h)
{
	return h->fd;
}

void
tern_metrics_http_run(struct tern_metrics_http *h)
{
	(void)h;
}

void
tern_metrics_http_close(struct tern_metrics_http *h)
{
	(void)h;
}

#endif
