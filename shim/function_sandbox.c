/* SPDX-License-Identifier: GPL-2.0-or-later */
/* function_sandbox.c -- the shim's handle on one sandbox: spawn it in-process with
 * the agent as pid 1, speak the agent framing on a socketpair, enforce the
 * deadline from outside (cgroup.kill), tell OOM from crash by memory.events. */
#include "function_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../runtime/runtime.h"
#include "agent.h"
#include "../common/lazylib.h"
#include "lambda.h"

struct shim_sandbox {
	const struct shim_function *fn;
	struct rt_sandbox rt;
	int fd;	      /* our end of the agent's socket */
	int owner_fd; /* holds its user namespace's owner (floor_owner.c), or -1 */
	char *id;
	struct agent_rx rx;
	/* The INVOKE frame being handed over: its head here, the event borrowed
	 * from the caller; out_sent bytes of out_len + event_len are gone. */
	char out[sizeof(struct agent_frame_hdr) + sizeof(struct agent_invoke) + 128];
	size_t out_len, out_sent;
	const char *event;
	size_t event_len;
	bool alive, busy;
	char request_id[128];
	char *log; /* the call's log tail (AGENT_LOG), until its result takes it */
	size_t log_len;
	/* what its runtime logged while it started, until its first call, and
	 * the error it reported when it could not, as Lambda answers it
	 * (runtime-api mode; shim_init_error_answer) */
	char *init_log, *init_error;
	size_t init_log_len, init_error_len;
	char init_error_type[72];
	uint64_t started_ns;
	uint64_t oom_kills; /* memory.events oom_kill when the sandbox was made */
};

static const char *const outcome_names[] = {
    [SHIM_OK] = "ok",
    [SHIM_ERROR] = "error",
    [SHIM_TIMEOUT] = "timeout",
    [SHIM_OOM] = "oom",
    [SHIM_CRASH] = "crash",
    [SHIM_INIT_ERROR] = "init_error",
    [SHIM_SERVICE_ERROR] = "service_error",
};

const char *shim_outcome_name(enum shim_outcome o)
{
	if ((size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]))
		return outcome_names[o];
	return "unknown";
}

void shim_result_release(struct shim_result *r)
{
	free(r->body);
	free(r->error_type);
	free(r->log);
	r->body = r->error_type = r->log = NULL;
	r->len = r->log_len = 0;
}

static uint64_t oom_kills(const struct shim_sandbox *sb)
{
	struct cg_stats st;
	struct slx_err err;

	if (sb->rt.cg.dirfd < 0 || cg_stats_read(sb->rt.cg.dirfd, &st, &err) < 0)
		return 0;
	return st.memory_events_oom_kill;
}

/* An AGENT_LOG frame's log kept (a call's, or the sandbox's init's); one
 * past AGENT_TAIL_MAX is the agent's fault, and dropped. */
static void keep_log(char **to, size_t *to_len, const char *payload, size_t len)
{
	if (len <= AGENT_TAIL_MAX && (*to = malloc(len + 1))) {
		memcpy(*to, payload, len);
		*to_len = len;
	}
}

int shim_sandbox_ready_poll(struct shim_sandbox *sb, struct slx_err *err)
{
	const char *payload;
	size_t len;
	uint32_t type;

	if (agent_rx_fill(&sb->rx, sb->fd, err) < 0)
		return -1;
	while (agent_rx_frame(&sb->rx, &type, &payload, &len)) {
		if (type == AGENT_READY) {
			agent_rx_consume(&sb->rx);
			return 1;
		}
		if (type == AGENT_INIT_ERROR) {
			struct slx_buf b = {0};

			free(sb->init_error);
			sb->init_error = NULL;
			sb->init_error_len = 0;
			if (shim_init_error_answer(payload, len, &b, sb->init_error_type,
						   sizeof(sb->init_error_type)) == 0) {
				sb->init_error = steal_ptr(b.p);
				sb->init_error_len = b.len;
			}
			slx_buf_release(&b);
			return slx_error(err, 0, "function init failed: %.*s",
					 (int)(len > 900 ? 900 : len), payload);
		}
		if (type == AGENT_LOG) { /* the latest, should there be more */
			shim_sandbox_init_log_drop(sb);
			keep_log(&sb->init_log, &sb->init_log_len, payload, len);
		}
		agent_rx_consume(&sb->rx);
	}
	if (sb->rx.eof)
		return slx_error(err, 0, "sandbox %s: the agent exited before it was ready",
				 sb->id);
	return 0;
}

