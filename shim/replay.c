/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.c -- the discrete-event replay: per application, arrivals from the
 * trace, completions, creations and the policy's wake-ups in time order;
 * every event updates the model and asks policy_decide what to do. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "replay.h"
#include "replay_stats.h"
#include "replay_stream.h"

#define NS    MODEL_NS_PER_S
#define NEVER UINT64_MAX

void replay_config_default(struct replay_config *rc)
{
	*rc = (struct replay_config){
	    .cold_ns = 5000000,
	    .default_duration_ms = 1000,
	    .default_memory_mb = 128,
	    .tick_ns = NS,
	    .time_scale = 1,
	    .nodes = 1,
	    .placement = PLACE_HASH,
	};
}

int replay_placement_parse(const char *s, enum replay_placement *out, struct slx_err *err)
{
	static const char *const names[] = {
	    [PLACE_HASH] = "hash", [PLACE_LEAST] = "least", [PLACE_WARM] = "warm"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum replay_placement)i;
			return 0;
		}
	return slx_error(err, 0, "unknown placement \"%s\" (hash, least, warm)", s);
}

void replay_policy_time_scale(struct policy_config *pc, unsigned n)
{
	if (n <= 1)
		return;
	pc->keep_alive_ns /= n;
	pc->freeze_grace_ns /= n;
	pc->min_unload_ns /= n;
	pc->surplus_grace_ns /= n;
	pc->cold_cost_gb_s /= n;
	if (pc->conc_minutes)
		pc->conc_minutes = (pc->conc_minutes + n - 1) / n;
}

/* ---- the simulation of one app ---------------------------------------------- */

struct sim {
	const struct policy_config *pc;
	const struct replay_config *rc;
	struct model_function f;
	struct model m;
	struct policy_action *acts;
	size_t acts_cap;
	uint64_t wake, horizon;
	struct arrival_queue pend; /* invocations waiting for a sandbox */
	struct replay_stats st;
};

static void idle_end(struct sim *s, const struct model_sandbox *sb, uint64_t now)
{
	replay_stats_idle(&s->st, sb, now, s->horizon);
}

static int dispatch(struct sim *s, uint64_t now)
{
	struct model_sandbox *sb;

	while (s->pend.len && (sb = replay_ready_sandbox(&s->f))) {
		struct arrival a = arrival_queue_pop(&s->pend);

		idle_end(s, sb, now);
		model_function_start(&s->f, sb, now, s->rc->tick_ns);
		sb->caller_ns = now + a.dur_ns;
		if (now > a.t_ns && replay_stats_cold(&s->st, now - a.t_ns, a.busy) < 0)
			return -1;
	}
	return 0;
}

static int apply(struct sim *s, const struct policy_action *a, uint64_t now)
{
	struct model_sandbox *sb;

	switch (a->kind) {
	case POLICY_ALLOCATE:
		for (unsigned k = 0; k < a->n; k++)
			if (!model_sandbox_add(&s->f, now, now + s->rc->cold_ns))
				return -1;
		return 0;
	case POLICY_RELEASE:
		sb = model_sandbox_find(&s->f, a->sb);
		if (sb) {
			idle_end(s, sb, now);
			model_sandbox_remove(&s->f, a->sb);
		}
		return 0;
	case POLICY_FREEZE:
	case POLICY_THAW:
		sb = model_sandbox_find(&s->f, a->sb);
		if (sb) /* idle accounting runs on: freezing frees no memory */
			sb->state = a->kind == POLICY_FREEZE ? MODEL_SB_FROZEN : MODEL_SB_IDLE;
		return 0;
	case POLICY_PREWARM: /* the wake-up brings the allocation */
	case POLICY_HOLD:    /* unlimited host: never returned */
		return 0;
	}
	return 0;
}

static int decide(struct sim *s, uint64_t now)
{
	size_t need = policy_actions_max(&s->m), n;

	if (need > s->acts_cap) {
		struct policy_action *v = realloc(s->acts, need * sizeof(*v));

		if (!v)
			return -1;
		s->acts = v;
		s->acts_cap = need;
	}
	n = policy_decide(&s->m, s->pc, now, s->acts, s->acts_cap, &s->wake);
	for (size_t i = 0; i < n; i++)
		if (apply(s, &s->acts[i], now) < 0)
			return -1;
	return dispatch(s, now);
}

/* Completions and finished creations due at now. */
static void settle(struct sim *s, uint64_t now)
{
	for (size_t i = 0; i < s->f.n_sb; i++) {
		struct model_sandbox *sb = &s->f.sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns == now) {
			model_function_finish(&s->f, sb, now, s->rc->tick_ns);
		} else if (sb->state == MODEL_SB_CREATING && sb->ready_ns == now) {
			sb->state = MODEL_SB_IDLE;
			sb->idle_since_ns = now;
		}
	}
}

