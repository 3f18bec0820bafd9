/* SPDX-License-Identifier: GPL-2.0-or-later */
/* decode.h -- table-driven decoding of a JSON tree into oci/'s C structs,
 * with errors naming the JSON path, and the matching table-driven free. */
#ifndef SLX_OCI_DECODE_H
#define SLX_OCI_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "oci.h"

/* How a field is stored at base + off.  Every kind except OCI_K_FN owns heap
 * memory only through what oci_obj_free releases; OCI_K_FN decoders must not
 * allocate. */
enum oci_kind {
	OCI_K_STR,     /* char * */
	OCI_K_BOOL,    /* bool */
	OCI_K_INT,     /* int, any int range */
	OCI_K_U32,     /* uint32_t */
	OCI_K_I64,     /* int64_t */
	OCI_K_U64,     /* uint64_t */
	OCI_K_OPT_I64, /* struct oci_opt_i64 */
	OCI_K_OPT_U64, /* struct oci_opt_u64 */
	OCI_K_STRV,    /* struct oci_strv */
	OCI_K_KVV,     /* struct oci_kvv, string values */
	OCI_K_U32V,    /* uint32_t * at off, size_t count at off_n */
	OCI_K_CHAR,    /* char, a one-letter string out of `chars` */
	OCI_K_OBJ,     /* nested object described by `obj` at base + off */
	OCI_K_OBJV,    /* array of `obj` elements: pointer at off, count at off_n */
	OCI_K_FN,      /* custom scalar decoder `fn` */
};

#define OCI_F_REQUIRED 1u
/* When the field is given, set the bool at base + off_n (has_process, ...). */
#define OCI_F_MARK 2u

struct oci_dctx;
struct oci_obj;

struct oci_field {
	const char *key;
	enum oci_kind kind;
	unsigned flags;
	size_t off, off_n;
	const struct oci_obj *obj;
	const char *chars;
	int (*fn)(struct oci_dctx *c, const struct oci_jnode *n, void *dst);
};

struct oci_obj {
	const struct oci_field *fields;
	size_t n_fields;
	size_t size;		 /* element size when used by OCI_K_OBJV */
	long present_off;	 /* bool set true when the object is given; -1 if none */
	void (*init)(void *dst); /* defaults before decoding */
	int (*check)(struct oci_dctx *c, void *dst); /* validation after */
};

/* The decoding context: the JSON path of the node being decoded, built up
 * and cut back as decoders descend, and the error to fill. */
struct oci_dctx {
	char path[512];
	size_t path_len;
	struct slx_err *err;
};

/* Path handling: push returns the length to restore with oci_path_pop. */
size_t oci_path_push_key(struct oci_dctx *c, const char *key);
size_t oci_path_push_index(struct oci_dctx *c, size_t i);
void oci_path_pop(struct oci_dctx *c, size_t len);

/* Fill c->err with "<path>: <msg>" (just "<msg>" at the root); returns -1. */
int oci_derror(struct oci_dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "expected <what>, got <type of n>". */
int oci_dexpected(struct oci_dctx *c, const char *what, const struct oci_jnode *n);

/* Decode the object n into dst (already zeroed) per desc; on error dst holds
 * whatever was decoded so far and must still be freed with oci_obj_free. */
int oci_obj_decode(struct oci_dctx *c, const struct oci_obj *desc, const struct oci_jnode *n,
		   void *dst);
/* Release everything oci_obj_decode may have allocated in dst (not dst). */
void oci_obj_free(const struct oci_obj *desc, void *dst);

/* Decode a whole document: parse, decode the top-level object into a fresh
 * calloc'd struct of desc->size bytes, prefix errors with name. */
int oci_doc_decode(const char *name, const char *json, size_t len, const struct oci_obj *desc,
		   void **out, struct slx_err *err);
void oci_doc_free(const struct oci_obj *desc, void *obj);

/* Shared descriptions: a hook object ({path, args, env, timeout}). */
extern const struct oci_obj oci_hook_desc;

void oci_strv_free(struct oci_strv *v);
void oci_kvv_free(struct oci_kvv *v);

#define OCI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
