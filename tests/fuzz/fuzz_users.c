/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_users.c -- libFuzzer harness for an image config's User resolved in
 * the image's own /etc/passwd and /etc/group (image/users.c): the input is
 * "user[:group]\0passwd\0group", a part missing being a file the image lacks.
 * A numeric user or group is taken as it is; a name resolves only to a line
 * of its database that names it; an id is at most 2^32-2; the answer is the
 * same when asked again; a failure says why in one line. */
#include <errno.h>

#include "image/internal.h"
#include "tests/fuzz/fuzz.h"

/* The next NUL-separated part as its own allocation (so a read past its end
 * is an ASan report), or NULL when the input has ended. */
static char *part(const uint8_t **data, size_t *size, bool more)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;
	char *s;

	if (!more)
		return NULL;
	s = malloc(n + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, *data, n);
	s[n] = '\0';
	*data += nul ? n + 1 : n;
	*size -= nul ? n + 1 : n;
	return s;
}

static bool decimal(const char *s, size_t n, unsigned long *v)
{
	if (!n || strspn(s, "0123456789") < n)
		return false;
	errno = 0;
	*v = strtoul(s, NULL, 10);
	return !errno && *v <= 0xfffffffeUL;
}

/* A line of db whose first field is name. */
static bool names(const char *db, const char *name, size_t n)
{
	for (const char *l = db; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ':')
			return true;
	return false;
}

static void check(const char *spec, const char *passwd, const char *group)
{
	struct slx_err err = {0}, again = {0};
	unsigned uid, gid, uid2, gid2;
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	unsigned long want;
	int r = img_user_resolve(spec, passwd, group, &uid, &gid, &err);

	FUZZ_CHECK(img_user_resolve(spec, passwd, group, &uid2, &gid2, &again) == r);
	FUZZ_CHECK(!strcmp(err.msg, again.msg));
	if (r < 0) {
		FUZZ_CHECK(r == -1 && err.msg[0] && !strchr(err.msg, '\n'));
		return;
	}
	FUZZ_CHECK(r == 0 && uid == uid2 && gid == gid2);
	FUZZ_CHECK(uid <= 0xfffffffeU && gid <= 0xfffffffeU);
	if (decimal(spec, n, &want))
		FUZZ_CHECK(uid == want);
	else
		FUZZ_CHECK(passwd && names(passwd, spec, n));
	if (colon && decimal(colon + 1, strlen(colon + 1), &want))
		FUZZ_CHECK(gid == want);
	else if (colon)
		FUZZ_CHECK(group && names(group, colon + 1, strlen(colon + 1)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = part(&data, &size, true);
	char *passwd = part(&data, &size, size > 0);
	char *group = part(&data, &size, size > 0);

	check(spec, passwd, group);
	free(spec);
	free(passwd);
	free(group);
	return 0;
}
