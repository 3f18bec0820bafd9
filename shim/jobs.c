/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobs.c -- a job: one waiting or running invocation, answered exactly
 * once (its HTTP call answered, its outcome counted, the job freed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../cgroups/cgroups.h"
#include "../common/fsutil.h"
#include "lambda.h"
#include "serve.h"

void job_answer_error(struct job *j, unsigned status, const char *type, const char *msg)
{
	struct slx_buf b = {0};
	const char *fallback = "{\"errorMessage\":\"out of memory\"}";
	bool ok = shim_error_json(&b, type, msg, strlen(msg)) == 0;
	struct http_answer a = {
	    .status = status,
	    .body = ok ? b.p : fallback,
	    .len = ok ? b.len : strlen(fallback),
	    .function_error = status == 200 ? "Unhandled" : NULL,
	    .request_id = j->request_id[0] ? j->request_id : NULL,
	};

	if (!j->call) { /* an Event: its caller was answered when it was queued */
		slx_buf_release(&b);
		serve_event_failed(j, type);
		return;
	}
	http_call_answer(j->call, &a);
	slx_buf_release(&b);
	free(j);
}

/* A call whose sandbox could not start: the runtime's own error JSON, as
 * Lambda answers an init error (else why it failed, as Runtime.InitError),
 * with its init's log when the call asked for it. */
void job_answer_init_error(struct serve_fn *f, struct job *j, const struct shim_sandbox *sb,
			   const char *why)
{
	size_t elen = 0;
	const char *type = NULL, *ejson = sb ? shim_sandbox_init_error(sb, &elen, &type) : NULL;
	struct slx_buf log = {0};
	struct slx_err err = {0};
	struct http_answer a;

	if (!ejson) {
		job_answer_error(j, 200, "Runtime.InitError", why);
		return;
	}
	if (!j->call) {
		serve_event_failed(j, type);
		return;
	}
	if (j->tail) {
		struct shim_report rep = {
		    .duration_ns = slx_now_ns() - j->arrival_ns,
		    .memory_mb = shim_function_memory_mb(f->fn),
		    .status = "error",
		    .error_type = type,
		};

		rep.init_log = shim_sandbox_init_log(sb, &rep.init_log_len);
		(void)shim_log_result(&log, j->request_id, "", 0, &rep, &err);
	}
	a = (struct http_answer){
	    .status = 200,
	    .body = ejson,
	    .len = elen,
	    .function_error = "Unhandled",
	    .request_id = j->request_id,
	    .log_result = log.len ? log.p : NULL,
	};
	http_call_answer(j->call, &a);
	slx_buf_release(&log);
	free(j);
}

/* Answer a finished invocation (an Event's goes to async.c); the job is
 * freed or kept to run again. */
void job_answer_result(struct serve_fn *f, struct pool_slot *slot, struct job *j,
		       const struct shim_result *res)
{
	bool cold = j->cold;
	struct http_answer a;
	static bool log_failed;
	struct slx_buf log = {0};
	struct slx_err err = {0};

	if (!j->call) { /* an Event's first call has no Tail to take it either */
		if (slot->sb)
			shim_sandbox_init_log_drop(slot->sb);
		serve_event_finished(f, j, res);
		return;
	}
	/* without it the answer goes without its log; said once, not on every
	 * call a client asks it for */
	if (j->tail) {
		struct shim_report rep = {
		    .duration_ns = res->duration_ns,
		    .memory_mb = shim_function_memory_mb(f->fn),
		    .init_ns = cold ? slot->init_ns : 0,
		    .status = res->outcome == SHIM_TIMEOUT ? "timeout" : NULL,
		};

		if (slot->sb) {
			(void)cg_read_u64(shim_sandbox_cgroup_fd(slot->sb), "memory.peak",
					  &rep.max_memory_bytes);
			if (cold)
				rep.init_log = shim_sandbox_init_log(slot->sb, &rep.init_log_len);
		}
		if (shim_log_result(&log, j->request_id, res->log ? res->log : "", res->log_len,
				    &rep, &err) < 0 &&
		    !log_failed) {
			fprintf(stderr, "slxrun shim: answers go without X-Amz-Log-Result: %s\n",
				err.msg);
			log_failed = true;
		}
	}
	a = (struct http_answer){
	    .status = 200,
	    .body = res->body ? res->body : "",
	    .len = res->body ? res->len : 0,
	    .function_error = res->outcome == SHIM_OK ? NULL
			      : res->error_type	      ? res->error_type
						      : "Unhandled",
	    .start = cold ? "cold" : "warm",
	    .sandbox = slot->id,
	    .request_id = j->request_id,
	    .log_result = log.len ? log.p : NULL,
	};

	if (slot->sb) /* a sandbox's first call is its only cold one */
		shim_sandbox_init_log_drop(slot->sb);
	metrics_observe(&f->m, res->outcome, cold, (double)(slx_now_ns() - j->arrival_ns) / 1e9);
	http_call_answer(j->call, &a);
	slx_buf_release(&log);
	free(j);
}
