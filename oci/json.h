/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json.h -- oci/'s private JSON layer: a strict yajl event parser building an
 * arena-backed tree, and yajl_gen helpers for the documents oci/ prints. */
#ifndef SLX_OCI_JSON_H
#define SLX_OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "../common/err.h"

#define OCI_JSON_MAX_DEPTH 64

enum oci_jtype {
	OCI_J_NULL,
	OCI_J_BOOL,
	OCI_J_NUMBER,
	OCI_J_STRING,
	OCI_J_ARRAY,
	OCI_J_OBJECT,
};

/* A number keeps how it was written: integers that fit int64 and/or uint64
 * carry exact values, anything with a fraction or exponent is a float. */
struct oci_jnum {
	bool is_float;
	bool fits_i64, fits_u64;
	int64_t i;
	uint64_t u;
	double d;
};

struct oci_jnode;

/* Children are singly linked in document order: building the tree never
 * reallocates, and decoders only ever walk them front to back. */
struct oci_jmember {
	const char *key;
	size_t key_len;
	struct oci_jnode *value;
	struct oci_jmember *next;
};

struct oci_jnode {
	enum oci_jtype type;
	struct oci_jnode *next; /* sibling inside an array */
	union {
		bool b;
		struct oci_jnum num;
		struct {
			const char *s; /* NUL-terminated, never contains NUL */
			size_t len;
		} str;
		struct {
			struct oci_jnode *head, *tail;
			size_t n;
		} arr;
		struct {
			struct oci_jmember *head, *tail;
			size_t n;
		} obj;
	};
};

struct oci_jarena;

/* A parsed document; everything lives in one arena freed by oci_json_free. */
struct oci_jdoc {
	struct oci_jnode *root;
	struct oci_jarena *arena;
};

/* Parse one JSON value (object or not) with trailing garbage, NUL in strings,
 * invalid UTF-8 and nesting past OCI_JSON_MAX_DEPTH all rejected.  Errors read
 * "<name>:<line>:<column>: <what>". */
int oci_json_parse(const char *name, const char *json, size_t len, struct oci_jdoc *doc,
		   struct slx_err *err);
void oci_json_free(struct oci_jdoc *doc);

/* "a string", "an object", ... for "expected X, got Y" messages. */
const char *oci_json_type_name(const struct oci_jnode *n);

/* --- output helpers (all ignore yajl_gen status; oci_gen_finish checks) --- */

/* A generator; `pretty` indents with `indent`. NULL on allocation failure. */
yajl_gen oci_gen_new(bool pretty, const char *indent);
void oci_gen_str(yajl_gen g, const char *s);
void oci_gen_key_str(yajl_gen g, const char *key, const char *value);
void oci_gen_key_int(yajl_gen g, const char *key, long long value);
void oci_gen_key_bool(yajl_gen g, const char *key, bool value);
/* "key": ["a", "b", ...] from a NULL-terminated list. */
void oci_gen_key_strlist(yajl_gen g, const char *key, const char *const *v);
/* Copy the generated text to a heap buffer and free g. */
int oci_gen_finish(yajl_gen g, char **out, size_t *len, struct slx_err *err);

#endif