/* Wait for READY; an INIT_ERROR or an early exit is the error. */
int shim_sandbox_wait_ready(struct shim_sandbox *sb, struct slx_err *err)
{
	uint64_t deadline = slx_now_ns() + (uint64_t)sb->fn->timeout_s * 1000000000ull;

	for (;;) {
		uint64_t now = slx_now_ns();
		struct pollfd pfd = {.fd = sb->fd, .events = POLLIN};
		int r = shim_sandbox_ready_poll(sb, err);

		if (r != 0)
			return r < 0 ? -1 : 0;
		if (now >= deadline)
			return slx_error(err, ETIMEDOUT,
					 "sandbox %s: not ready within %" PRIu32 " s", sb->id,
					 sb->fn->timeout_s);
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (r < 0 && errno != EINTR)
			return slx_error(err, errno, "sandbox %s: poll", sb->id);
	}
}

static struct shim_sandbox *sandbox_new(const struct shim_function *fn, const char *id,
					struct slx_err *err)
{
	struct shim_sandbox *sb = calloc(1, sizeof(*sb));

	if (!sb || !(sb->id = strdup(id))) {
		free(sb);
		slx_error(err, ENOMEM, "sandbox");
		return NULL;
	}
	sb->fn = fn;
	sb->fd = sb->owner_fd = -1;
	sb->rt.pidfd = sb->rt.cg.dirfd = -1;
	return sb;
}

/* The range's map with the function's user (inside id user) made host id
 * host: what the kernel counts by host uid alone (fds in flight over unix
 * sockets, pipe pages, epoll watches) is then this sandbox's own. */
static size_t own_user_map(const struct oci_id_mapping *range, uint32_t user, uint32_t host,
			   struct oci_id_mapping out[3])
{
	size_t n = 0;

	if (user)
		out[n++] = (struct oci_id_mapping){0, range->host_id, user};
	out[n++] = (struct oci_id_mapping){user, host, 1};
	if (user + 1 < range->size)
		out[n++] = (struct oci_id_mapping){user + 1, range->host_id + user + 1,
						   range->size - user - 1};
	return n;
}

int shim_sandbox_spawn_parts(const struct shim_function *fn, const char *id, bool clone_parent,
			     struct rt_sandbox *rt, int *fd, int *owner_fd, struct slx_err *err)
{
	const struct oci_linux *l = &fn->cfg->linux_;
	const struct oci_id_mapping *ids = l->uid_mappings;
	struct oci_id_mapping own[3];
	size_t n_own = 0;
	int views[fn->floor.n_views + 1];
	struct shim_agent_args args;
	struct rt_sandbox_opts o;
	int sv[2], keep[2], r;
	uid_t owner = 0;

