/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lambda-bootstrap.c -- an AWS Lambda custom runtime (echo function) written against the public
 * Runtime API docs. */

/*
 * Loop: GET /2018-06-01/runtime/invocation/next, answer the event, POST the answer to
 * .../invocation/{id}/response. One connection per request (Connection: close), bodies framed by
 * Content-Length. Test events: "crash" aborts, "error" reports a function error, "sleep" logs
 * "sleeping" and sleeps 60 s, "big-answer" answers a 6,000,000-byte string, "log-flood" writes 64
 * MiB to stderr (in 1 KiB lines; "log-flood-short" 4 Mi lines of one byte), "log-attack" writes a
 * line made to pass for the shim's and tries to read and truncate what its stderr is, answering
 * what came of each; "log-late" logs "in-call", answers, then 0.3 s later logs "after-answer"
 * (before its next /next); "log-partial" logs "partial-no-newline" with no newline before it
 * answers; "next-dropped", once answered, sends a /next and closes it unanswered, as a client whose
 * timeout fired ("next-dropped-wait" then waits 1 s before it asks again).  With
 * BOOTSTRAP_GONE_BEFORE_EVENT set it sends one /next, hangs up and exits before any event can reach
 * it, as a runtime that dies between its /next and its event.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define API	       "/2018-06-01/runtime"
#define MAX_JSON_DEPTH 512

struct reply {
	int status;
	char request_id[256];
	char *body; /* NUL-terminated, owned */
	size_t body_len;
};

static struct sockaddr_in api_addr;
static const char *api_host; /* the Host header: AWS_LAMBDA_RUNTIME_API as given */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bootstrap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* The Runtime API is always a numeric IPv4 host:port (127.0.0.1:9001 on Lambda). */
static void parse_api(const char *api)
{
	const char *colon = strrchr(api, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - api) >= sizeof(host))
		fail("AWS_LAMBDA_RUNTIME_API=%s is not host:port", api);
	memcpy(host, api, colon - api);
	host[colon - api] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &api_addr.sin_addr) != 1)
		fail("AWS_LAMBDA_RUNTIME_API=%s is not an IPv4 host:port", api);
	api_addr.sin_family = AF_INET;
	api_addr.sin_port = htons((unsigned short)port);
	api_host = api;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Fill status, request id and the body bounds from a complete header block in buf. */
static void parse_headers(char *buf, struct reply *r, long *content_length)
{
	char *line = strstr(buf, "\r\n");

	r->status = (strncmp(buf, "HTTP/1.", 7) == 0) ? atoi(buf + 9) : 0;
	while (line && line[2] != '\r') {
		char *name = line + 2, *eol = strstr(name, "\r\n"), *colon = strchr(name, ':');

		line = eol;
		if (!colon || colon > eol)
			continue;
		*colon = *eol = '\0';
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		if (strcasecmp(name, "Content-Length") == 0)
			*content_length = atol(colon);
		else if (strcasecmp(name, "Lambda-Runtime-Aws-Request-Id") == 0)
			snprintf(r->request_id, sizeof(r->request_id), "%s", colon);
		*eol = '\r';
	}
}

/* Read one response: headers, then Content-Length bytes of body (or up to EOF without one). */
static int read_reply(int fd, struct reply *r)
{
	size_t cap = 4096, len = 0, head = 0;
	long content_length = -1;
	char *buf = malloc(cap), *eoh;

	if (!buf)
		return -1;
	for (;;) {
		if (head && content_length >= 0 && len - head >= (size_t)content_length)
			break;
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap *= 2);

			if (!bigger) {
				free(buf);
				return -1;
			}
			buf = bigger;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!head && (eoh = strstr(buf, "\r\n\r\n"))) {
			head = (size_t)(eoh - buf) + 4;
			parse_headers(buf, r, &content_length);
		}
	}
	if (!head) {
		free(buf);
		errno = EPROTO; /* the server closed before a whole header block */
		return -1;
	}
	r->body_len = len - head;
	if (content_length >= 0 && r->body_len > (size_t)content_length)
		r->body_len = (size_t)content_length;
	memmove(buf, buf + head, r->body_len);
	buf[r->body_len] = '\0';
	r->body = buf;
	return 0;
}

static int http(const char *method, const char *path, const char *extra_headers, const char *body,
		size_t body_len, struct reply *r)
{
	char head[1024];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
			 method, path, api_host, body_len, extra_headers ? extra_headers : "");
	if (n > 0 && (size_t)n < sizeof(head) &&
	    connect(fd, (struct sockaddr *)&api_addr, sizeof(api_addr)) == 0 &&
	    send_all(fd, head, (size_t)n) == 0 && send_all(fd, body, body_len) == 0)
		ret = read_reply(fd, r);
	close(fd);
	return ret;
}

