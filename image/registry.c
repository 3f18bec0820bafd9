/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.c -- docker:// references over the OCI distribution API with
 * libcurl (loaded on first use): manifests by tag or digest, blobs streamed
 * into the store's temp file and resumed with Range after a dropped
 * connection, and the token dance registries use (401 + WWW-Authenticate:
 * Bearer realm=...,service=...,scope=... -> GET realm -> Bearer token).
 * Plain http only for 127.0.0.1 and localhost. */
#include "internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/lazylib.h"

#define ACCEPT                                                                                     \
	"Accept: application/vnd.oci.image.index.v1+json, "                                        \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.docker.distribution.manifest.v2+json"
#define BLOB_ATTEMPTS 4

struct reg_source {
	struct img_source base;
	const struct img_ref *ref;
	char scheme[8];
	bool remote; /* not 127.0.0.1 or localhost: https, and never this host */
	char *token; /* Bearer token once one was needed */
	char *top;   /* the top manifest's bytes */
	size_t top_len;
	char top_digest[IMG_DIGEST_MAX];
};

/* One response: the body into fd (blobs) or a buffer (documents, capped),
 * the WWW-Authenticate header kept for a 401. */
struct reply {
	int fd;
	char *buf;
	size_t len, cap;
	char auth[1024];
	bool too_big, timed_out, slow;
	bool no_room; /* fd: the store's filesystem is at its reserve */
	struct img_room room;
	bool remote;	 /* the registry is elsewhere: no connection to this host */
	bool refused;	 /* a connection to this host was refused */
	bool discard;	 /* the current response is not a 2xx: its body is no blob */
	curl_off_t from; /* bytes already in fd, asked for with Range */
	curl_off_t got;	 /* bytes this response wrote to fd */
	int64_t size;	 /* fd: the bytes its descriptor gives, no more are taken */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (r->discard)
		return len;
	if (r->fd >= 0) {
		/* a registry streaming past the descriptor's size would fill
		 * the store's disk before the digest is checked */
		if (r->from + r->got + (curl_off_t)len > r->size) {
			r->too_big = true;
			return 0;
		}
		if (img_room_take(&r->room, (int64_t)len) < 0) {
			r->no_room = true;
			return 0;
		}
		if (write(r->fd, p, len) != (ssize_t)len)
			return 0;
		r->got += (curl_off_t)len;
		return len;
	}
	if (r->len + len + 1 > IMG_DOC_MAX) {
		r->too_big = true;
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = (r->len + len + 1) * 2;
		char *b = realloc(r->buf, cap);
		if (!b)
			return 0;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	int code;

	/* A status line (one per redirect hop): only a 2xx body is kept, and a
	 * 200 to a Range request starts the blob over. */
	if (len > 12 && !strncmp(p, "HTTP/", 5) && sscanf(p, "HTTP/%*s %d", &code) == 1) {
		r->discard = code < 200 || code > 299;
		if (code == 200 && r->fd >= 0 && r->from > 0) {
			if (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0)
				return 0;
			r->from = 0;
		}
		r->got = 0;
	}
	if (len > 17 && !strncasecmp(p, "www-authenticate:", 17) && len - 17 < sizeof(r->auth)) {
		memcpy(r->auth, p + 17, len - 17);
		r->auth[len - 17] = '\0';
		r->auth[strcspn(r->auth, "\r\n")] = '\0';
	}
	return len;
}

/* Whether a is this host or its link: loopback, link-local, unspecified
 * (IPv4, IPv6, IPv4-mapped). */
static bool addr_is_local(const struct sockaddr *a)
{
	uint32_t v4;

	if (a->sa_family == AF_INET6) {
		const struct in6_addr *v6 =
		    &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(v6) || IN6_IS_ADDR_LINKLOCAL(v6) ||
		    IN6_IS_ADDR_UNSPECIFIED(v6))
			return true;
		if (!IN6_IS_ADDR_V4MAPPED(v6))
			return false;
		memcpy(&v4, &v6->s6_addr[12], 4);
	} else if (a->sa_family == AF_INET) {
		v4 = ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr;
	} else {
		return true;
	}
	v4 = ntohl(v4);
	return (v4 >> 24) == 127 || (v4 >> 16) == 0xa9fe || v4 == 0;
}

