/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "control_proto.h"
#include "control_socket.h"

#define MAX_CLIENTS TERN_CTL_MAX_CLIENTS
#define READ_CHUNK 4096
/* A client that sends more than this without reading its answers is cut off. */
#define MAX_PENDING_OUT (4u << 20)

struct ctl_client {
	int fd;                             /**< -1 when the slot is free */
	bool skipping;                      /**< discarding a refused line up to its '\n' */
	uint64_t active_ms;                 /**< accepted, ran a line or took answer bytes */
	size_t in_len;
	char in[TERN_CMD_LINE_MAX + 1];     /**< a partial line */
	char *out;                          /**< answers not yet written */
	size_t out_len, out_off, out_cap;
};

struct tern_ctl_server {
	int fd;
	dev_t dev;                          /**< the socket file we made, to remove */
	ino_t ino;                          /**< only that one at exit */
	unsigned idle_ms;                   /**< a client without progress this long is closed */
	int wake_fd;                        /**< tern_ctl_wake_on's, or -1 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client c[MAX_CLIENTS];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
tern_ctl_default_path(const char *prefix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", TERN_CTL_DIR,
		 prefix != NULL && *prefix != '\0' ? prefix : TERN_CTL_DEFAULT_PREFIX);
}

/* mkdir -p for the socket's parent directory. */
static int
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* True if something accepts connections at addr (another ternd). */
static bool
socket_is_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return live;
}

static int
set_mode(const char *path, gid_t gid, struct tern_err *err)
{
	if (gid != (gid_t)-1) {
		if (chown(path, (uid_t)-1, gid) < 0)
			return tern_err_set(err, errno, "control socket %s: cannot give it to group %u: %s",
					    path, (unsigned)gid, strerror(errno));
		if (chmod(path, 0660) < 0)
			return tern_err_set(err, errno, "control socket %s: chmod: %s", path,
					    strerror(errno));
		return 0;
	}
	if (chmod(path, 0600) < 0)
		return tern_err_set(err, errno, "control socket %s: chmod: %s", path, strerror(errno));
	return 0;
}

static const char *
file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "regular file";
	if (S_ISLNK(mode))
		return "symbolic link";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "device";
	return "file";
}

/*
 * What is at the socket's path may be replaced only if it is a socket nobody
 * answers on (left by a ternd that did not exit cleanly); nothing there is
 * fine too. Anything else is an error naming it: ternd never deletes a file.
 */