	*fd = *owner_fd = -1;
	memset(rt, 0, sizeof(*rt));
	rt->pidfd = rt->cg.dirfd = -1;
	/* The agent serves HTTP after pivot_root, where the library file is
	 * out of reach: load it while the host's filesystem is ours. */
	if (fn->mode == SHIM_MODE_RUNTIME_API && slx_lazy_load_mhd(err) < 0)
		return -1;
	/* what the kernel counts per user: this sandbox's own owner's */
	if (fn->floor.on &&
	    (*owner_fd = shim_floor_owner_take(ids[0].host_id + ids[0].size, &owner, err)) < 0)
		return slx_error_prefix(err, "sandbox %s", id);
	/* own_user and views are the floor's: unset without it */
	if (fn->floor.own_user)
		n_own = own_user_map(&ids[0], fn->floor.uid, owner + SHIM_FLOOR_OWNERS, own);
	if (shim_floor_views_make(&fn->floor, n_own ? own : ids, n_own ? n_own : l->n_uid_mappings,
				  l->gid_mappings, l->n_gid_mappings, views, err) < 0) {
		slx_closep(owner_fd);
		return slx_error_prefix(err, "sandbox %s", id);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		slx_error(err, errno, "sandbox %s: socketpair", id);
		r = -1;
		goto out;
	}
	args = (struct shim_agent_args){.fn = fn, .sock = sv[1]};
	keep[0] = sv[1];
	keep[1] = fn->floor.share_exec_fd;
	o = (struct rt_sandbox_opts){
	    .cfg = fn->cfg,
	    .bundle = fn->bundle,
	    .id = id,
	    .cgroup_parent = fn->cgroup_parent,
	    .entry = shim_agent_main,
	    .entry_arg = &args,
	    .keep_fds = keep,
	    .n_keep_fds = fn->floor.share_memory ? 2 : 1,
	    .seccomp = fn->floor.seccomp,
	    .clone_parent = clone_parent,
	    .same_layout = fn->floor.share_memory,
	    .userns_owner = owner,
	    .uid_map = n_own ? own : NULL,
	    .n_uid_map = n_own,
	    .cover_paths = (const char *const *)fn->floor.views,
	    .cover_trees = views,
	    .n_covers = fn->floor.n_views,
	};
	r = rt_sandbox_spawn(&o, rt, err);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		slx_error_prefix(err, "sandbox %s", id);
	} else {
		*fd = sv[0];
	}
out:
	for (size_t i = 0; i < fn->floor.n_views; i++)
		close(views[i]);
	if (r < 0)
		slx_closep(owner_fd);
	return r;
}

int shim_sandbox_adopt(const struct shim_function *fn, const char *id, struct rt_sandbox *rt,
		       int fd, int owner_fd, struct shim_sandbox **out, struct slx_err *err)
{
	struct shim_sandbox *sb = sandbox_new(fn, id, err);

	if (!sb) {
		(void)rt_sandbox_destroy(rt, &(struct slx_err){0});
		close(fd);
		slx_closep(&owner_fd);
		return -1;
	}
	sb->rt = *rt;
	sb->fd = fd;
	sb->owner_fd = owner_fd;
	sb->alive = true;
	sb->oom_kills = oom_kills(sb);
	*out = sb;
	return 0;
}

int shim_sandbox_spawn(const struct shim_function *fn, const char *id, struct shim_sandbox **out,
		       struct slx_err *err)
{
	struct rt_sandbox rt;
	int fd, owner_fd;

	if (shim_sandbox_spawn_parts(fn, id, false, &rt, &fd, &owner_fd, err) < 0)
		return -1;
	return shim_sandbox_adopt(fn, id, &rt, fd, owner_fd, out, err);
}

const struct rt_timings *shim_sandbox_rt_timings(const struct shim_sandbox *sb)
{
	return &sb->rt.timings;
}

int shim_sandbox_fd(const struct shim_sandbox *sb)
{
	return sb->fd;
}

const char *shim_sandbox_id(const struct shim_sandbox *sb)
{
	return sb->id;
}

int shim_sandbox_cgroup_fd(const struct shim_sandbox *sb)
{
	return sb->rt.cg.dirfd;
}

/* Send what the socket takes of the pending INVOKE frame: 1 all sent, 0
 * more to send (EAGAIN), -1 the agent is gone (EPIPE, ECONNRESET). */
static int flush_out(struct shim_sandbox *sb, struct slx_err *err)
{
	while (sb->out_sent < sb->out_len + sb->event_len) {
		struct iovec iov[2];
		struct msghdr mh = {.msg_iov = iov};
		ssize_t w;

		if (sb->out_sent < sb->out_len) {
			iov[mh.msg_iovlen++] =
			    (struct iovec){sb->out + sb->out_sent, sb->out_len - sb->out_sent};
			iov[mh.msg_iovlen++] = (struct iovec){(void *)sb->event, sb->event_len};
		} else {
			iov[mh.msg_iovlen++] =
			    (struct iovec){(void *)(sb->event + (sb->out_sent - sb->out_len)),
					   sb->event_len - (sb->out_sent - sb->out_len)};
		}
		w = sendmsg(sb->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w < 0)
			return slx_error(err, errno, "sandbox %s: invoke", sb->id);
		sb->out_sent += (size_t)w;
	}
	return 1;
}