/* A registry elsewhere may not send the pull to this host: every connection
 * of its transfers (the registry, its token realm, their redirects) is
 * checked where curl opens it, whatever name, spelling or redirect led
 * there ("127.1", "[::1]", a name that resolves to 127.0.0.1). */
static curl_socket_t open_guarded(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct reply *r = arg;

	(void)purpose;
	if (r->remote && addr_is_local(&a->addr)) {
		r->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void curl_cleanupp(CURL **c)
{
	if (*c)
		curl_easy_cleanup(*c);
	*c = NULL;
}

static void slist_freep(struct curl_slist **l)
{
	if (*l)
		curl_slist_free_all(*l);
	*l = NULL;
}

static int http_get(const char *url, const char *token, curl_off_t from, struct reply *r,
		    long *status, struct slx_err *err)
{
	__attribute__((cleanup(curl_cleanupp))) CURL *c = curl_easy_init();
	__attribute__((cleanup(slist_freep))) struct curl_slist *h = NULL;
	cleanup_free char *bearer = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (!c || !(h = curl_slist_append(NULL, ACCEPT)))
		return slx_error(err, ENOMEM, "curl");
	if (token && (asprintf(&bearer, "Authorization: Bearer %s", token) < 0 ||
		      !curl_slist_append(h, bearer)))
		return slx_error(err, ENOMEM, "curl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A registry may not hold a pull (and with it the store's lock, which
	 * prune and every image user wait on) for ever: a transfer under
	 * 1 KiB/s for 20 s is cut, and each has a deadline, a minute for a
	 * document and one more second for each 64 KiB of a blob. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 20L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L + (r->fd >= 0 ? (long)(r->size >> 16) : 0));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_guarded);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, r);
	if (from > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, from);
	rc = curl_easy_perform(c);
	*status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (r->too_big && r->fd >= 0)
		return slx_error(err, EFBIG, "%s: more than the %lld bytes its descriptor gives",
				 url, (long long)r->size);
	if (r->too_big)
		return slx_error(err, EFBIG, "%s: larger than %u MiB", url, IMG_DOC_MAX >> 20);
	if (r->no_room)
		return slx_error(err, ENOSPC,
				 "%s: the store's filesystem would be left under %d%% free", url,
				 IMG_FS_RESERVE_PCT);
	if (r->refused)
		return slx_error(err, 0,
				 "%s: refused: a registry elsewhere may not reach this host", url);
	/* curl says "timeout" for both: under the speed floor (resumed by the
	 * caller) or past the deadline (not) */
	if (rc == CURLE_OPERATION_TIMEDOUT && strstr(cerr, "too slow"))
		r->slow = true;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		r->timed_out = true;
	if (rc != CURLE_OK)
		return slx_error(err, rc == CURLE_WRITE_ERROR ? errno : 0, "%s: %s", url,
				 cerr[0] ? cerr : curl_easy_strerror(rc));
	return 0;
}

/* key="value" from a WWW-Authenticate challenge, into out. */
static bool challenge_param(const char *h, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);

	for (const char *p = h; (p = strstr(p, key)); p += klen) {
		const char *v, *end;
		if ((p != h && p[-1] != ' ' && p[-1] != ',') || strncmp(p + klen, "=\"", 2))
			continue;
		v = p + klen + 2;
		end = strchr(v, '"');
		if (!end || (size_t)(end - v) >= cap)
			return false;
		memcpy(out, v, (size_t)(end - v));
		out[end - v] = '\0';
		return true;
	}
	return false;
}

static char *escaped(const char *s)
{
	__attribute__((cleanup(curl_cleanupp))) CURL *c = curl_easy_init();
	char *e = c ? curl_easy_escape(c, s, 0) : NULL;
	char *copy = e ? strdup(e) : NULL;

	if (e)
		curl_free(e);
	return copy;
}

