/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spool.h -- Events kept on disk across a shim's end (spool.c). */
#ifndef SLX_SHIM_SPOOL_H
#define SLX_SHIM_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* The spool directory (made 0700 when missing; refused unless it is the
 * shim's own and closed to others, or another shim holds it), held open
 * and locked in *out; a function's directory in it by name. */
int spool_open(const char *dir, int *out, struct slx_err *err);
int spool_open_function(int spool, const char *name, int *out, struct slx_err *err);

/* An accepted Event kept in a function's directory, whole or not at all;
 * its runs so far and when it may run again (epoch milliseconds, 0 at once;
 * set when a run starts and when one fails); gone (it ran, or was
 * dropped). */
int spool_put(int dir, const char *id, const char *body, size_t len, uint64_t first_ms,
	      struct slx_err *err);
void spool_set_runs(int dir, const char *id, unsigned runs, uint64_t due_ms);
void spool_remove(int dir, const char *id);

/* One Event read back; take() owns nothing of it (it copies the body). */
struct spool_event {
	char id[37];
	char *body;
	size_t len;
	unsigned runs;
	uint64_t first_ms, due_ms;
};
/* One Event by its id, as spool_each reads it (ev->body is the caller's
 * to free): NULL, or why not, *again when the reason may pass (out of
 * memory or descriptors, a read error) rather than the file being gone or
 * no Event. */
const char *spool_get(int dir, const char *id, struct spool_event *ev, bool *again);
/* What an Event of len bytes takes on disk, at least: its file's blocks. */
size_t spool_cost(size_t len);
/* Every Event in a function's directory, to take (0: taken); a file that
 * is none (its name, its header, its size, a link) is said on stderr and
 * left, one half written by a shim that died removed.  How many taken. */
int spool_each(int dir, const char *fn_name, int (*take)(void *ctx, struct spool_event *ev),
	       void *ctx);

#endif