static uint64_t next_internal(const struct sim *s)
{
	uint64_t t = s->wake;

	for (size_t i = 0; i < s->f.n_sb; i++) {
		const struct model_sandbox *sb = &s->f.sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns < t)
			t = sb->caller_ns;
		else if (sb->state == MODEL_SB_CREATING && sb->ready_ns < t)
			t = sb->ready_ns;
	}
	return t;
}

static int sim_step(struct sim *s, struct replay_stream *st, uint64_t now, uint64_t t_arr)
{
	settle(s, now);
	while (t_arr == now) {
		struct arrival a = st->buf[st->pos++];

		a.busy = s->f.in_flight > 0;
		s->st.invocations++;
		model_function_arrive(&s->f, now, s->rc->tick_ns);
		if (arrival_queue_push(&s->pend, a) < 0)
			return -1;
		if (st->pos == st->n) {
			int r = replay_stream_fill(st);

			if (r < 0)
				return -1;
			if (!r)
				break;
		}
		t_arr = st->buf[st->pos].t_ns;
	}
	if (dispatch(s, now) < 0)
		return -1;
	return decide(s, now);
}

static int sim_app(struct sim *s, struct replay_stream *st)
{
	int more = replay_stream_fill(st);

	while (more >= 0) {
		uint64_t t_arr = more ? st->buf[st->pos].t_ns : NEVER;
		uint64_t t_int = next_internal(s);
		uint64_t now = t_arr < t_int ? t_arr : t_int;

		if (now == NEVER || (now > s->horizon && !s->pend.len))
			break;
		if (sim_step(s, st, now, t_arr) < 0)
			return -1;
		more = st->pos < st->n ? 1 : replay_stream_fill(st);
	}
	if (more < 0)
		return -1;
	for (size_t i = 0; i < s->f.n_sb; i++)
		if (s->f.sb[i].state == MODEL_SB_IDLE || s->f.sb[i].state == MODEL_SB_FROZEN)
			idle_end(s, &s->f.sb[i], s->horizon);
	return 0;
}

/* ---- the whole trace ------------------------------------------------------ */

static int run_app(struct sim *s, const struct trace *t, size_t ai)
{
	const struct trace_app *app = &t->apps[ai];
	cleanup_free size_t *cur = calloc(app->n_fns + 1, sizeof(size_t));
	cleanup_free uint64_t *dur = calloc(app->n_fns + 1, sizeof(uint64_t));
	unsigned scale = s->rc->time_scale ? s->rc->time_scale : 1;
	struct replay_stream st = {.t = t, .app = app, .cur = cur, .dur_ns = dur, .scale = scale};
	double mb = trace_app_memory_mb(app, s->rc->default_memory_mb);
	uint64_t inv0, cold0;
	int r;

	if (!cur || !dur)
		return -1;
	for (size_t i = 0; i < app->n_fns; i++)
		dur[i] = (uint64_t)llround(trace_function_duration_ms(&t->fns[app->fns[i]],
								      s->rc->default_duration_ms) *
					   1e6) /
			 scale;
	model_function_init(&s->f, app->key, (uint64_t)(mb * 1024 * 1024));
	s->m = (struct model){.fn = &s->f, .n_fn = 1, .host = {.tick_ns = s->rc->tick_ns}};
	s->wake = NEVER;
	s->pend.head = s->pend.len = 0;
	inv0 = s->st.invocations;
	cold0 = s->st.colds;
	r = sim_app(s, &st);
	if (r == 0)
		r = replay_stats_app(&s->st, s->st.invocations - inv0, s->st.colds - cold0);
	model_function_fini(&s->f);
	replay_stream_free(&st);
	return r;
}

int replay_run(const struct trace *t, const struct policy_config *pc,
	       const struct replay_config *rc, struct replay_result *out, struct slx_err *err)
{
	struct sim s = {.pc = pc,
			.rc = rc,
			.horizon = (uint64_t)t->days * TRACE_MINUTES * 60 * NS /
				   (rc->time_scale ? rc->time_scale : 1)};
	int r = 0;

	for (size_t ai = 0; ai < t->n_apps && r == 0; ai++)
		r = run_app(&s, t, ai);
	if (r == 0)
		replay_stats_result(&s.st, pc->name, out);
	free(s.acts);
	arrival_queue_free(&s.pend);
	replay_stats_free(&s.st);
	if (r < 0)
		return slx_error(err, ENOMEM, "replay %s", pc->name);
	return 0;
}