/* Plain http only on this host: host[:port][/path] is 127.0.0.1 or
 * localhost. */
static bool host_is_local(const char *host)
{
	size_t auth = strcspn(host, "/?#"), n = strcspn(host, ":/?#");

	/* user@host: curl would connect to what follows the '@' */
	if (memchr(host, '@', auth))
		return false;
	return n == 9 && (!strncasecmp(host, "127.0.0.1", 9) || !strncasecmp(host, "localhost", 9));
}

/* The token a 401's challenge asks for: GET realm?service=..&scope=..,
 * {"token": ...} or {"access_token": ...}. */
static int fetch_token(struct reg_source *s, const char *challenge, struct slx_err *err)
{
	char realm[512], service[256] = "", scope[512] = "";
	cleanup_free char *url = NULL, *esvc = NULL, *escope = NULL;
	struct reply r = {.fd = -1};
	cleanup_yajl yajl_val doc = NULL;
	const char *tok;
	long status;
	int ret = -1;

	if (strncasecmp(challenge + strspn(challenge, " "), "Bearer ", 7) ||
	    !challenge_param(challenge, "realm", realm, sizeof(realm)))
		return slx_error(err, 0, "registry %s: 401 without a Bearer realm", s->ref->host);
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return slx_error(err, 0, "registry %s: token realm %s is not http(s)", s->ref->host,
				 realm);
	/* The realm is the registry's word: fetched, its answer goes back to
	 * the registry as the token.  Plain http, or this host, only for a
	 * registry on this host, else a remote registry reads what a local
	 * service answers (or one on the path, over http). */
	if (s->remote && (!strncmp(realm, "http://", 7) || host_is_local(strstr(realm, "//") + 2)))
		return slx_error(err, 0,
				 "registry %s: token realm %s: only https and not this host for a "
				 "registry elsewhere",
				 s->ref->host, realm);
	if (!strncmp(realm, "http://", 7) && !host_is_local(realm + 7))
		return slx_error(err, 0,
				 "registry %s: token realm %s: plain http only to 127.0.0.1 or "
				 "localhost",
				 s->ref->host, realm);
	(void)challenge_param(challenge, "service", service, sizeof(service));
	(void)challenge_param(challenge, "scope", scope, sizeof(scope));
	if (!(esvc = escaped(service)) || !(escope = escaped(scope)) ||
	    asprintf(&url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", esvc,
		     escope) < 0)
		return slx_error(err, ENOMEM, "token");
	r.remote = s->remote;
	if (http_get(url, NULL, 0, &r, &status, err) < 0)
		goto out;
	if (status != 200) {
		slx_error(err, 0, "registry %s: token: HTTP %ld", s->ref->host, status);
		goto out;
	}
	if (!r.buf || img_json_parse("token", r.buf, &doc, err) < 0)
		goto out;
	tok = img_json_str(doc, "token") ? img_json_str(doc, "token")
					 : img_json_str(doc, "access_token");
	if (!tok)
		slx_error(err, 0, "registry %s: token: the answer has no token", s->ref->host);
	else if ((s->token = strdup(tok)))
		ret = 0;
	else
		slx_error(err, ENOMEM, "token");
out:
	free(r.buf);
	return ret;
}

/* GET /v2/<repo>/<kind>/<what>, with a token fetched on the first 401. */
static int reg_get(struct reg_source *s, const char *kind, const char *what, curl_off_t from,
		   struct reply *r, long *status, struct slx_err *err)
{
	cleanup_free char *url = NULL;

