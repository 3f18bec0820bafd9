/* SPDX-License-Identifier: GPL-2.0-or-later */
/* decode.c -- the generic half of oci/'s decoders: walk a field table over a
 * JSON object, convert and range-check scalars, name the path on error. */
#include "decode.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t path_append(struct oci_dctx *c, const char *fmt, const char *s, size_t i)
{
	size_t old = c->path_len, room = sizeof(c->path) - old;
	int n = s ? snprintf(c->path + old, room, fmt, s) : snprintf(c->path + old, room, fmt, i);

	if (n < 0)
		n = 0;
	c->path_len = (size_t)n < room ? old + n : sizeof(c->path) - 1;
	return old;
}

size_t oci_path_push_key(struct oci_dctx *c, const char *key)
{
	return path_append(c, c->path_len ? ".%s" : "%s", key, 0);
}

size_t oci_path_push_index(struct oci_dctx *c, size_t i)
{
	return path_append(c, "[%zu]", NULL, i);
}

void oci_path_pop(struct oci_dctx *c, size_t len)
{
	c->path_len = len;
	c->path[len] = '\0';
}

/* Copy s to out with control characters written as JSON escapes ("\n",
 * "\u001b"): keys and values quoted from the document must not break the
 * error's one line or drive the terminal it is printed on. */