static void out_clear(struct shim_sandbox *sb)
{
	sb->out_len = sb->out_sent = sb->event_len = 0;
	sb->event = NULL;
}

bool shim_sandbox_wants_write(const struct shim_sandbox *sb)
{
	return sb->busy && sb->out_sent < sb->out_len + sb->event_len;
}

int shim_sandbox_invoke_start(struct shim_sandbox *sb, const char *request_id, const char *event,
			      size_t len, uint64_t deadline_ms, bool want_log, struct slx_err *err)
{
	struct agent_invoke hdr = {.deadline_ms = deadline_ms,
				   .flags = want_log ? AGENT_INVOKE_TAIL : 0};
	struct agent_frame_hdr fh = {.type = AGENT_INVOKE};

	if (!sb->alive)
		return slx_error(err, 0, "sandbox %s: not alive", sb->id);
	if (sb->busy)
		return slx_error(err, EBUSY, "sandbox %s: an invocation is in flight", sb->id);
	if (len > AGENT_PAYLOAD_MAX)
		return slx_error(err, EMSGSIZE, "event of %zu bytes exceeds %u bytes", len,
				 AGENT_PAYLOAD_MAX);
	snprintf(sb->request_id, sizeof(sb->request_id), "%s", request_id);
	hdr.request_id_len = (uint32_t)strlen(sb->request_id);
	fh.len = (uint32_t)(sizeof(hdr) + hdr.request_id_len + len);
	memcpy(sb->out, &fh, sizeof(fh));
	memcpy(sb->out + sizeof(fh), &hdr, sizeof(hdr));
	memcpy(sb->out + sizeof(fh) + sizeof(hdr), sb->request_id, hdr.request_id_len);
	sb->out_len = sizeof(fh) + sizeof(hdr) + hdr.request_id_len;
	sb->out_sent = 0;
	sb->event = event;
	sb->event_len = len;
	free(sb->log);
	sb->log = NULL;
	sb->log_len = 0;
	sb->started_ns = slx_now_ns();
	sb->busy = true;
	/* What the socket does not take now goes on writability (a frozen,
	 * stopped or slow agent): never wait here. */
	if (flush_out(sb, err) < 0) {
		out_clear(sb);
		sb->busy = false;
		sb->alive = false;
		return -1;
	}
	return 0;
}

static int fill_result(struct shim_result *res, enum shim_outcome o, const char *error_type,
		       size_t et_len, const char *body, size_t len)
{
	res->outcome = o;
	res->len = len;
	res->body = malloc(len + 1);
	res->error_type = error_type ? strndup(error_type, et_len) : NULL;
	if (!res->body || (error_type && !res->error_type)) {
		shim_result_release(res);
		return -1;
	}
	memcpy(res->body, body, len);
	res->body[len] = '\0';
	return 0;
}

/* The agent is gone without a RESULT: the OOM killer, or something killed it. */
static int result_agent_died(struct shim_sandbox *sb, struct shim_result *res)
{
	struct slx_buf b = {0};
	char msg[256];
	bool oom = oom_kills(sb) > sb->oom_kills;
	int r;

	snprintf(msg, sizeof(msg), "RequestId: %s Error: %s", sb->request_id,
		 oom ? "Runtime exited with error: signal: killed"
		     : "Runtime exited without providing a reason");
	if (shim_error_json(&b, oom ? "Runtime.OutOfMemory" : "Runtime.ExitError", msg,
			    strlen(msg)) < 0)
		return -1;
	r = fill_result(res, oom ? SHIM_OOM : SHIM_CRASH, "Unhandled", 9, b.p, b.len);
	slx_buf_release(&b);
	return r;
}

static int result_from_frame(struct shim_sandbox *sb, const char *p, size_t len,
			     struct shim_result *res)
{
	struct agent_result_msg m;
	enum shim_outcome o;

