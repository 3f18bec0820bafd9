/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c -- --log/--log-format: runc's log lines ({"level","msg","time"} per
 * line in json), so containerd can report our last error. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug;

void rt_log_open(const char *path, bool json, bool debug)
{
	log_json = json;
	log_debug = debug;
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* JSON string escaping for the one field that carries free text. */
static size_t json_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; *src && o + 7 < cap; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

void rt_log(const char *level, const char *fmt, ...)
{
	char msg[2048], esc[4200], line[4400], ts[64];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (!strcmp(level, "debug") && !log_debug)
		return;
	/* Without --log, warnings go to stderr as runc's do; errors are printed
	 * there once by main already. */
	if (log_fd < 0 && strcmp(level, "warning"))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fd < 0) {
		fprintf(stderr, "slxrun: warning: %s\n", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_json) {
		json_escape(esc, sizeof(esc), msg);
		n = snprintf(line, sizeof(line),
			     "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level, esc, ts);
	} else {
		n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"%s\"\n", ts, level,
			     msg);
	}
	if (n > 0)
		(void)!write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