static void post(const char *path, const char *extra_headers, const char *body, size_t len)
{
	struct reply r = {0};

	if (http("POST", path, extra_headers, body, len, &r) < 0)
		fail("POST %s: %s", path, strerror(errno));
	if (r.status != 202)
		fprintf(stderr, "bootstrap: POST %s: HTTP %d: %s\n", path, r.status, r.body);
	free(r.body);
}

/* A small JSON validator: is [*p, end) exactly one JSON value (RFC 8259)? */
static const char *json_value(const char *p, const char *end, int depth);

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *json_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && ++p < end && !strchr("\"\\/bfnrtu", *p))
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

static const char *json_number(const char *p, const char *end)
{
	const char *start;

	if (p < end && *p == '-')
		p++;
	start = p;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	if (p == start || (*start == '0' && p - start > 1))
		return NULL;
	if (p < end && *p == '.') {
		start = ++p;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		start = p;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

/* Arrays and objects: members separated by commas; objects have "key": before each value. */
static const char *json_container(const char *p, const char *end, int depth, char close)
{
	p = json_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= end || *p != '"' || !(p = json_string(p, end)))
				return NULL;
			p = json_ws(p, end);
			if (p >= end || *p++ != ':')
				return NULL;
		}
		if (!(p = json_value(p, end, depth + 1)))
			return NULL;
		if (p < end && *p == ',')
			p = json_ws(p + 1, end);
		else
			return (p < end && *p == close) ? p + 1 : NULL;
	}
}

static const char *json_value(const char *p, const char *end, int depth)
{
	static const char *const literals[] = {"true", "false", "null"};

	p = json_ws(p, end);
	if (p >= end || depth > MAX_JSON_DEPTH)
		return NULL;
	if (*p == '"')
		p = json_string(p, end);
	else if (*p == '{' || *p == '[')
		p = json_container(p, end, depth, *p == '{' ? '}' : ']');
	else if (*p == '-' || isdigit((unsigned char)*p))
		p = json_number(p, end);
	else {
		size_t i;

		for (i = 0; i < 3; i++)
			if ((size_t)(end - p) >= strlen(literals[i]) &&
			    !strncmp(p, literals[i], strlen(literals[i])))
				break;
		p = i < 3 ? p + strlen(literals[i]) : NULL;
	}
	return p ? json_ws(p, end) : NULL;
}

static int is_json(const char *s, size_t len)
{
	return json_value(s, s + len, 0) == s + len;
}

/* {"echo":<event>} for a JSON event (outer whitespace dropped); any other event as a JSON string.
 */
static char *echo_answer(const char *event, size_t len, size_t *out_len)
{
	char *out = malloc(len * 6 + 16), *o = out;

	if (!out)
		fail("out of memory");
	o += sprintf(o, "{\"echo\":");
	if (is_json(event, len)) {
		const char *start = json_ws(event, event + len), *end = event + len;

		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		memcpy(o, start, (size_t)(end - start));
		o += end - start;
	} else {
		*o++ = '"';
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)event[i];

			if (c == '"' || c == '\\')
				*o++ = '\\';
			if (c < 0x20)
				o += sprintf(o, "\\u%04x", c);
			else
				*o++ = (char)c;
		}
		*o++ = '"';
	}
	*o++ = '}';
	*out_len = (size_t)(o - out);
	return out;
}

/* The event without surrounding whitespace equals the JSON string "word". */
static int event_is(const char *event, size_t len, const char *word)
{
	const char *end = event + len;
	char quoted[32];

	event = json_ws(event, end);
	while (end > event && isspace((unsigned char)end[-1]))
		end--;
	snprintf(quoted, sizeof(quoted), "\"%s\"", word);
	return (size_t)(end - event) == strlen(quoted) &&
	       memcmp(event, quoted, strlen(quoted)) == 0;
}

/* What a function can do to its stderr: the shim's log, were it handed
 * down.  The answer: {"fd2":"file"|"pipe"|..., "reopen":..., "truncate":...}. */
static char *log_attack(size_t *len)
{
	static const char forged[] = "\033[2J\rslxrun shim: FORGED LINE\n";
	struct stat st;
	char *out;
	int fd = open("/proc/self/fd/2", O_RDONLY | O_CLOEXEC);
	const char *reopen = fd >= 0 ? "read" : "refused";
	const char *trunc = ftruncate(2, 0) == 0 ? "done" : "refused";

	if (fd >= 0)
		close(fd);
	if (write(2, forged, sizeof(forged) - 1) < 0)
		reopen = "unwritable";
	if (!(out = malloc(128)))
		fail("out of memory");
	snprintf(out, 128, "{\"fd2\":\"%s\",\"reopen\":\"%s\",\"truncate\":\"%s\"}",
		 fstat(2, &st) < 0	? "closed"
		 : S_ISREG(st.st_mode)	? "file"
		 : S_ISFIFO(st.st_mode) ? "pipe"
					: "other",
		 reopen, trunc);
	*len = strlen(out);
	return out;
}

