/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json.c -- image documents read with yajl's tree: parse, look up, and the
 * descriptor every manifest and index is made of. */
#include "internal.h"

#include <string.h>

int img_json_shape(const char *what, const char *json, struct slx_err *err)
{
	unsigned depth = 0;
	size_t values = 0;
	bool in_string = false, escaped = false;

	for (const char *p = json; *p; p++) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (*p == '\\')
				escaped = true;
			else if (*p == '"')
				in_string = false;
			continue;
		}
		switch (*p) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > IMG_JSON_MAX_DEPTH)
				return slx_error(err, 0, "%s: nested deeper than %d levels", what,
						 IMG_JSON_MAX_DEPTH);
			/* an array or object is a value, and so is what each
			 * comma adds */
			__attribute__((fallthrough));
		case ',':
			if (++values > IMG_JSON_MAX_VALUES)
				return slx_error(err, 0, "%s: more than %d values", what,
						 IMG_JSON_MAX_VALUES);
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

int img_json_parse(const char *what, const char *json, yajl_val *out, struct slx_err *err)
{
	char msg[256] = "";

	*out = NULL;
	if (img_json_shape(what, json, err) < 0)
		return -1;
	*out = yajl_tree_parse(json, msg, sizeof(msg));
	if (!*out) {
		msg[strcspn(msg, "\n")] = '\0';
		return slx_error(err, 0, "%s: not JSON: %s", what, msg[0] ? msg : "parse error");
	}
	if (!YAJL_IS_OBJECT(*out)) {
		yajl_tree_free(*out);
		*out = NULL;
		return slx_error(err, 0, "%s: expected an object", what);
	}
	return 0;
}

yajl_val img_json_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

const char *img_json_str(yajl_val obj, const char *key)
{
	yajl_val v = img_json_get(obj, key);

	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int img_desc_parse(yajl_val v, const char *where, struct img_desc *d, struct slx_err *err)
{
	const char *mt = img_json_str(v, "mediaType"), *digest = img_json_str(v, "digest");
	yajl_val size = img_json_get(v, "size");

	*d = (struct img_desc){0};
	if (!YAJL_IS_OBJECT(v))
		return slx_error(err, 0, "%s: expected a descriptor object", where);
	if (!digest || !img_digest_valid(digest))
		return slx_error(err, 0, "%s.digest: \"%s\" is not sha256:<64 hex>", where,
				 digest ? digest : "(missing)");
	if (!YAJL_IS_INTEGER(size) || YAJL_GET_INTEGER(size) < 0)
		return slx_error(err, 0, "%s.size: missing or not a size", where);
	if (mt && strlen(mt) >= sizeof(d->media_type))
		return slx_error(err, 0, "%s.mediaType: too long", where);
	strcpy(d->digest, digest);
	strcpy(d->media_type, mt ? mt : "");
	d->size = YAJL_GET_INTEGER(size);
	return 0;
}