	if (agent_result_parse(p, len, &m) < 0 || m.outcome > SHIM_INIT_ERROR)
		return -1;
	o = (enum shim_outcome)m.outcome;
	/* A function killed by a signal may have been the OOM killer's doing. */
	if (o == SHIM_CRASH && oom_kills(sb) > sb->oom_kills)
		return result_agent_died(sb, res);
	return fill_result(res, o, m.error_type, m.error_type_len, m.body, m.body_len);
}

int shim_sandbox_invoke_poll(struct shim_sandbox *sb, struct shim_result *res, struct slx_err *err)
{
	const char *payload;
	size_t len;
	uint32_t type;

	memset(res, 0, sizeof(*res));
	if (!sb->busy)
		return slx_error(err, 0, "sandbox %s: no invocation in flight", sb->id);
	/* An agent that can no longer take the event is gone: its EOF says so. */
	if (shim_sandbox_wants_write(sb) && flush_out(sb, err) < 0)
		sb->rx.eof = true;
	if (agent_rx_fill(&sb->rx, sb->fd, err) < 0)
		sb->rx.eof = true;
	while (agent_rx_frame(&sb->rx, &type, &payload, &len)) {
		if (type == AGENT_GONE) {
			agent_rx_consume(&sb->rx);
			sb->alive = sb->busy = false;
			out_clear(sb);
			return 2;
		}
		/* the latest: one ahead of the deadline, then the answer's */
		if (type == AGENT_LOG) {
			free(sb->log);
			sb->log = NULL;
			sb->log_len = 0;
			keep_log(&sb->log, &sb->log_len, payload, len);
		}
		if (type != AGENT_RESULT) {
			agent_rx_consume(&sb->rx);
			continue;
		}
		int r = result_from_frame(sb, payload, len, res);
		agent_rx_consume(&sb->rx);
		if (r < 0)
			return slx_error(err, EPROTO, "sandbox %s: bad result frame", sb->id);
		goto done;
	}
	if (!sb->rx.eof)
		return 0;
	sb->alive = false;
	if (result_agent_died(sb, res) < 0)
		return slx_error(err, ENOMEM, "sandbox %s: result", sb->id);
done:
	res->duration_ns = slx_now_ns() - sb->started_ns;
	res->log = sb->log;
	res->log_len = sb->log_len;
	sb->log = NULL;
	sb->log_len = 0;
	/* A result before the whole event went out leaves half a frame on the
	 * socket: the agent broke the protocol and the sandbox is done. */
	if (shim_sandbox_wants_write(sb))
		sb->alive = false;
	out_clear(sb);
	sb->busy = false;
	if (res->outcome == SHIM_OOM)
		sb->oom_kills = oom_kills(sb);
	/* A crash in runtime-api mode ends the agent too; exec mode carries on. */
	if (res->outcome == SHIM_OOM ||
	    (res->outcome == SHIM_CRASH && sb->fn->mode == SHIM_MODE_RUNTIME_API))
		sb->alive = false;
	return 1;
}

