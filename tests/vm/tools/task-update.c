/* SPDX-License-Identifier: GPL-2.0-or-later */
/* task-update.c -- containerd's task Update request, for the VM's containerd suite.
 *
 * Usage: task-update SHIM-ADDRESS CONTAINER-ID RESOURCES-JSON [NAMESPACE]
 *
 * ctr 1.6 has no `tasks update` verb, and containerd's Tasks.Update only forwards the request
 * to the task's shim: an UpdateTaskRequest{id, resources: Any{type_url LinuxResources, value:
 * the resources as JSON}} sent over ttrpc to containerd.task.v2.Task/Update. This sends that
 * same request to the shim's socket (the `address` file in the task's bundle, "unix://PATH"),
 * so the shim runs `RUNTIME update --resources - ID` exactly as for a kubelet resize.
 * Exits 0 when the shim answers with status OK, 1 with the shim's error message otherwise. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TTRPC_REQUEST  1
#define TTRPC_RESPONSE 2
#define MAX_MSG	       (1 << 20)

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "task-update: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("%s", "out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_varint(struct buf *b, uint64_t v)
{
	unsigned char c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		put(b, &c, 1);
	} while (v);
}

/* A length-delimited field (wire type 2): strings, bytes, embedded messages. */
static void put_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
	put_varint(b, (uint64_t)field << 3 | 2);
	put_varint(b, n);
	put(b, p, n);
}

static void put_str(struct buf *b, unsigned field, const char *s)
{
	put_bytes(b, field, s, strlen(s));
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* google.rpc.Status {int32 code = 1; string message = 2}: the code, the message into msg. */
static int parse_status(const unsigned char *p, const unsigned char *end, char *msg, size_t msz)
{
	uint64_t key, v;
	int code = 0;

	while (p < end) {
		if (get_varint(&p, end, &key) < 0)
			return -1;
		if ((key & 7) == 0) {
			if (get_varint(&p, end, &v) < 0)
				return -1;
			if (key >> 3 == 1)
				code = (int)v;
		} else if ((key & 7) == 2) {
			if (get_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
				return -1;
			if (key >> 3 == 2)
				snprintf(msg, msz, "%.*s", (int)v, (const char *)p);
			p += v;
		} else {
			return -1;
		}
	}
	return code;
}

static void write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write to the shim: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	unsigned char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read from the shim: %s", strerror(errno));
		if (r == 0)
			die("%s", "the shim closed the connection without an answer");
		c += r;
		n -= (size_t)r;
	}
}

static int shim_connect(const char *address)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = address;
	int fd;

	if (!strncmp(path, "unix://", 7))
		path += 7;
	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect %s", strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct buf any = {0}, req = {0}, msg = {0}, kv = {0};
	unsigned char hdr[10], *resp;
	const unsigned char *p, *end;
	uint32_t len, stream = 1;
	uint64_t key, v;
	char errmsg[4096] = "";
	int fd, code;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s SHIM-ADDRESS CONTAINER-ID RESOURCES-JSON [NAMESPACE]\n",
			argv[0]);
		return 2;
	}
	put_str(&any, 1, "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
	put_str(&any, 2, argv[3]);
	put_str(&req, 1, argv[2]);
	put_bytes(&req, 2, any.p, any.len);

	put_str(&msg, 1, "containerd.task.v2.Task");
	put_str(&msg, 2, "Update");
	put_bytes(&msg, 3, req.p, req.len);
	put_varint(&msg, 4 << 3 | 0);
	put_varint(&msg, 30ull * 1000 * 1000 * 1000);
	if (argc == 5) {
		put_str(&kv, 1, "containerd-namespace-ttrpc");
		put_str(&kv, 2, argv[4]);
		put_bytes(&msg, 5, kv.p, kv.len);
	}

	fd = shim_connect(argv[1]);
	hdr[0] = msg.len >> 24;
	hdr[1] = msg.len >> 16;
	hdr[2] = msg.len >> 8;
	hdr[3] = msg.len;
	hdr[4] = hdr[5] = hdr[6] = 0;
	hdr[7] = stream;
	hdr[8] = TTRPC_REQUEST;
	hdr[9] = 0;
	write_all(fd, hdr, sizeof(hdr));
	write_all(fd, msg.p, msg.len);

	read_all(fd, hdr, sizeof(hdr));
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (hdr[8] != TTRPC_RESPONSE || hdr[7] != stream || len > MAX_MSG)
		die("%s", "unexpected frame from the shim");
	resp = malloc(len ? len : 1);
	if (!resp)
		die("%s", "out of memory");
	read_all(fd, resp, len);
	close(fd);

	/* ttrpc Response {Status status = 1; bytes payload = 2}: no status is OK. */
	code = 0;
	p = resp;
	end = resp + len;
	while (p < end) {
		if (get_varint(&p, end, &key) < 0 || (key & 7) != 2 ||
		    get_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
			die("%s", "malformed response from the shim");
		if (key >> 3 == 1)
			code = parse_status(p, p + v, errmsg, sizeof(errmsg));
		p += v;
	}
	if (code < 0)
		die("%s", "malformed status from the shim");
	if (code) {
		printf("error %d: %s\n", code, errmsg);
		return 1;
	}
	printf("ok\n");
	return 0;
}