static int
check_path_free(const struct sockaddr_un *addr, const char *path, struct tern_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return tern_err_set(err, errno, "control socket %s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return tern_err_set(err, EISDIR, "control socket %s is a directory (give the path "
				    "of the socket file to create, e.g. %s/ternd.sock)", path, path);
	if (!S_ISSOCK(st.st_mode))
		return tern_err_set(err, EEXIST, "control socket %s: a %s is there, not a socket; "
				    "ternd replaces only a stale socket (remove it, or give another "
				    "--control)", path, file_kind(st.st_mode));
	if (socket_is_live(addr))
		return tern_err_set(err, EADDRINUSE, "control socket %s is in use: another ternd "
				    "runs there (give a different --control or --file-prefix)", path);
	if (unlink(path) < 0 && errno != ENOENT) /* stale: its ternd did not exit cleanly */
		return tern_err_set(err, errno, "cannot remove the stale control socket %s: %s",
				    path, strerror(errno));
	return 0;
}

/* Note which file the bind created, so that only it is removed. */
static void
remember_file(struct tern_ctl_server *s)
{
	struct stat st;

	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
}

/* Remove the socket file if it is still the one we made (not a file someone
 * put there since). */
static void
remove_file(const struct tern_ctl_server *s)
{
	struct stat st;

	if (s->ino != 0 && lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
}

static int
listen_at(struct tern_ctl_server *s, gid_t gid, struct tern_err *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int ret;

	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	ret = make_parent(s->path);
	if (ret < 0)
		return tern_err_set(err, -ret, "cannot create the directory of control socket %s: %s",
				    s->path, strerror(-ret));
	ret = check_path_free(&addr, s->path, err);
	if (ret < 0)
		return ret;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return tern_err_set(err, errno, "control socket: %s", strerror(errno));
	old_umask = umask(0177); /* never world-accessible, not even briefly */
	ret = bind(s->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret < 0)
		return tern_err_set(err, errno, "cannot bind control socket %s: %s", s->path,
				    strerror(errno));
	remember_file(s);
	if (listen(s->fd, MAX_CLIENTS) < 0)
		return tern_err_set(err, errno, "cannot listen on control socket %s: %s", s->path,
				    strerror(errno));
	return set_mode(s->path, gid, err);
}

struct tern_ctl_server *
tern_ctl_open(const char *path, gid_t gid, unsigned idle_s, struct tern_err *err)
{
	struct tern_ctl_server *s;
	int ret;

	if (strlen(path) >= sizeof(s->path)) {
		tern_err_set(err, ENAMETOOLONG, "control socket path too long: %zu bytes, a Unix "
			     "socket address holds at most %zu (give a shorter --control, or "
			     "--file-prefix for the default path): %s",
			     strlen(path), sizeof(s->path) - 1, path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		tern_err_set(err, ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->fd = -1;
	s->wake_fd = -1;
	s->idle_ms = idle_s * 1000u;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		s->c[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	ret = listen_at(s, gid, err);
	if (ret < 0) {
		if (s->fd >= 0) {
			close(s->fd);
			remove_file(s); /* bound, then chmod failed */
		}
		free(s);
		errno = -ret;
		return NULL;
	}
	return s;
}

static void
client_close(struct ctl_client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int
out_append(struct ctl_client *c, const char *data, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		if (cap > MAX_PENDING_OUT)
			return -ENOBUFS;
		p = realloc(c->out, cap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Queue one answer: "ok|error <len>\n" and the body. */
static int
answer(struct ctl_client *c, bool ok, const char *body, size_t len)
{
	char head[48];
	int n = snprintf(head, sizeof(head), "%s %zu\n", ok ? TERN_CTL_OK : TERN_CTL_ERROR, len);
	int ret = out_append(c, head, (size_t)n);

	return ret == 0 ? out_append(c, body, len) : ret;
}

static int
run_line(struct ctl_client *c, struct tern_engine *e, const char *line)
{
	struct tern_out out;
	struct tern_err err = { "" };
	char msg[TERN_ERR_MSG_MAX + 1];
	int ret;

	tern_out_init(&out);
	ret = tern_cmd_exec(e, line, &out, &err);
	if (ret == 0) {
		ret = answer(c, true, out.buf != NULL ? out.buf : "", out.len);
	} else {
		int n = snprintf(msg, sizeof(msg), "%s\n", err.msg);

		ret = answer(c, false, msg, (size_t)n);
	}
	tern_out_free(&out);
	return ret;
}

static int
answer_too_long(struct ctl_client *c)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "line too long (max %d bytes)\n", TERN_CMD_LINE_MAX);

	return answer(c, false, msg, (size_t)n);
}

static int
answer_nul(struct ctl_client *c, size_t at)
{
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "line contains a NUL byte (at byte %zu); "
			 "commands are text\n", at);

	return answer(c, false, msg, (size_t)n);
}

/* Refuse the rest of the current line: answered now, skipped up to '\n'. */
static int
refuse_line(struct ctl_client *c, int answered)
{
	c->skipping = true;
	c->in_len = 0;
	return answered;
}

/* Feed received bytes: run each complete line, keep the partial one. */
static int
client_input(struct ctl_client *c, struct tern_engine *e, const char *data, size_t len)
{
	int ret = 0;

	for (size_t i = 0; i < len && ret == 0; i++) {
		char ch = data[i];

		if (ch == '\n') {
			if (c->skipping) {
				c->skipping = false;
			} else {
				c->in[c->in_len] = '\0';
				ret = run_line(c, e, c->in);
			}
			c->in_len = 0;
			c->active_ms = now_ms();
		} else if (c->skipping) {
			continue;
		} else if (ch == '\0') {
			ret = refuse_line(c, answer_nul(c, c->in_len + 1));
		} else if (c->in_len == TERN_CMD_LINE_MAX) {
			ret = refuse_line(c, answer_too_long(c));
		} else {
			c->in[c->in_len++] = ch;
		}
	}
	return ret;
}

/* Write what we can; 0 to keep the client, -1 to drop it. */
static int
client_flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->out_off += (size_t)n;
		c->active_ms = now_ms();
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static void
client_read(struct ctl_client *c, struct tern_engine *e)
{
	char buf[READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c); /* a partial line is dropped unrun */
		return;
	}
	if (client_input(c, e, buf, (size_t)n) < 0 || client_flush(c) < 0)
		client_close(c);
}

/* The slot of the client that made no progress for the longest. */
static unsigned
longest_idle(const struct tern_ctl_server *s)
{
	unsigned best = 0;

	for (unsigned i = 1; i < MAX_CLIENTS; i++)
		if (s->c[i].active_ms < s->c[best].active_ms)
			best = i;
	return best;
}

/*
 * Take the pending connections (at most MAX_CLIENTS a call, so a flood of
 * connects cannot hold the control loop). When all slots are taken, the
 * client idle the longest gives way (its unfinished line is not run): an
 * operator can always get in, however many connections are held open.
 */
static void
accept_clients(struct tern_ctl_server *s)
{
	for (unsigned n = 0; n < MAX_CLIENTS; n++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		unsigned i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CLIENTS && s->c[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			i = longest_idle(s);
			client_close(&s->c[i]);
		}
		s->c[i].fd = fd;
		s->c[i].active_ms = now_ms();
	}
}

/* Close the clients that made no progress for idle_ms. */
static void
close_idle(struct tern_ctl_server *s)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0 && now - s->c[i].active_ms >= s->idle_ms)
			client_close(&s->c[i]);
}

int
tern_ctl_poll(struct tern_ctl_server *s, struct tern_engine *e, int timeout_ms)
{
	struct pollfd pfd[MAX_CLIENTS + 2];
	unsigned slot[MAX_CLIENTS + 2];
	unsigned n = 0, nc;

	pfd[n++] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (s->c[i].fd < 0)
			continue;
		slot[n] = i;
		pfd[n++] = (struct pollfd){
			.fd = s->c[i].fd,
			.events = POLLIN | (s->c[i].out_len != 0 ? POLLOUT : 0),
		};
	}
	nc = n; /* the clients are pfd[1..nc-1]; wake_fd, the caller's, after them */
	if (s->wake_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	if (poll(pfd, n, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned k = 1; k < nc; k++) {
		struct ctl_client *c = &s->c[slot[k]];

		if (pfd[k].revents & POLLOUT && client_flush(c) < 0)
			client_close(c);
		else if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(c, e);
	}
	if (pfd[0].revents & POLLIN)
		accept_clients(s);
	close_idle(s);
	return 0;
}

void
tern_ctl_wake_on(struct tern_ctl_server *s, int fd)
{
	s->wake_fd = fd;
}

void
tern_ctl_close(struct tern_ctl_server *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0)
			client_close(&s->c[i]);
	close(s->fd);
	remove_file(s);
	free(s);
}