	if (asprintf(&url, "%s://%s/v2/%s/%s/%s", s->scheme, s->ref->host, s->ref->repo, kind,
		     what) < 0)
		return slx_error(err, ENOMEM, "registry");
	r->remote = s->remote;
	if (http_get(url, s->token, from, r, status, err) < 0)
		return -1;
	if (*status == 401 && !s->token) {
		char challenge[sizeof(r->auth)];

		memcpy(challenge, r->auth, sizeof(challenge));
		if (fetch_token(s, challenge, err) < 0)
			return -1;
		free(r->buf);
		r->buf = NULL;
		r->len = r->cap = 0;
		if (http_get(url, s->token, from, r, status, err) < 0)
			return -1;
	}
	if (*status == 200 || *status == 206)
		return 0;
	return slx_error(err, 0, "%s: HTTP %ld%s", url, *status,
			 *status == 404	  ? " (not found)"
			 : *status == 401 ? " (unauthorized)"
					  : "");
}

static bool is_manifest_type(const char *mt)
{
	return strstr(mt, "manifest") || strstr(mt, "image.index");
}

static int reg_top(struct img_source *src, struct img_store *st, struct img_desc *out,
		   struct slx_err *err)
{
	struct reg_source *s = (struct reg_source *)src;
	struct reply r = {.fd = -1};
	long status;

	(void)st;
	if (reg_get(s, "manifests", s->ref->digest ? s->ref->digest : s->ref->tag, 0, &r, &status,
		    err) < 0) {
		free(r.buf);
		return -1;
	}
	if (!r.buf)
		return slx_error(err, 0, "manifest %s: empty answer", s->ref->name);
	if (img_sha256_buf(r.buf, r.len, s->top_digest, err) < 0) {
		free(r.buf);
		return -1;
	}
	s->top = r.buf;
	s->top_len = r.len;
	if (s->ref->digest && strcmp(s->ref->digest, s->top_digest))
		return slx_error(err, 0, "manifest %s: the registry sent content with digest %s",
				 s->ref->digest, s->top_digest);
	*out = (struct img_desc){.size = (int64_t)r.len};
	strcpy(out->digest, s->top_digest);
	return 0;
}

/* Blobs resume where a dropped connection left them; HTTP errors do not
 * retry.  What arrived is verified by the store either way. */
static int reg_blob(struct reg_source *s, const struct img_desc *d, int fd, struct slx_err *err)
{
	for (int attempt = 1;; attempt++) {
		struct stat st;
		struct reply r = {.fd = fd, .size = d->size, .room = {.fd = fd}};
		long status = 0;

		if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_END) < 0)
			return slx_error(err, errno, "blob temp file");
		r.from = st.st_size;
		if (reg_get(s, "blobs", d->digest, r.from, &r, &status, err) == 0)
			return 0;
		if ((status != 200 && status != 206) || r.too_big || r.no_room || r.timed_out ||
		    attempt == BLOB_ATTEMPTS)
			return attempt > 1 ? slx_error_prefix(err, "after %d attempts", attempt)
					   : -1;
	}
}

static int reg_fetch(struct img_source *src, const struct img_desc *d, int fd, struct slx_err *err)
{
	struct reg_source *s = (struct reg_source *)src;
	struct reply r = {.fd = fd, .size = d->size, .room = {.fd = fd}};
	long status;

	if (s->top && !strcmp(d->digest, s->top_digest))
		return write(fd, s->top, s->top_len) == (ssize_t)s->top_len
			   ? 0
			   : slx_error(err, errno, "write");
	if (is_manifest_type(d->media_type))
		return reg_get(s, "manifests", d->digest, 0, &r, &status, err);
	return reg_blob(s, d, fd, err);
}

static void reg_close(struct img_source *src)
{
	struct reg_source *s = (struct reg_source *)src;

	free(s->token);
	free(s->top);
	free(s);
}

int img_source_registry(const struct img_ref *ref, struct img_source **out, struct slx_err *err)
{
	struct reg_source *s;

	if (slx_lazy_load_curl(err) < 0)
		return -1;
	if (!(s = calloc(1, sizeof(*s))))
		return slx_error(err, ENOMEM, "registry");
	s->base = (struct img_source){reg_top, reg_fetch, reg_close};
	s->ref = ref;
	s->remote = !host_is_local(ref->host);
	strcpy(s->scheme, s->remote ? "https" : "http");
	*out = &s->base;
	return 0;
}