void shim_sandbox_timeout(struct shim_sandbox *sb, struct shim_result *res)
{
	struct slx_buf b = {0};
	struct slx_err err;
	char msg[256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t ms = shim_epoch_ms() % 1000;

	if (sb->rt.cg.dirfd >= 0 && cg_kill_all(&sb->rt.cg, SIGKILL, &err) < 0)
		(void)kill(sb->rt.pid, SIGKILL);
	else if (sb->rt.cg.dirfd < 0)
		(void)kill(sb->rt.pid, SIGKILL);
	sb->alive = false;
	sb->busy = false;
	out_clear(sb);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(msg, sizeof(msg),
		 "%s.%03" PRIu64 "Z %s Task timed out after %" PRIu32 ".00 seconds", stamp, ms,
		 sb->request_id, sb->fn->timeout_s);
	memset(res, 0, sizeof(*res));
	if (shim_error_json(&b, "Sandbox.Timedout", msg, strlen(msg)) == 0)
		(void)fill_result(res, SHIM_TIMEOUT, "Unhandled", 9, b.p, b.len);
	res->outcome = SHIM_TIMEOUT;
	/* What the call logged until shortly before (agent_log_early_ms), then
	 * what Lambda logs for it. */
	if (asprintf(&res->log, "%.*s%s%s\n", (int)sb->log_len, sb->log ? sb->log : "",
		     sb->log_len && sb->log[sb->log_len - 1] != '\n' ? "\n" : "", msg) < 0)
		res->log = NULL;
	else
		res->log_len = strlen(res->log);
	free(sb->log);
	sb->log = NULL;
	sb->log_len = 0;
	res->duration_ns = slx_now_ns() - sb->started_ns;
	slx_buf_release(&b);
}

int shim_sandbox_invoke(struct shim_sandbox *sb, const char *request_id, const char *event,
			size_t len, struct shim_result *res, struct slx_err *err)
{
	uint64_t timeout_ns = (uint64_t)sb->fn->timeout_s * 1000000000ull;
	uint64_t deadline;
	int r;

	if (shim_sandbox_invoke_start(sb, request_id, event, len,
				      shim_epoch_ms() + timeout_ns / 1000000, false, err) < 0)
		return -1;
	deadline = sb->started_ns + timeout_ns;
	for (;;) {
		uint64_t now = slx_now_ns();
		struct pollfd pfd = {
		    .fd = sb->fd, .events = POLLIN | (shim_sandbox_wants_write(sb) ? POLLOUT : 0)};

		if (now >= deadline) {
			shim_sandbox_timeout(sb, res);
			return 0;
		}
		r = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return slx_error(err, errno, "sandbox %s: poll", sb->id);
		if (r <= 0)
			continue;
		r = shim_sandbox_invoke_poll(sb, res, err);
		if (r == 2) /* one sandbox, no elsewhere: the runtime's end is the answer */
			return result_agent_died(sb, res) < 0 ? slx_error(err, ENOMEM, "result")
							      : 0;
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
}

int shim_sandbox_freeze(struct shim_sandbox *sb, bool frozen, struct slx_err *err)
{
	if (sb->rt.cg.dirfd < 0)
		return slx_error(err, ENOTSUP, "sandbox %s: no cgroup to freeze", sb->id);
	return cg_freeze(&sb->rt.cg, frozen, err);
}

bool shim_sandbox_alive(const struct shim_sandbox *sb)
{
	struct pollfd pfd = {.fd = sb->rt.pidfd, .events = POLLIN};

	if (!sb->alive || sb->rx.eof)
		return false;
	/* A pidfd turns readable when the process exits. */
	return sb->rt.pidfd < 0 || poll(&pfd, 1, 0) == 0;
}

void shim_sandbox_bury(struct shim_sandbox *sb)
{
	rt_sandbox_kill(&sb->rt);
	slx_closep(&sb->fd);
	sb->alive = false;
}

int shim_sandbox_pidfd(const struct shim_sandbox *sb)
{
	return sb->rt.pidfd;
}

pid_t shim_sandbox_pid(const struct shim_sandbox *sb)
{
	return sb->rt.pid;
}

int shim_sandbox_reap(struct shim_sandbox *sb)
{
	struct slx_err err;

	if (rt_sandbox_reap(&sb->rt, &err) == 0)
		return 0;
	shim_sandbox_destroy(sb);
	return 1;
}

void shim_sandbox_destroy(struct shim_sandbox *sb)
{
	struct slx_err err;

	if (!sb)
		return;
	(void)rt_sandbox_destroy(&sb->rt, &err);
	slx_closep(&sb->fd);
	/* pid 1 is gone, and with it every process of the sandbox: its owner
	 * may serve another */
	slx_closep(&sb->owner_fd);
	agent_rx_release(&sb->rx);
	free(sb->log);
	free(sb->init_log);
	free(sb->init_error);
	free(sb->id);
	free(sb);
}

const char *shim_sandbox_init_log(const struct shim_sandbox *sb, size_t *len)
{
	*len = sb->init_log ? sb->init_log_len : 0;
	return sb->init_log;
}

const char *shim_sandbox_init_error(const struct shim_sandbox *sb, size_t *len, const char **type)
{
	*len = sb->init_error ? sb->init_error_len : 0;
	*type = sb->init_error_type;
	return sb->init_error;
}

void shim_sandbox_init_log_drop(struct shim_sandbox *sb)
{
	free(sb->init_log);
	sb->init_log = NULL;
	sb->init_log_len = 0;
}
