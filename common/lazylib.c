/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lazylib.c -- the lazy-loading mechanism, and stubs for the libmicrohttpd and
 * libcurl functions slxrun uses, forwarding to the real library dlopen'ed on
 * first use (or by slx_lazy_load_*); libarchive and libcrypto are in
 * lazy_archive.c.  The binary carries no DT_NEEDED on any of them, so the
 * runtime's cold path never pays for loading them. */
#define CURL_DISABLE_TYPECHECK
#include "lazylib.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int slx_lazy_load(struct slx_lazy_lib *lib, struct slx_err *err)
{
	void *h;

	if (lib->loaded)
		return 0;
	h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return slx_error(err, 0, "load %s: %s", lib->soname, dlerror());
	for (size_t i = 0; i < lib->n; i++) {
		lib->slots[i] = dlsym(h, lib->names[i]);
		if (!lib->slots[i])
			return slx_error(err, 0, "load %s: no symbol %s", lib->soname,
					 lib->names[i]);
	}
	lib->loaded = true;
	return 0;
}

/* A stub called before its library could load has no way to report: the
 * callers that can fail cleanly call slx_lazy_load_* first. */
void slx_lazy_require(struct slx_lazy_lib *lib)
{
	struct slx_err err;

	if (slx_lazy_load(lib, &err) < 0) {
		fprintf(stderr, "slxrun: %s\n", err.msg);
		abort();
	}
}

/* ---- libmicrohttpd ------------------------------------------------------ */

enum {
	M_START_VA,
	M_STOP,
	M_RUN,
	M_QUIESCE,
	M_GET_TIMEOUT,
	M_DAEMON_INFO,
	M_LOOKUP,
	M_SUSPEND,
	M_RESUME,
	M_RESP_BUF,
	M_ADD_HEADER,
	M_QUEUE,
	M_DESTROY,
	M_CONN_INFO,
	M_RESP_CB,
	M_VALUES,
	M_COUNT
};
static const char *const mhd_names[M_COUNT] = {
    "MHD_start_daemon_va",
    "MHD_stop_daemon",
    "MHD_run",
    "MHD_quiesce_daemon",
    "MHD_get_timeout",
    "MHD_get_daemon_info",
    "MHD_lookup_connection_value",
    "MHD_suspend_connection",
    "MHD_resume_connection",
    "MHD_create_response_from_buffer",
    "MHD_add_response_header",
    "MHD_queue_response",
    "MHD_destroy_response",
    "MHD_get_connection_info",
    "MHD_create_response_from_callback",
    "MHD_get_connection_values",
};
static void *mhd_slots[M_COUNT];
static struct slx_lazy_lib mhd_lib = {"libmicrohttpd.so.12", mhd_names, mhd_slots, M_COUNT, false};

int slx_lazy_load_mhd(struct slx_err *err)
{
	return slx_lazy_load(&mhd_lib, err);
}

#define MHD_FN(idx, name) ((__typeof__(&name))(slx_lazy_require(&mhd_lib), mhd_slots[idx]))

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = MHD_FN(M_START_VA, MHD_start_daemon_va)(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	MHD_FN(M_STOP, MHD_stop_daemon)(daemon);
}

enum MHD_Result MHD_run(struct MHD_Daemon *daemon)
{
	return MHD_FN(M_RUN, MHD_run)(daemon);
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
	return MHD_FN(M_QUIESCE, MHD_quiesce_daemon)(daemon);
}

enum MHD_Result MHD_get_timeout(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout)
{
	return MHD_FN(M_GET_TIMEOUT, MHD_get_timeout)(daemon, timeout);
}

/* The info types slxrun asks for take no further argument. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
						enum MHD_DaemonInfoType info_type, ...)
{
	return MHD_FN(M_DAEMON_INFO, MHD_get_daemon_info)(daemon, info_type);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
					const char *key)
{
	return MHD_FN(M_LOOKUP, MHD_lookup_connection_value)(connection, kind, key);
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
			      MHD_KeyValueIterator iterator, void *iterator_cls)
{
	return MHD_FN(M_VALUES, MHD_get_connection_values)(connection, kind, iterator,
							   iterator_cls);
}

void MHD_suspend_connection(struct MHD_Connection *connection)
{
	MHD_FN(M_SUSPEND, MHD_suspend_connection)(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
	MHD_FN(M_RESUME, MHD_resume_connection)(connection);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	return MHD_FN(M_RESP_BUF, MHD_create_response_from_buffer)(size, buffer, mode);
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
						       MHD_ContentReaderCallback crc, void *crc_cls,
						       MHD_ContentReaderFreeCallback crfc)
{
	return MHD_FN(M_RESP_CB, MHD_create_response_from_callback)(size, block_size, crc, crc_cls,
								    crfc);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	return MHD_FN(M_ADD_HEADER, MHD_add_response_header)(response, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	return MHD_FN(M_QUEUE, MHD_queue_response)(connection, status_code, response);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	MHD_FN(M_DESTROY, MHD_destroy_response)(response);
}

/* The info types slxrun asks for take no further argument. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	return MHD_FN(M_CONN_INFO, MHD_get_connection_info)(connection, info_type);
}

/* ---- libcurl ------------------------------------------------------------- */

enum {
	C_INIT,
	C_SETOPT,
	C_PERFORM,
	C_CLEANUP,
	C_GETINFO,
	C_STRERROR,
	C_SLIST_APPEND,
	C_SLIST_FREE,
	C_ESCAPE,
	C_FREE,
	C_COUNT
};
static const char *const curl_names[C_COUNT] = {
    "curl_easy_init",	 "curl_easy_setopt",   "curl_easy_perform", "curl_easy_cleanup",
    "curl_easy_getinfo", "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all",
    "curl_easy_escape",	 "curl_free",
};
static void *curl_slots[C_COUNT];
static struct slx_lazy_lib curl_lib = {"libcurl.so.4", curl_names, curl_slots, C_COUNT, false};

int slx_lazy_load_curl(struct slx_err *err)
{
	return slx_lazy_load(&curl_lib, err);
}

#define CURL_FN(idx, name) ((__typeof__(&name))(slx_lazy_require(&curl_lib), curl_slots[idx]))

CURL *curl_easy_init(void)
{
	return CURL_FN(C_INIT, curl_easy_init)();
}

/* curl's option number says the argument's type (long, pointer, off_t). */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode r;
	va_list ap;

	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		r = CURL_FN(C_SETOPT, curl_easy_setopt)(curl, option, va_arg(ap, long));
	else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		r = CURL_FN(C_SETOPT, curl_easy_setopt)(curl, option, va_arg(ap, curl_off_t));
	else
		r = CURL_FN(C_SETOPT, curl_easy_setopt)(curl, option, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return CURL_FN(C_PERFORM, curl_easy_perform)(curl);
}

void curl_easy_cleanup(CURL *curl)
{
	CURL_FN(C_CLEANUP, curl_easy_cleanup)(curl);
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode r;
	va_list ap;

	va_start(ap, info);
	r = CURL_FN(C_GETINFO, curl_easy_getinfo)(curl, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

const char *curl_easy_strerror(CURLcode code)
{
	return CURL_FN(C_STRERROR, curl_easy_strerror)(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return CURL_FN(C_SLIST_APPEND, curl_slist_append)(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
	CURL_FN(C_SLIST_FREE, curl_slist_free_all)(list);
}

char *curl_easy_escape(CURL *curl, const char *s, int len)
{
	return CURL_FN(C_ESCAPE, curl_easy_escape)(curl, s, len);
}

void curl_free(void *p)
{
	CURL_FN(C_FREE, curl_free)(p);
}