static void escape_controls(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n' || ch == '\t')
			o += (size_t)snprintf(out + o, size - o, "\\%c", ch == '\n' ? 'n' : 't');
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

int oci_derror(struct oci_dctx *c, const char *fmt, ...)
{
	char msg[SLX_ERR_MSG_MAX / 2], line[SLX_ERR_MSG_MAX], safe[SLX_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->path_len)
		snprintf(line, sizeof(line), "%s: %s", c->path, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	escape_controls(line, safe, sizeof(safe));
	return slx_error(c->err, 0, "%s", safe);
}

int oci_dexpected(struct oci_dctx *c, const char *what, const struct oci_jnode *n)
{
	if (n->type == OCI_J_NUMBER && n->num.is_float && strcmp(what, "an integer") == 0)
		return oci_derror(c, "expected an integer, got a float");
	return oci_derror(c, "expected %s, got %s", what, oci_json_type_name(n));
}

static int doom(struct oci_dctx *c)
{
	return slx_error(c->err, ENOMEM, "%s", c->path);
}

static int want_integer(struct oci_dctx *c, const struct oci_jnode *n)
{
	if (n->type != OCI_J_NUMBER || n->num.is_float)
		return oci_dexpected(c, "an integer", n);
	return 0;
}

static int get_i64(struct oci_dctx *c, const struct oci_jnode *n, int64_t lo, int64_t hi,
		   int64_t *out)
{
	if (want_integer(c, n) < 0)
		return -1;
	if (!n->num.fits_i64 || n->num.i < lo || n->num.i > hi)
		return oci_derror(c, "integer out of range (%" PRId64 "..%" PRId64 ")", lo, hi);
	*out = n->num.i;
	return 0;
}

static int get_u64(struct oci_dctx *c, const struct oci_jnode *n, uint64_t hi, uint64_t *out)
{
	if (want_integer(c, n) < 0)
		return -1;
	if (!n->num.fits_u64 || n->num.u > hi)
		return oci_derror(c, "integer out of range (0..%" PRIu64 ")", hi);
	*out = n->num.u;
	return 0;
}

static char *dup_str(const struct oci_jnode *n)
{
	char *s = malloc(n->str.len + 1);

	if (s)
		memcpy(s, n->str.s, n->str.len + 1);
	return s;
}

static int get_str(struct oci_dctx *c, const struct oci_jnode *n, char **out)
{
	if (n->type != OCI_J_STRING)
		return oci_dexpected(c, "a string", n);
	*out = dup_str(n);
	return *out ? 0 : doom(c);
}

static int dec_strv(struct oci_dctx *c, const struct oci_jnode *n, struct oci_strv *v)
{
	size_t i = 0;

	if (n->type != OCI_J_ARRAY)
		return oci_dexpected(c, "an array", n);
	v->v = calloc(n->arr.n + 1, sizeof(char *));
	if (!v->v)
		return doom(c);
	for (const struct oci_jnode *e = n->arr.head; e; e = e->next, i++) {
		size_t mark = oci_path_push_index(c, i);

		if (get_str(c, e, &v->v[i]) < 0)
			return -1;
		v->n = i + 1;
		oci_path_pop(c, mark);
	}
	return 0;
}

static int dec_kvv(struct oci_dctx *c, const struct oci_jnode *n, struct oci_kvv *v)
{
	if (n->type != OCI_J_OBJECT)
		return oci_dexpected(c, "an object", n);
	v->v = calloc(n->obj.n ? n->obj.n : 1, sizeof(*v->v));
	if (!v->v)
		return doom(c);
	for (const struct oci_jmember *m = n->obj.head; m; m = m->next) {
		size_t mark = oci_path_push_key(c, m->key);
		struct oci_kv *kv = &v->v[v->n];

		if (get_str(c, m->value, &kv->value) < 0)
			return -1;
		kv->key = strdup(m->key);
		v->n++;
		if (!kv->key)
			return doom(c);
		oci_path_pop(c, mark);
	}
	return 0;
}

static int dec_u32v(struct oci_dctx *c, const struct oci_jnode *n, uint32_t **out, size_t *count)
{
	size_t i = 0;
	uint64_t u;

	if (n->type != OCI_J_ARRAY)
		return oci_dexpected(c, "an array", n);
	*out = calloc(n->arr.n ? n->arr.n : 1, sizeof(uint32_t));
	if (!*out)
		return doom(c);
	*count = n->arr.n;
	for (const struct oci_jnode *e = n->arr.head; e; e = e->next, i++) {
		size_t mark = oci_path_push_index(c, i);

		if (get_u64(c, e, UINT32_MAX, &u) < 0)
			return -1;
		(*out)[i] = (uint32_t)u;
		oci_path_pop(c, mark);
	}
	return 0;
}

static int dec_char(struct oci_dctx *c, const struct oci_jnode *n, const char *chars, char *out)
{
	if (n->type != OCI_J_STRING)
		return oci_dexpected(c, "a string", n);
	if (n->str.len != 1 || !strchr(chars, n->str.s[0]))
		return oci_derror(c, "invalid value \"%s\" (expected one of \"%s\")", n->str.s,
				  chars);
	*out = n->str.s[0];
	return 0;
}

static int dec_objv(struct oci_dctx *c, const struct oci_field *f, const struct oci_jnode *n,
		    char *base)
{
	const struct oci_obj *d = f->obj;
	size_t i = 0;
	char *v;

	if (n->type != OCI_J_ARRAY)
		return oci_dexpected(c, "an array", n);
	/* Published before the elements are decoded, so a failure part-way
	 * leaves a structure the normal free path releases. */
	v = calloc(n->arr.n ? n->arr.n : 1, d->size);
	if (!v)
		return doom(c);
	*(void **)(base + f->off) = v;
	*(size_t *)(base + f->off_n) = n->arr.n;
	for (const struct oci_jnode *e = n->arr.head; e; e = e->next, i++) {
		size_t mark = oci_path_push_index(c, i);

		if (oci_obj_decode(c, d, e, v + i * d->size) < 0)
			return -1;
		oci_path_pop(c, mark);
	}
	return 0;
}

/* Scalars are written with memcpy: fields of distinct but same-sized types
 * (unsigned long long pid_start_time through a uint64_t) stay alias-safe. */
static int dec_number(struct oci_dctx *c, const struct oci_field *f, const struct oci_jnode *n,
		      void *dst)
{
	int64_t i;
	uint64_t u;
	int iv;
	struct oci_opt_i64 oi = {.set = true};
	struct oci_opt_u64 ou = {.set = true};

	switch (f->kind) {
	case OCI_K_INT:
		if (get_i64(c, n, INT_MIN, INT_MAX, &i) < 0)
			return -1;
		iv = (int)i;
		memcpy(dst, &iv, sizeof(iv));
		return 0;
	case OCI_K_U32:
		if (get_u64(c, n, UINT32_MAX, &u) < 0)
			return -1;
		memcpy(dst, &(uint32_t){(uint32_t)u}, sizeof(uint32_t));
		return 0;
	case OCI_K_I64:
		if (get_i64(c, n, INT64_MIN, INT64_MAX, &i) < 0)
			return -1;
		memcpy(dst, &i, sizeof(i));
		return 0;
	case OCI_K_U64:
		if (get_u64(c, n, UINT64_MAX, &u) < 0)
			return -1;
		memcpy(dst, &u, sizeof(u));
		return 0;
	case OCI_K_OPT_I64:
		if (get_i64(c, n, INT64_MIN, INT64_MAX, &oi.v) < 0)
			return -1;
		memcpy(dst, &oi, sizeof(oi));
		return 0;
	default:
		if (get_u64(c, n, UINT64_MAX, &ou.v) < 0)
			return -1;
		memcpy(dst, &ou, sizeof(ou));
		return 0;
	}
}

static int dec_field(struct oci_dctx *c, const struct oci_field *f, const struct oci_jnode *n,
		     char *base)
{
	void *dst = base + f->off;

	switch (f->kind) {
	case OCI_K_STR:
		return get_str(c, n, dst);
	case OCI_K_BOOL:
		if (n->type != OCI_J_BOOL)
			return oci_dexpected(c, "a boolean", n);
		*(bool *)dst = n->b;
		return 0;
	case OCI_K_STRV:
		return dec_strv(c, n, dst);
	case OCI_K_KVV:
		return dec_kvv(c, n, dst);
	case OCI_K_U32V:
		return dec_u32v(c, n, dst, (size_t *)(base + f->off_n));
	case OCI_K_CHAR:
		return dec_char(c, n, f->chars, dst);
	case OCI_K_OBJ:
		return oci_obj_decode(c, f->obj, n, dst);
	case OCI_K_OBJV:
		return dec_objv(c, f, n, base);
	case OCI_K_FN:
		return f->fn(c, n, dst);
	default:
		return dec_number(c, f, n, dst);
	}
}

/* The last member with this key wins, as with Go's encoding/json. */
static const struct oci_jnode *obj_get(const struct oci_jnode *n, const char *key)
{
	const struct oci_jnode *found = NULL;
	size_t len = strlen(key);

	for (const struct oci_jmember *m = n->obj.head; m; m = m->next)
		if (m->key_len == len && memcmp(m->key, key, len) == 0)
			found = m->value;
	return found;
}

int oci_obj_decode(struct oci_dctx *c, const struct oci_obj *desc, const struct oci_jnode *n,
		   void *dst)
{
	char *base = dst;

	if (n->type != OCI_J_OBJECT)
		return oci_dexpected(c, "an object", n);
	if (desc->init)
		desc->init(dst);
	if (desc->present_off >= 0)
		*(bool *)(base + desc->present_off) = true;
	for (size_t i = 0; i < desc->n_fields; i++) {
		const struct oci_field *f = &desc->fields[i];
		const struct oci_jnode *v = obj_get(n, f->key);
		size_t mark = oci_path_push_key(c, f->key);

		/* null reads as absent, as Go's decoder treats it. */
		if (!v || v->type == OCI_J_NULL) {
			if (f->flags & OCI_F_REQUIRED)
				return oci_derror(c, "required field missing");
		} else if (dec_field(c, f, v, base) < 0) {
			return -1;
		} else if (f->flags & OCI_F_MARK) {
			*(bool *)(base + f->off_n) = true;
		}
		oci_path_pop(c, mark);
	}
	return desc->check ? desc->check(c, dst) : 0;
}

void oci_strv_free(struct oci_strv *v)
{
	for (size_t i = 0; v->v && i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void oci_kvv_free(struct oci_kvv *v)
{
	for (size_t i = 0; v->v && i < v->n; i++) {
		free(v->v[i].key);
		free(v->v[i].value);
	}
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static void objv_free(const struct oci_field *f, char *base)
{
	char *v = *(char **)(base + f->off);
	size_t n = *(size_t *)(base + f->off_n);

	for (size_t i = 0; v && i < n; i++)
		oci_obj_free(f->obj, v + i * f->obj->size);
	free(v);
}

void oci_obj_free(const struct oci_obj *desc, void *dst)
{
	char *base = dst;

	for (size_t i = 0; i < desc->n_fields; i++) {
		const struct oci_field *f = &desc->fields[i];
		void *p = base + f->off;

		switch (f->kind) {
		case OCI_K_STR:
		case OCI_K_U32V:
			free(*(void **)p);
			break;
		case OCI_K_STRV:
			oci_strv_free(p);
			break;
		case OCI_K_KVV:
			oci_kvv_free(p);
			break;
		case OCI_K_OBJ:
			oci_obj_free(f->obj, p);
			break;
		case OCI_K_OBJV:
			objv_free(f, base);
			break;
		default:
			break;
		}
	}
}

int oci_doc_decode(const char *name, const char *json, size_t len, const struct oci_obj *desc,
		   void **out, struct slx_err *err)
{
	struct oci_dctx c = {.err = err};
	struct oci_jdoc doc;
	void *obj;

	*out = NULL;
	if (oci_json_parse(name, json, len, &doc, err) < 0)
		return -1;
	obj = calloc(1, desc->size);
	if (!obj) {
		oci_json_free(&doc);
		return slx_error(err, ENOMEM, "%s", name);
	}
	if (oci_obj_decode(&c, desc, doc.root, obj) < 0) {
		oci_json_free(&doc);
		oci_doc_free(desc, obj);
		return slx_error_prefix(err, "%s", name);
	}
	oci_json_free(&doc);
	*out = obj;
	return 0;
}

void oci_doc_free(const struct oci_obj *desc, void *obj)
{
	if (!obj)
		return;
	oci_obj_free(desc, obj);
	free(obj);
}
