/* SPDX-License-Identifier: GPL-2.0-or-later */
/* users.c -- an image config's User ("name", "uid", "name:group", ...)
 * resolved in the image's own /etc/passwd and /etc/group texts, pure. */
#include "internal.h"

#include "../common/ids.h"

#include <stdlib.h>
#include <string.h>

static bool parse_id(const char *s, unsigned *out)
{
	uint32_t v;

	if (slx_parse_id(s, strlen(s), &v) != SLX_ID_OK)
		return false;
	*out = v;
	return true;
}

/* The line of a colon-separated database (passwd, group) whose field 0
 * matches name, or (name NULL) whose field 2 matches *id: *f2 gets field 2
 * and, when f3 is not NULL and the line has one, *f3 field 3. */
static bool db_find(const char *db, const char *name, const unsigned *id, unsigned *f2,
		    unsigned *f3)
{
	for (const char *line = db; line && *line;) {
		const char *start = line, *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char buf[512], *fields[4] = {0}, *p = buf;
		unsigned a = 0, b = 0;
		size_t k = 0;

		line = eol ? eol + 1 : NULL;
		if (n >= sizeof(buf))
			continue;
		memcpy(buf, start, n);
		buf[n] = '\0';
		for (char *t; k < 4 && (t = strsep(&p, ":")); k++)
			fields[k] = t;
		if (k < 3 || !parse_id(fields[2], &a) ||
		    (name ? strcmp(fields[0], name) : a != *id))
			continue;
		*f2 = a;
		if (f3 && k == 4 && parse_id(fields[3], &b))
			*f3 = b;
		return true;
	}
	return false;
}

int img_user_resolve(const char *spec, const char *passwd, const char *group, unsigned *uid,
		     unsigned *gid, struct slx_err *err)
{
	char user[256];
	const char *colon = strchr(spec, ':'), *grp = colon ? colon + 1 : NULL;
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	*uid = 0;
	*gid = 0;
	if (!n || n >= sizeof(user) || (grp && !*grp))
		return slx_error(err, 0, "image config: User \"%s\": expected user[:group]", spec);
	memcpy(user, spec, n);
	user[n] = '\0';
	if (parse_id(user, uid)) {
		if (passwd)
			(void)db_find(passwd, NULL, uid, uid, gid);
	} else if (!passwd || !db_find(passwd, user, NULL, uid, gid)) {
		return slx_error(err, 0,
				 "image config: User \"%s\": no user %s in the image's /etc/passwd",
				 spec, user);
	}
	if (!grp || parse_id(grp, gid))
		return 0;
	if (!group || !db_find(group, grp, NULL, gid, NULL))
		return slx_error(err, 0,
				 "image config: User \"%s\": no group %s in the image's /etc/group",
				 spec, grp);
	return 0;
}
