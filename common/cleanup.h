/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cleanup.h -- scope-bound ownership: cleanup_free, cleanup_close, cleanup_dir, steal_ptr. */
#ifndef SLX_CLEANUP_H
#define SLX_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void slx_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

/* Safe twice and on -1; keeps errno so an error path can close then report. */
static inline void slx_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
	*fd = -1;
}

static inline void slx_closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
	*d = NULL;
}

static inline void slx_fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
	*f = NULL;
}

#define cleanup_free  __attribute__((cleanup(slx_freep)))
#define cleanup_close __attribute__((cleanup(slx_closep)))
#define cleanup_dir   __attribute__((cleanup(slx_closedirp)))
#define cleanup_file  __attribute__((cleanup(slx_fclosep)))

/* Hand ownership out of a cleanup-scoped variable. */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) steal_tmp_ = (p);                                                    \
		(p) = NULL;                                                                        \
		steal_tmp_;                                                                        \
	})
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int steal_fd_ = (fd);                                                              \
		(fd) = -1;                                                                         \
		steal_fd_;                                                                         \
	})

#endif