/* A JSON string of 6,000,000 bytes, quotes included (Lambda's limit is
 * 6 MB): a small request, a big answer. */
static char *big_answer(size_t *len)
{
	char *out = malloc(6000000);

	if (!out)
		fail("out of memory");
	memset(out, 'x', 6000000);
	out[0] = out[5999999] = '"';
	*len = 6000000;
	return out;
}

/* A /next whose client gives up (its timeout, a recycled connection):
 * sent, then closed before any answer, as an HTTP client library does. */
static void next_dropped(useconds_t linger_us)
{
	static const char get[] = "GET " API "/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&api_addr, sizeof(api_addr)) == 0 &&
	    send_all(fd, get, sizeof(get) - 1) == 0 && linger_us)
		usleep(linger_us);
	if (fd >= 0)
		close(fd);
}

static void handle(const struct reply *next)
{
	static const char error_body[] =
	    "{\"errorMessage\":\"requested error\",\"errorType\":\"TestError\"}";
	char path[512];
	size_t len;

	if (event_is(next->body, next->body_len, "crash"))
		abort();
	if (event_is(next->body, next->body_len, "error")) {
		snprintf(path, sizeof(path), API "/invocation/%s/error", next->request_id);
		post(path, "Lambda-Runtime-Function-Error-Type: Function.Test\r\n", error_body,
		     sizeof(error_body) - 1);
		return;
	}
	if (event_is(next->body, next->body_len, "sleep")) {
		fprintf(stderr, "sleeping\n");
		sleep(60);
	}
	if (event_is(next->body, next->body_len, "log-flood-short"))
		for (int i = 0; i < 4 * 1024 * 1024; i++)
			if (write(2, "y\n", 2) < 0)
				break;
	if (event_is(next->body, next->body_len, "log-flood")) {
		static char line[1024];

		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\n';
		for (int i = 0; i < 64 * 1024; i++)
			if (write(2, line, sizeof(line)) < 0)
				break;
	}
	if (event_is(next->body, next->body_len, "log-late") && write(2, "in-call\n", 8) < 0)
		fail("write stderr: %s", strerror(errno));
	if (event_is(next->body, next->body_len, "log-partial") &&
	    write(2, "partial-no-newline", 18) < 0)
		fail("write stderr: %s", strerror(errno));
	char *answer = event_is(next->body, next->body_len, "log-attack") ? log_attack(&len)
		       : event_is(next->body, next->body_len, "big-answer")
			   ? big_answer(&len)
			   : echo_answer(next->body, next->body_len, &len);
	snprintf(path, sizeof(path), API "/invocation/%s/response", next->request_id);
	post(path, NULL, answer, len);
	free(answer);
	if (event_is(next->body, next->body_len, "log-late")) {
		usleep(300000);
		if (write(2, "after-answer\n", 13) < 0)
			fail("write stderr: %s", strerror(errno));
	}
	if (event_is(next->body, next->body_len, "next-dropped") ||
	    event_is(next->body, next->body_len, "next-dropped-wait"))
		next_dropped(100000);
	if (event_is(next->body, next->body_len, "next-dropped-wait"))
		sleep(1);
}

int main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");

	if (!api || !*api)
		fail("AWS_LAMBDA_RUNTIME_API is not set; this program runs under a Lambda Runtime "
		     "API");
	parse_api(api);
	/* A slow initialiser (a runtime loading a large model, say), for the
	 * shim's tests: it must not stall the shim while it starts. */
	const char *init_sleep = getenv("BOOTSTRAP_INIT_SLEEP_S");
	if (init_sleep && atoi(init_sleep) > 0)
		sleep((unsigned)atoi(init_sleep));
	/* What a runtime logs while it loads its handler, and a handler it
	 * cannot load: its init error, as a runtime reports one. */
	const char *init_log = getenv("BOOTSTRAP_INIT_LOG");
	if (init_log)
		fprintf(stderr, "%s\n", init_log);
	const char *init_error = getenv("BOOTSTRAP_INIT_ERROR");
	if (init_error) {
		char body[512];

		snprintf(body, sizeof(body),
			 "{\"errorType\":\"%s\",\"errorMessage\":\"Cannot find module 'function'\","
			 "\"trace\":[\"%s: Cannot find module 'function'\",\"    at load\"]}",
			 init_error, init_error);
		post(API "/init/error", "", body, strlen(body));
		return 1;
	}
	if (getenv("BOOTSTRAP_GONE_BEFORE_EVENT")) {
		next_dropped(0);
		usleep(300000);
		return 0;
	}
	for (;;) {
		struct reply next = {0};

		if (http("GET", API "/invocation/next", NULL, "", 0, &next) < 0)
			fail("GET %s/invocation/next from %s: %s", API, api, strerror(errno));
		if (next.status != 200 || !next.request_id[0])
			fail("GET %s/invocation/next: HTTP %d without a request id", API,
			     next.status);
		handle(&next);
		free(next.body);
	}
}
