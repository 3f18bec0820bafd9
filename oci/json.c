/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json.c -- strict JSON reading on yajl's event parser into an arena tree,
 * and the small yajl_gen wrappers oci/'s printers share. */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

/* The tree is allocated from chunks: a typical config.json (a few KiB) fits
 * in one or two, so parsing costs a handful of mallocs, not one per node. */
#define OCI_JARENA_CHUNK 16384

struct oci_jchunk {
	struct oci_jchunk *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

struct oci_jarena {
	struct oci_jchunk *head;
};

static void *jarena_alloc(struct oci_jarena *a, size_t size)
{
	struct oci_jchunk *c = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > OCI_JARENA_CHUNK ? size : OCI_JARENA_CHUNK;

		c = calloc(1, sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

static void jarena_free(struct oci_jarena *a)
{
	while (a && a->head) {
		struct oci_jchunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	free(a);
}

struct jbuild {
	struct oci_jarena *arena;
	struct oci_jnode *stack[OCI_JSON_MAX_DEPTH];
	int depth;
	const char *key; /* pending object key */
	size_t key_len;
	struct oci_jnode *root;
	const char *fail; /* why a callback cancelled the parse */
};

static int jb_fail(struct jbuild *b, const char *why)
{
	b->fail = why;
	return 0;
}

static char *jb_strdup(struct jbuild *b, const unsigned char *s, size_t len)
{
	char *p;

	if (memchr(s, '\0', len)) {
		b->fail = "string contains a NUL character";
		return NULL;
	}
	p = jarena_alloc(b->arena, len + 1);
	if (!p) {
		b->fail = "out of memory";
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static struct oci_jnode *jb_add(struct jbuild *b, enum oci_jtype type)
{
	struct oci_jnode *n = jarena_alloc(b->arena, sizeof(*n));
	struct oci_jnode *parent;

	if (!n) {
		b->fail = "out of memory";
		return NULL;
	}
	n->type = type;
	if (b->depth == 0) {
		b->root = n;
		return n;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == OCI_J_ARRAY) {
		if (parent->arr.tail)
			parent->arr.tail->next = n;
		else
			parent->arr.head = n;
		parent->arr.tail = n;
		parent->arr.n++;
		return n;
	}
	struct oci_jmember *m = jarena_alloc(b->arena, sizeof(*m));
	if (!m) {
		b->fail = "out of memory";
		return NULL;
	}
	m->key = b->key;
	m->key_len = b->key_len;
	m->value = n;
	if (parent->obj.tail)
		parent->obj.tail->next = m;
	else
		parent->obj.head = m;
	parent->obj.tail = m;
	parent->obj.n++;
	return n;
}

static int jb_null(void *ctx)
{
	return jb_add(ctx, OCI_J_NULL) != NULL;
}

static int jb_bool(void *ctx, int v)
{
	struct oci_jnode *n = jb_add(ctx, OCI_J_BOOL);

	if (n)
		n->b = v;
	return n != NULL;
}

/* yajl hands numbers over as text, so integers keep their exact int64 or
 * uint64 value and floats stay distinguishable from integers. */
static void jnum_parse(struct oci_jnum *num, const char *s)
{
	char *end;

	num->is_float = strpbrk(s, ".eE") != NULL;
	errno = 0;
	if (num->is_float) {
		num->d = strtod(s, &end);
		return;
	}
	if (s[0] == '-') {
		num->i = strtoll(s, &end, 10);
		num->fits_i64 = errno == 0;
		num->fits_u64 = num->fits_i64 && num->i == 0;
		num->d = (double)num->i;
		return;
	}
	num->u = strtoull(s, &end, 10);
	num->fits_u64 = errno == 0;
	num->fits_i64 = num->fits_u64 && num->u <= INT64_MAX;
	num->i = (int64_t)num->u;
	num->d = (double)num->u;
}

static int jb_number(void *ctx, const char *s, size_t len)
{
	struct jbuild *b = ctx;
	struct oci_jnode *n;
	char buf[64];

	if (len >= sizeof(buf))
		return jb_fail(b, "number too long");
	memcpy(buf, s, len);
	buf[len] = '\0';
	n = jb_add(b, OCI_J_NUMBER);
	if (!n)
		return 0;
	jnum_parse(&n->num, buf);
	return 1;
}

static int jb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct jbuild *b = ctx;
	char *copy = jb_strdup(b, s, len);
	struct oci_jnode *n;

	if (!copy)
		return 0;
	n = jb_add(b, OCI_J_STRING);
	if (!n)
		return 0;
	n->str.s = copy;
	n->str.len = len;
	return 1;
}

static int jb_open(struct jbuild *b, enum oci_jtype type)
{
	struct oci_jnode *n;

	if (b->depth == OCI_JSON_MAX_DEPTH)
		return jb_fail(b, "nesting deeper than 64 levels");
	n = jb_add(b, type);
	if (!n)
		return 0;
	b->stack[b->depth++] = n;
	return 1;
}

static int jb_start_map(void *ctx)
{
	return jb_open(ctx, OCI_J_OBJECT);
}

static int jb_start_array(void *ctx)
{
	return jb_open(ctx, OCI_J_ARRAY);
}

static int jb_close(void *ctx)
{
	((struct jbuild *)ctx)->depth--;
	return 1;
}

static int jb_key(void *ctx, const unsigned char *s, size_t len)
{
	struct jbuild *b = ctx;

	b->key = jb_strdup(b, s, len);
	b->key_len = len;
	return b->key != NULL;
}

static const yajl_callbacks jb_callbacks = {
    .yajl_null = jb_null,
    .yajl_boolean = jb_bool,
    .yajl_number = jb_number,
    .yajl_string = jb_string,
    .yajl_start_map = jb_start_map,
    .yajl_map_key = jb_key,
    .yajl_end_map = jb_close,
    .yajl_start_array = jb_start_array,
    .yajl_end_array = jb_close,
};

/* yajl's message ("lexical error: invalid char in json text.\n") without
 * the trailing punctuation, so it reads as one line after our prefix. */
static void jyajl_message(yajl_handle h, char *buf, size_t size)
{
	unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
	size_t n;

	snprintf(buf, size, "%s", msg ? (const char *)msg : "syntax error");
	if (msg)
		yajl_free_error(h, msg);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '.' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static int jerror_at(const char *name, const char *json, size_t off, const char *what,
		     struct slx_err *err)
{
	size_t line = 1, col = 1;

	for (size_t i = 0; i < off; i++) {
		if (json[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return slx_error(err, 0, "%s:%zu:%zu: %s", name, line, col, what);
}

int oci_json_parse(const char *name, const char *json, size_t len, struct oci_jdoc *doc,
		   struct slx_err *err)
{
	struct jbuild b = {.arena = calloc(1, sizeof(struct oci_jarena))};
	yajl_handle h;
	yajl_status st;
	size_t off;
	char msg[256];

	doc->root = NULL;
	doc->arena = NULL;
	if (!b.arena)
		return slx_error(err, ENOMEM, "%s", name);
	h = yajl_alloc(&jb_callbacks, NULL, &b);
	if (!h) {
		jarena_free(b.arena);
		return slx_error(err, ENOMEM, "%s", name);
	}
	st = yajl_parse(h, (const unsigned char *)json, len);
	/* yajl counts the offending byte as consumed; point at it instead. */
	off = yajl_get_bytes_consumed(h);
	if (off)
		off--;
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		off = len;
	}
	if (st != yajl_status_ok) {
		if (st == yajl_status_client_canceled && b.fail)
			snprintf(msg, sizeof(msg), "%s", b.fail);
		else
			jyajl_message(h, msg, sizeof(msg));
		yajl_free(h);
		jarena_free(b.arena);
		return jerror_at(name, json, off > len ? len : off, msg, err);
	}
	yajl_free(h);
	doc->root = b.root;
	doc->arena = b.arena;
	return 0;
}

void oci_json_free(struct oci_jdoc *doc)
{
	jarena_free(doc->arena);
	doc->arena = NULL;
	doc->root = NULL;
}

const char *oci_json_type_name(const struct oci_jnode *n)
{
	static const char *const names[] = {
	    [OCI_J_NULL] = "null",	 [OCI_J_BOOL] = "a boolean", [OCI_J_NUMBER] = "a number",
	    [OCI_J_STRING] = "a string", [OCI_J_ARRAY] = "an array", [OCI_J_OBJECT] = "an object",
	};
	return names[n->type];
}

yajl_gen oci_gen_new(bool pretty, const char *indent)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g && pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, indent);
	}
	return g;
}

void oci_gen_str(yajl_gen g, const char *s)
{
	(void)yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void oci_gen_key_str(yajl_gen g, const char *key, const char *value)
{
	oci_gen_str(g, key);
	oci_gen_str(g, value ? value : "");
}

void oci_gen_key_int(yajl_gen g, const char *key, long long value)
{
	oci_gen_str(g, key);
	(void)yajl_gen_integer(g, value);
}

void oci_gen_key_bool(yajl_gen g, const char *key, bool value)
{
	oci_gen_str(g, key);
	(void)yajl_gen_bool(g, value);
}

void oci_gen_key_strlist(yajl_gen g, const char *key, const char *const *v)
{
	oci_gen_str(g, key);
	(void)yajl_gen_array_open(g);
	for (; *v; v++)
		oci_gen_str(g, *v);
	(void)yajl_gen_array_close(g);
}

int oci_gen_finish(yajl_gen g, char **out, size_t *len, struct slx_err *err)
{
	const unsigned char *buf;
	size_t n;
	yajl_gen_status st = yajl_gen_get_buf(g, &buf, &n);

	if (st != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return slx_error(err, 0, "generating JSON failed (yajl_gen status %d)", (int)st);
	}
	*out = malloc(n + 1);
	if (!*out) {
		yajl_gen_free(g);
		return slx_error(err, ENOMEM, "generating JSON");
	}
	memcpy(*out, buf, n);
	(*out)[n] = '\0';
	if (len)
		*len = n;
	yajl_gen_free(g);
	return 0;
}
