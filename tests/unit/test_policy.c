/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_policy.c -- shim/policy.c on hand-built model snapshots: one test per
 * rule (allocate on demand, memory budget, CPU saturation, freeze, release,
 * eviction under a budget in LRU, GDSF and delta order, pre-warm), the
 * histogram and delta plans, parsing. */
#include <criterion/criterion.h>
#include <string.h>

#include "shim/policy.h"

#define POL_S(x)  ((uint64_t)(x)*MODEL_NS_PER_S)
#define POL_MB(x) ((uint64_t)(x) << 20)

static struct policy_config pol_cfg(const char *spec)
{
	struct policy_config c;
	struct slx_err err = {0};

	cr_assert_eq(policy_parse(spec, &c, &err), 0, "%s: %s", spec, err.msg);
	return c;
}

static struct model_sandbox *pol_idle(struct model_function *f, uint64_t idle_since)
{
	struct model_sandbox *sb = model_sandbox_add(f, 0, 0);

	cr_assert_not_null(sb);
	sb->state = MODEL_SB_IDLE;
	sb->idle_since_ns = sb->last_used_ns = idle_since;
	return sb;
}

static const char *const pol_names[] = {"a", "b", "c", "d", "e"};

/* A full node: n functions named a, b, c ... whose sandboxes take mb[i]
 * MiB, sharing budget_mb MiB, all of it in use. */
static void pol_node(struct model *m, struct model_function *f, size_t n, const unsigned *mb,
		     unsigned budget_mb)
{
	cr_assert_leq(n, sizeof pol_names / sizeof pol_names[0]);
	*m = (struct model){
	    .fn = f,
	    .n_fn = n,
	    .host = {.mem_budget_bytes = POL_MB(budget_mb), .mem_used_bytes = POL_MB(budget_mb)}};
	for (size_t i = 0; i < n; i++)
		model_function_init(&f[i], pol_names[i], POL_MB(mb[i]));
}

static void pol_node_fini(struct model *m)
{
	for (size_t i = 0; i < m->n_fn; i++)
		model_function_fini(&m->fn[i]);
}

struct pol_out {
	struct policy_action a[64];
	size_t n;
	uint64_t wake;
};

static void pol_decide(struct model *m, const struct policy_config *c, uint64_t now,
		       struct pol_out *o)
{
	cr_assert_leq(policy_actions_max(m), 64);
	o->n = policy_decide(m, c, now, o->a, 64, &o->wake);
}

/* How many of a kind, and their n summed. */
static unsigned pol_count(const struct pol_out *o, enum policy_act k, unsigned *n_sum)
{
	unsigned c = 0, s = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->a[i].kind == k) {
			c++;
			s += o->a[i].n;
		}
	if (n_sum)
		*n_sum = s;
	return c;
}

static const struct policy_action *pol_find(const struct pol_out *o, enum policy_act k)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->a[i].kind == k)
			return &o->a[i];
	return NULL;
}

Test(policy_parse, names_and_errors)
{
	struct policy_config c;
	struct slx_err err = {0};

	c = pol_cfg("fixed:600");
	cr_assert_eq(c.kind, POLICY_FIXED);
	cr_assert_eq(c.keep_alive_ns, POL_S(600));
	c = pol_cfg("knative");
	cr_assert_eq(c.keep_alive_ns, POL_S(60));
	c = pol_cfg("delta:50");
	cr_assert_float_eq(c.cold_cost_gb_s, 50.0, 1e-9);
	cr_assert_str_eq(c.name, "delta:50");
	cr_assert_eq(policy_parse("fixed:ten", &c, &err), -1);
	cr_assert(strstr(err.msg, "fixed:ten"), "%s", err.msg);
	c = pol_cfg("lru");
	cr_assert_eq(c.kind, POLICY_LRU);
	cr_assert_eq(c.keep_alive_ns, UINT64_MAX, "a cache: only the budget evicts");
	c = pol_cfg("gdsf");
	cr_assert_eq(c.kind, POLICY_GDSF);
	cr_assert_eq(c.keep_alive_ns, UINT64_MAX);
	cr_assert(!c.gdsf_faascache);
	c = pol_cfg("gdsf:faascache");
	cr_assert_eq(c.kind, POLICY_GDSF);
	cr_assert(c.gdsf_faascache);
	cr_assert_eq(policy_parse("gdsf:lfu", &c, &err), -1);
	cr_assert_eq(policy_parse("lru:1", &c, &err), -1);
	cr_assert_eq(policy_parse("mru", &c, &err), -1);
	cr_assert(strstr(err.msg, "unknown policy \"mru\""), "%s", err.msg);
	cr_assert_eq(policy_parse("fixed:-1", &c, &err), -1);
	cr_assert_eq(policy_parse("fixed:nan", &c, &err), -1);
	cr_assert_eq(policy_parse("delta:nan", &c, &err), -1);
	cr_assert_eq(policy_parse("delta:inf", &c, &err), -1);
}

Test(policy_rules, allocates_for_queued_demand_and_the_rising_trend)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config fixed = pol_cfg("fixed:600"), delta = pol_cfg("delta");
	struct pol_out o;
	unsigned n;

	model_function_init(&f, "fn", POL_MB(128));
	f.queued = 3;
	pol_idle(&f, POL_S(1));
	pol_decide(&m, &fixed, POL_S(2), &o);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, &n), 1);
	cr_assert_eq(n, 2, "one of three goes to the idle sandbox");
	f.da = 2; /* demand rose by 2 over the last tick and is not met */
	pol_decide(&m, &delta, POL_S(2), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 4, "delta adds the trend");
	f.queued = 0;
	pol_decide(&m, &delta, POL_S(2), &o);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 0, "a met demand needs nothing");
	model_function_fini(&f);
}

Test(policy_rules, delta_doubles_the_pool_while_demand_ramps)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config fixed = pol_cfg("fixed:600"), delta = pol_cfg("delta");
	struct policy_config cheap = pol_cfg("delta:12");
	struct pol_out o;
	unsigned n;

	model_function_init(&f, "fn", POL_MB(128));
	f.in_flight = 3; /* all busy, one more waits, no trend yet */
	f.queued = 1;
	pol_decide(&m, &fixed, POL_S(2), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 1);
	pol_decide(&m, &delta, POL_S(2), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 4, "the waiting one and as many again as run");
	/* delta:12 on 128 MB: a cold start is worth 96 s of idle, under the
	 * 240 s the doubling needs; only the waiting one */
	pol_decide(&m, &cheap, POL_S(2), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 1);
	model_function_fini(&f);
}

/* Under a budget the ramp's extras are a guess, so they take only memory
 * free without evicting.  a runs one sandbox and one call waits; the node
 * (384 MB) is full, b's idle 256 MB sandbox goes to make room for the
 * waiting call's 128 MB, and the 128 MB left over stays free: taken by an
 * extra, the next call of b would have to evict a sandbox that had just
 * run.  With 256 MB free to begin with, the extra is made. */
Test(policy_rules, delta_speculation_never_takes_an_evictions_slack)
{
	struct model_function f[2];
	struct model m;
	struct policy_config delta = pol_cfg("delta");
	struct pol_out o;
	unsigned n;

	pol_node(&m, f, 2, (const unsigned[]){128, 256}, 384);
	m.host.dedicated = true;
	pol_idle(&f[0], POL_S(1))->state = MODEL_SB_BUSY;
	f[0].in_flight = 1;
	f[0].queued = 1;
	pol_idle(&f[1], POL_S(1));
	pol_decide(&m, &delta, POL_S(2), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "b's sandbox makes room");
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, &n), 1);
	cr_assert_eq(n, 1, "the waiting call only, no extra into the slack");
	model_sandbox_remove(&f[1], f[1].sb[0].id);
	m.host.mem_budget_bytes = POL_MB(512);
	m.host.mem_used_bytes = POL_MB(128);
	pol_decide(&m, &delta, POL_S(2), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 2, "free memory: the waiting call and one extra");
	pol_node_fini(&m);
}

/* Live, an evicted sandbox's memory is free only once its processes have
 * gone: the allocation it made room for holds until then (made at once, it
 * would push the node's parent cgroup past its budget for as long as the
 * victim takes to exit), and while it is leaving nothing more is evicted
 * for that call, nor for another function's (it waits too, each for its own
 * victim). */
Test(policy_rules, an_eviction_frees_memory_only_once_the_victim_is_gone)
{
	struct model_function f[3];
	struct model m;
	struct policy_config lru = pol_cfg("lru");
	struct pol_out o;
	unsigned n;

	pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 256);
	m.host.dedicated = true;
	m.host.release_waits = true;
	pol_idle(&f[1], POL_S(1));
	pol_idle(&f[2], POL_S(2));
	f[0].queued = 1;
	pol_decide(&m, &lru, POL_S(3), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "b's older sandbox makes room");
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 0, "not before b's has gone");
	cr_assert_eq(pol_count(&o, POLICY_HOLD, &n), 1);
	cr_assert_eq(n, 1);

	/* b's sandbox is released, its processes still exiting */
	model_sandbox_remove(&f[1], f[1].sb[0].id);
	m.host.mem_leaving_bytes = POL_MB(128);
	pol_decide(&m, &lru, POL_S(3), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0, "c's sandbox stays: b's is leaving");
	cr_assert_eq(pol_count(&o, POLICY_HOLD, NULL), 1);
	f[1].queued = 1;
	pol_decide(&m, &lru, POL_S(3), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1,
		     "b's own call finds the leaving memory claimed: c's sandbox goes");
	for (size_t i = 0; i < o.n; i++)
		if (o.a[i].kind == POLICY_RELEASE)
			cr_assert_eq(o.a[i].fn, 2);
	f[1].queued = 0;

	/* gone: the held call is made */
	m.host.mem_leaving_bytes = 0;
	m.host.mem_used_bytes = POL_MB(128);
	pol_decide(&m, &lru, POL_S(3), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, &n), 1);
	cr_assert_eq(n, 1);

	/* replayed, a release frees at once: evict and allocate in one turn */
	pol_idle(&f[1], POL_S(3));
	m.host.mem_used_bytes = POL_MB(256);
	m.host.release_waits = false;
	pol_decide(&m, &lru, POL_S(3), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 1);
	pol_node_fini(&m);
}

Test(policy_rules, thaws_a_frozen_sandbox_before_creating)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("fixed:600");
	struct model_sandbox *sb;
	struct pol_out o;

	model_function_init(&f, "fn", POL_MB(128));
	sb = pol_idle(&f, POL_S(1));
	sb->state = MODEL_SB_FROZEN;
	f.queued = 1;
	pol_decide(&m, &c, POL_S(30), &o);
	cr_assert_eq(pol_count(&o, POLICY_THAW, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_THAW)->sb, f.sb[0].id);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 0);
	model_function_fini(&f);
}

Test(policy_rules, never_allocates_past_the_memory_budget)
{
	struct model_function f;
	struct model m = {
	    .fn = &f,
	    .n_fn = 1,
	    .host = {.mem_budget_bytes = POL_MB(1024), .mem_used_bytes = POL_MB(768)}};
	struct policy_config c = pol_cfg("fixed:600");
	struct pol_out o;
	unsigned n;

	model_function_init(&f, "fn", POL_MB(128));
	f.queued = 5;
	pol_decide(&m, &c, POL_S(1), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 2, "256 MB left: two 128 MB sandboxes");
	pol_count(&o, POLICY_HOLD, &n);
	cr_assert_eq(n, 3);
	model_function_fini(&f);
}

Test(policy_rules, queues_when_the_cpu_is_saturated)
{
	struct model_function f;
	struct model m = {
	    .fn = &f, .n_fn = 1, .host = {.cores = 2, .tick_ns = POL_S(1), .cpu_dr_usec = 1950000}};
	struct policy_config c = pol_cfg("delta");
	struct pol_out o;
	unsigned n;

	model_function_init(&f, "fn", POL_MB(128));
	f.queued = 4;
	pol_decide(&m, &c, POL_S(1), &o);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 0);
	pol_count(&o, POLICY_HOLD, &n);
	cr_assert_eq(n, 4);
	m.host.cpu_dr_usec = 1000000; /* half the cores */
	pol_decide(&m, &c, POL_S(1), &o);
	pol_count(&o, POLICY_ALLOCATE, &n);
	cr_assert_eq(n, 4);
	model_function_fini(&f);
}

/* On a node, the cores one function fills hold that function's cold starts,
 * not every function's (found by an attacker's read: a function spinning on
 * every core queued the others' first requests). */
Test(policy_rules, a_function_filling_the_cores_holds_only_its_own_allocations)
{
	struct model_function f[2];
	struct model m = {
	    .fn = f, .n_fn = 2, .host = {.cores = 2, .tick_ns = POL_S(1), .cpu_dr_usec = 1950000}};
	struct policy_config c = pol_cfg("delta");
	struct model_r r0 = {.have_cpu = true}, r1 = {.have_cpu = true, .cpu_usec = 1950000};
	struct model_sandbox *busy;
	struct pol_out o;
	const struct policy_action *a;
	unsigned n;

	model_function_init(&f[0], "spinner", POL_MB(128));
	model_function_init(&f[1], "quiet", POL_MB(128));
	busy = model_sandbox_add(&f[0], 0, 0);
	busy->state = MODEL_SB_BUSY;
	model_sandbox_push(busy, 0, &r0, 1, 1);
	model_sandbox_push(busy, POL_S(1), &r1, 1, 1);
	f[0].queued = 2;
	f[1].queued = 1;
	pol_decide(&m, &c, POL_S(1), &o);
	a = pol_find(&o, POLICY_ALLOCATE);
	cr_assert_not_null(a, "the quiet function's first request waits on the spinner's cores");
	cr_assert_eq(a->fn, 1);
	cr_assert_eq(a->n, 1);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 1);
	pol_count(&o, POLICY_HOLD, &n);
	cr_assert_eq(n, 2, "the spinner's own demand is held");
	model_function_fini(&f[0]);
	model_function_fini(&f[1]);
}

Test(policy_rules, freezes_a_quiet_idle_sandbox_after_the_grace)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("fixed:600");
	struct model_r r = {.have_cpu = true};
	struct model_sandbox *sb;
	struct pol_out o;

	model_function_init(&f, "fn", POL_MB(128));
	sb = pol_idle(&f, POL_S(100));
	pol_decide(&m, &c, POL_S(105), &o);
	cr_assert_eq(o.n, 0);
	cr_assert_eq(o.wake, POL_S(110), "wakes at the end of the grace");
	pol_decide(&m, &c, POL_S(111), &o);
	cr_assert_eq(pol_count(&o, POLICY_FREEZE, NULL), 1);
	/* ΔR_cpu says it is still working (a background thread): not frozen. */
	model_sandbox_push(sb, POL_S(110), &r, 0, 1);
	r.cpu_usec = 300000;
	model_sandbox_push(sb, POL_S(111), &r, 0, 1);
	pol_decide(&m, &c, POL_S(111), &o);
	cr_assert_eq(pol_count(&o, POLICY_FREEZE, NULL), 0);
	model_function_fini(&f);
}

Test(policy_rules, releases_past_the_keep_alive)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("fixed:600");
	struct pol_out o;

	model_function_init(&f, "fn", POL_MB(128));
	pol_idle(&f, POL_S(1000));
	f.sb[0].state = MODEL_SB_FROZEN;
	pol_decide(&m, &c, POL_S(1599), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	cr_assert_eq(o.wake, POL_S(1600));
	pol_decide(&m, &c, POL_S(1600), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	model_function_fini(&f);
}

/* The budget is full; a needs one more sandbox.  Idle memory is evicted
 * (least recently used first, for fixed) in the same decision and the
 * allocation goes ahead: nothing queues while something idle can go. */
Test(policy_rules, a_full_budget_evicts_idle_memory_before_it_queues)
{
	struct model_function f[2];
	struct model m;
	struct policy_config c = pol_cfg("fixed:600");
	struct pol_out o;
	const struct policy_action *r;
	uint64_t oldest;

	pol_node(&m, f, 2, (const unsigned[]){128, 128}, 512);
	pol_idle(&f[0], POL_S(50));
	pol_idle(&f[1], POL_S(20));
	oldest = f[1].sb[0].id;
	pol_idle(&f[1], POL_S(80));
	f[0].queued = 1; /* a's only sandbox is busy; one more does not fit */
	f[0].sb[0].state = MODEL_SB_BUSY;
	pol_decide(&m, &c, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_HOLD, NULL), 0);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "128 MB wanted: one eviction");
	r = pol_find(&o, POLICY_RELEASE);
	cr_assert_eq(r->fn, 1);
	cr_assert_eq(r->sb, oldest);
	cr_assert(r->evict);
	cr_assert_eq(pol_find(&o, POLICY_ALLOCATE)->fn, 0);
	cr_assert_gt(pol_find(&o, POLICY_ALLOCATE) - o.a, r - o.a, "evict, then allocate");
	/* PSI alone: one LRU release per decision. */
	f[0].queued = 0;
	m.host.mem_budget_bytes = 0;
	m.host.have_psi = true;
	m.host.psi_mem_some10 = 40;
	pol_decide(&m, &c, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->sb, oldest);
	pol_node_fini(&m);
}

/* Every sandbox on the node is running: the allocation cannot evict
 * anything, so it queues (hold), and nothing is released. */
Test(policy_rules, a_full_budget_of_busy_sandboxes_queues)
{
	struct model_function f[2];
	struct model m;
	struct policy_config c = pol_cfg("lru");
	struct pol_out o;
	unsigned held;

	pol_node(&m, f, 2, (const unsigned[]){128, 128}, 256);
	pol_idle(&f[0], POL_S(5))->state = MODEL_SB_BUSY;
	pol_idle(&f[1], POL_S(5))->state = MODEL_SB_BUSY;
	f[0].queued = 2;
	pol_decide(&m, &c, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_HOLD, &held), 1);
	cr_assert_eq(held, 2);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 0);
	pol_node_fini(&m);
}

/* FaasCache's order, not LRU's: b's sandbox is the more recently used but
 * ran once, at 4x a's size; a's ran 50 times.  gdsf evicts b's
 * (priority 0 + 1 x 0.005 s / 0.5 GB = 0.01 against a's 50 x 0.005 / 0.125
 * = 2) and the clock rises to the evicted priority; lru would take a's. */
Test(policy_rules, gdsf_evicts_the_lowest_priority_and_raises_the_clock)
{
	struct model_function f[3];
	struct model m;
	struct policy_config g = pol_cfg("gdsf"), l = pol_cfg("lru");
	struct pol_out o;

	pol_node(&m, f, 3, (const unsigned[]){128, 512, 128}, 768);
	pol_idle(&f[0], POL_S(10));
	pol_idle(&f[1], POL_S(20));
	pol_idle(&f[2], POL_S(30))->state = MODEL_SB_BUSY;
	f[0].sb[0].gdsf_freq = 50;
	f[1].sb[0].gdsf_freq = 1;
	f[2].arrivals = f[2].queued = 1;
	g.create_ns = l.create_ns = 5000000;
	pol_decide(&m, &l, POL_S(100), &o);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 0, "lru: a is the least recent");
	pol_decide(&m, &g, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "gdsf: b, rare and large");
	cr_assert_float_eq(m.gdsf_clock, 0.005 / 0.5, 1e-12);
	cr_assert_float_eq(f[2].sb[0].gdsf_clock, 0.0, 1e-12, "stamped before the eviction");
	pol_node_fini(&m);
}

/* The frequency is each sandbox's own: a is busy (1000 on its first
 * sandbox) but its second counted two; b's one sandbox counted 20.  gdsf
 * evicts a's second (2 x 0.005 / 0.125 = 0.08 against b's 0.8);
 * gdsf:faascache, FaasCache's sum over the function's live sandboxes, gives
 * a's spare a's 1002 and evicts b's. */
Test(policy_rules, gdsf_counts_each_sandboxs_own_uses)
{
	struct model_function f[3];
	struct model m;
	struct policy_config g = pol_cfg("gdsf"), fc = pol_cfg("gdsf:faascache");
	struct pol_out o;
	const struct policy_action *r;

	pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 512);
	pol_idle(&f[0], POL_S(50))->uses = 1000;
	pol_idle(&f[0], POL_S(10))->uses = 2;
	pol_idle(&f[1], POL_S(20))->uses = 20;
	for (int i = 0; i < 2; i++)
		f[i].sb[0].gdsf_freq = f[i].sb[0].gdsf_seen = f[i].sb[0].uses;
	f[0].sb[1].gdsf_freq = f[0].sb[1].gdsf_seen = 2;
	f[0].arrivals = 1002;
	f[1].arrivals = 20;
	f[2].arrivals = f[2].queued = 1;
	g.create_ns = fc.create_ns = 5000000;
	pol_decide(&m, &fc, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "faascache: b's");
	m.gdsf_clock = 0;
	pol_decide(&m, &g, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	r = pol_find(&o, POLICY_RELEASE);
	cr_assert_eq(r->fn, 0, "a's spare, not b's");
	cr_assert_eq(r->sb, f[0].sb[1].id);
	cr_assert_float_eq(m.gdsf_clock, 2 * 0.005 / 0.125, 1e-12);
	pol_node_fini(&m);
}

/* One invocation on sb at t, decided while it runs (gdsf's bookkeeping
 * happens in the decision), done a second later. */
static void pol_run_once(struct model *m, const struct policy_config *c, struct model_function *f,
			 struct model_sandbox *sb, uint64_t t)
{
	struct pol_out o;

	model_function_arrive(f, t, POL_S(1));
	model_function_start(f, sb, t, POL_S(1));
	pol_decide(m, c, t, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	model_function_finish(f, sb, t + POL_S(1), POL_S(1));
}

/* a served a burst of 1000 invocations with no eviction between them: one
 * reference, frequency 1, at clock 0.  Then c's larger sandbox is evicted
 * (0 + 0.005 / 0.25 = 0.02) and the clock rises to 0.02; b runs once after
 * (its second reference), so its priority starts there (0.02 + 2 x 0.04),
 * above a's 0.04 though a ran a thousand times: a, busy long ago, goes.  Counting every use, a's
 * 1000 x 0.04 = 40 would have kept it above every sandbox used since. */
Test(policy_rules, gdsf_a_burst_long_ago_no_longer_outranks_a_recent_use)
{
	struct model_function f[5];
	struct model m;
	struct policy_config g = pol_cfg("gdsf");
	struct model_sandbox *a, *b;
	struct pol_out o;

	pol_node(&m, f, 5, (const unsigned[]){128, 128, 256, 128, 128}, 512);
	g.create_ns = 5000000;
	a = pol_idle(&f[0], 0);
	b = pol_idle(&f[1], 0);
	b->uses = b->gdsf_seen = b->gdsf_freq = 1; /* it ran once, at clock 0 */
	pol_run_once(&m, &g, &f[2], pol_idle(&f[2], 0), POL_S(1));
	for (int i = 0; i < 1000; i++)
		pol_run_once(&m, &g, &f[0], a, POL_S(10 + 2 * i));
	cr_assert_eq(a->uses, 1000);
	cr_assert_eq(a->gdsf_freq, 1, "a burst with the clock still is one reference");

	f[3].arrivals = f[3].queued = 1;
	pol_decide(&m, &g, POL_S(3000), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 2, "c: the largest, priority 0.02");
	cr_assert_float_eq(m.gdsf_clock, 0.005 / 0.25, 1e-12, "the clock rises to it");
	model_sandbox_remove(&f[2], f[2].sb[0].id);
	f[3].queued = 0;
	pol_idle(&f[3], POL_S(3000))->state = MODEL_SB_BUSY;
	f[3].in_flight = 1;

	pol_run_once(&m, &g, &f[1], b, POL_S(3100));
	cr_assert_float_eq(b->gdsf_clock, 0.02, 1e-12);
	cr_assert_eq(b->gdsf_freq, 2, "a use after the clock moved counts again");
	f[4].arrivals = f[4].queued = 1;
	pol_decide(&m, &g, POL_S(3200), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 0, "a, busy long ago, before b");
	cr_assert_float_eq(m.gdsf_clock, 0.005 / 0.125, 1e-12);
	pol_node_fini(&m);
}

/* Equal priorities (the clock has not moved, same size, same frequency):
 * the least recently idle goes, as lru would pick. */
Test(policy_rules, gdsf_breaks_ties_least_recently_used_first)
{
	struct model_function f[3];
	struct model m;
	struct policy_config g = pol_cfg("gdsf");
	struct pol_out o;

	pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 256);
	pol_idle(&f[0], POL_S(50))->gdsf_freq = 1;
	pol_idle(&f[1], POL_S(20))->gdsf_freq = 1;
	f[2].arrivals = f[2].queued = 1;
	pol_decide(&m, &g, POL_S(100), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "b, idle since 20 s");
	pol_node_fini(&m);
}

/* Two functions, same size, whose last idle times were 1700 s and 1900 s
 * (two samples: delta's plan is its fallback keep-alive, set long here so
 * only the eviction order acts).  a ran a minute ago: its expected wait is
 * (1640 + 1840) / 2 s; b ran 1740 s ago: 160 s.  lru evicts b, the
 * stalest; delta evicts a, whose next use is furthest. */
Test(policy_rules, delta_evicts_the_longest_expected_wait)
{
	struct model_function f[3];
	struct model m;
	struct policy_config d = pol_cfg("delta:100000"), l = pol_cfg("lru");
	struct pol_out o;
	uint64_t now = POL_S(1800) * 4 + POL_S(60);

	pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 384);
	d.keep_alive_ns = POL_S(7200);
	f[0].it_recent[0] = f[1].it_recent[0] = POL_S(1700);
	f[0].it_recent[1] = f[1].it_recent[1] = POL_S(1900);
	f[0].it_n = f[1].it_n = 2;
	f[0].last_end_ns = now - POL_S(60);
	f[1].last_end_ns = now - POL_S(1740);
	pol_idle(&f[0], f[0].last_end_ns);
	pol_idle(&f[1], f[1].last_end_ns);
	pol_idle(&f[2], now)->state = MODEL_SB_BUSY;
	f[2].queued = 1;
	pol_decide(&m, &l, now, &o);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "lru: b is the least recent");
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 0, "delta: a's next use is furthest");
	cr_assert(pol_find(&o, POLICY_RELEASE)->evict);
	pol_node_fini(&m);
}

/* A full node of three 128 MB functions: a runs one call and has a spare
 * idle spare_idle; b's only sandbox waits the residual of its 900 s idle
 * times, 600 s; c has a call queued.  Returns a's spare. */
static struct model_sandbox *pol_spare_node(struct model *m, struct model_function *f, uint64_t now,
					    uint64_t spare_idle)
{
	struct model_sandbox *spare;

	pol_node(m, f, 3, (const unsigned[]){128, 128, 128}, 512);
	m->host.dedicated = true;
	pol_idle(&f[0], now)->state = MODEL_SB_BUSY;
	f[0].in_flight = 1;
	spare = pol_idle(&f[0], now - spare_idle);
	f[1].it_recent[0] = f[1].it_recent[1] = f[1].it_recent[2] = POL_S(900);
	f[1].it_n = 3;
	f[1].last_end_ns = now - POL_S(300);
	pol_idle(&f[1], f[1].last_end_ns);
	pol_idle(&f[2], now)->state = MODEL_SB_BUSY;
	f[2].queued = 1;
	return spare;
}

/* a's spare (level 2, a level the last hour never reached: 7200 s by the
 * hour alone) went idle 2 s ago, so its wait is taken as 4 x 2 = 8 s; b's
 * only sandbox waits the residual of its 900 s idle times, 600 s.  delta
 * evicts b's: the spare is in a burst its peaks have not shown yet. */
Test(policy_rules, delta_keeps_a_spare_that_just_ran)
{
	struct model_function f[3];
	struct model m;
	struct policy_config d = pol_cfg("delta");
	struct pol_out o;
	uint64_t now = POL_S(10000);

	d.keep_alive_ns = POL_S(7200);
	pol_spare_node(&m, f, now, POL_S(2));
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "b's, not a's spare");
	pol_node_fini(&m);
}

/* The same node, but a's spare has never run: the ramp or a wake made it
 * a second ago on a guess.  A guess yields to what has run, so delta
 * evicts it, not b's sandbox that its app will come back to.  A first
 * sandbox pre-warmed for its app's window has not run either, but keeps
 * its rank: a's calls come a minute apart, so it is due in 10 s and b's
 * (600 s away) goes. */
Test(policy_rules, delta_evicts_a_guess_that_never_ran_first)
{
	struct model_function f[3];
	struct model m;
	struct policy_config d = pol_cfg("delta");
	struct model_sandbox *guess, *spare;
	struct pol_out o;
	uint64_t now = POL_S(10000);

	d.keep_alive_ns = POL_S(7200);
	guess = pol_spare_node(&m, f, now, POL_S(1));
	guess->last_used_ns = 0;
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 0, "a's guess, not b's");
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->sb, guess->id);
	cr_assert(pol_find(&o, POLICY_RELEASE)->evict);

	cr_assert(model_sandbox_remove(&f[0], f[0].sb[0].id), "a's call is over");
	f[0].in_flight = 0;
	f[0].it_recent[0] = f[0].it_recent[1] = f[0].it_recent[2] = POL_S(60);
	f[0].it_n = 3;
	f[0].last_end_ns = now - POL_S(50);
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "b's: a's pre-warm is due first");

	/* a wake's batch: a second never-run sandbox beside the pre-warm, the
	 * app idle; the one demand takes second is the guess */
	spare = pol_idle(&f[0], now - POL_S(2));
	spare->last_used_ns = 0;
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 0, "the batch's spare");
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->sb, spare->id);
	pol_node_fini(&m);
}

/* a's idle sandbox has never run and is a's --min-warm floor (the live
 * shim refuses to release it); b's ran.  Whatever the policy's order
 * (lru: a's is the staler; delta: a never-run one goes first), the room
 * for c is b's: evicting a's would free nothing, and c's call would wait
 * on a release that never comes. */
Test(policy_rules, no_function_is_evicted_below_its_floor)
{
	static const char *const kinds[] = {"lru", "gdsf", "delta"};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct model_function f[3];
		struct model m;
		struct policy_config c = pol_cfg(kinds[k]);
		struct model_sandbox *floor_sb;
		struct pol_out o;
		uint64_t now = POL_S(10000);

		pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 384);
		m.host.dedicated = m.host.release_waits = true;
		c.keep_alive_ns = POL_S(7200);
		f[0].floor = 1;
		floor_sb = pol_idle(&f[0], now - POL_S(500));
		floor_sb->last_used_ns = 0;
		pol_idle(&f[1], now - POL_S(100))->uses = 1;
		pol_idle(&f[2], now)->state = MODEL_SB_BUSY;
		f[2].queued = 1;
		pol_decide(&m, &c, now, &o);
		cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "%s", kinds[k]);
		cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "%s: b's, not a's floor",
			     kinds[k]);
		f[1].floor = 1;
		pol_decide(&m, &c, now, &o);
		cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0,
			     "%s: every idle one at its floor: none evicted", kinds[k]);
		cr_assert_eq(pol_count(&o, POLICY_HOLD, NULL), 1, "%s: c's call holds", kinds[k]);
		pol_node_fini(&m);
	}
}

/* How many RELEASE actions name function fi. */
static unsigned pol_releases_of(const struct pol_out *o, size_t fi)
{
	unsigned n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += o->a[i].kind == POLICY_RELEASE && o->a[i].fn == fi;
	return n;
}

/* The floor counts what this decision has released already.  c wants two
 * sandboxes' room: a has two idle at floor 1, so one of a's goes (the
 * staler) and then b's, not both of a's.  With a plan's release of a's
 * stale one first (lru, past its 600 s), a is at its floor and c's room
 * is b's. */
Test(policy_rules, the_floor_counts_this_decisions_releases)
{
	struct model_function f[3];
	struct model m;
	struct policy_config c = pol_cfg("lru");
	struct pol_out o;
	uint64_t now = POL_S(10000);

	pol_node(&m, f, 3, (const unsigned[]){128, 128, 128}, 384);
	m.host.dedicated = m.host.release_waits = true;
	c.keep_alive_ns = POL_S(7200);
	f[0].floor = 1;
	pol_idle(&f[0], now - POL_S(500));
	pol_idle(&f[0], now - POL_S(400));
	pol_idle(&f[1], now - POL_S(100));
	f[2].queued = 2;
	pol_decide(&m, &c, now, &o);
	cr_assert_eq(pol_releases_of(&o, 0), 1, "one of a's, down to its floor");
	cr_assert_eq(pol_releases_of(&o, 1), 1, "then b's");

	c.keep_alive_ns = POL_S(450);
	f[2].queued = 1;
	pol_decide(&m, &c, now, &o);
	cr_assert_eq(pol_releases_of(&o, 0), 1, "a's past its keep-alive, by the plan");
	cr_assert_not(pol_find(&o, POLICY_RELEASE)->evict);
	cr_assert_eq(pol_releases_of(&o, 1), 1, "c's room is b's");
	pol_node_fini(&m);
}

/* Memory pressure on a shared host: a's only sandbox, its floor, is past
 * its keep-alive.  The pool would refuse that release, so the plan does
 * not make it, and the relief pressure asks for is b's. */
Test(policy_rules, pressure_is_not_relieved_by_a_release_the_floor_refuses)
{
	struct model_function f[2];
	struct model m;
	struct policy_config c = pol_cfg("lru");
	struct pol_out o;
	uint64_t now = POL_S(10000);

	pol_node(&m, f, 2, (const unsigned[]){128, 128}, 0); /* no budget: a shared host */
	c.keep_alive_ns = POL_S(600);
	m.host.have_psi = true;
	m.host.psi_mem_some10 = c.psi_mem_limit + 10;
	f[0].floor = 1;
	pol_idle(&f[0], now - POL_S(5000));
	pol_idle(&f[1], now - POL_S(100));
	pol_decide(&m, &c, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_RELEASE)->fn, 1, "b's, for the pressure");
	cr_assert(pol_find(&o, POLICY_RELEASE)->evict);
	pol_node_fini(&m);
}

/* A sandbox past delta's plan (its cost search says release now) is
 * released on an unlimited host, but kept on a node with room: free
 * memory buys nothing.  When the room is needed it is the one evicted. */
Test(policy_rules, delta_keeps_past_its_plan_while_the_node_has_room)
{
	struct model_function f[2];
	struct model m = {.fn = f, .n_fn = 2};
	struct policy_config d = pol_cfg("delta:1");
	struct pol_out o;
	uint64_t now = POL_S(20000);

	model_function_init(&f[0], "a", POL_MB(128));
	model_function_init(&f[1], "b", POL_MB(128));
	for (int i = 0; i < 5; i++)
		f[0].it_recent[i] = POL_S(3600);
	f[0].it_n = 5;
	f[0].last_end_ns = now - POL_S(100);
	pol_idle(&f[0], f[0].last_end_ns);
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "unlimited: the plan releases");
	m.host.mem_budget_bytes = POL_MB(256);
	m.host.mem_used_bytes = POL_MB(128);
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1,
		     "room on a shared host (the live shim's budget): the plan releases");
	m.host.dedicated = true;
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0, "room on the node: kept");
	pol_idle(&f[1], now)->state = MODEL_SB_BUSY;
	m.host.mem_used_bytes = POL_MB(256);
	f[1].queued = 1;
	pol_decide(&m, &d, now, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1);
	cr_assert(pol_find(&o, POLICY_RELEASE)->evict, "released for the room");
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 1);
	for (int i = 0; i < 2; i++)
		model_function_fini(&f[i]);
}

/* policy_decide_function decides for its function only (b's sandbox past
 * its keep-alive stays for b's own decision) but evicts across the node. */
Test(policy_rules, one_functions_decision_evicts_across_the_node)
{
	struct model_function f[2];
	struct model m;
	struct policy_config c = pol_cfg("fixed:60");
	struct pol_out o;
	uint64_t wake;

	pol_node(&m, f, 2, (const unsigned[]){128, 128}, 256);
	pol_idle(&f[1], POL_S(10));
	pol_idle(&f[1], POL_S(90));
	f[0].queued = 1;
	o.n = policy_decide_function(&m, &c, 0, POL_S(100), o.a, 64, &wake);
	cr_assert_eq(o.n, 2, "one eviction, one allocation");
	cr_assert_eq(o.a[0].kind, POLICY_RELEASE);
	cr_assert_eq(o.a[0].fn, 1);
	cr_assert_eq(o.a[0].sb, f[1].sb[0].id, "the one past its keep-alive goes first");
	cr_assert(o.a[0].evict);
	cr_assert_eq(o.a[1].kind, POLICY_ALLOCATE);
	cr_assert_eq(o.a[1].fn, 0);
	pol_node_fini(&m);
}

/* n arrivals 30 minutes apart from t0, one second of work each. */
/* One call of 1 s from source src at t on a sandbox of its own, removed
 * after. */
static void pol_call_from(struct model_function *f, unsigned src, uint64_t t)
{
	struct model_sandbox *sb;

	model_function_arrive_from(f, src, t, POL_S(1));
	sb = model_sandbox_add(f, t, t);
	cr_assert_not_null(sb);
	model_function_start(f, sb, t, POL_S(1));
	model_function_finish(f, sb, t + POL_S(1), POL_S(1));
	cr_assert(model_sandbox_remove(f, sb->id));
}

static void pol_call(struct model_function *f, uint64_t t)
{
	pol_call_from(f, 0, t);
}

static void pol_periodic_from(struct model_function *f, uint64_t t0, int n)
{
	for (int i = 0; i < n; i++)
		pol_call(f, t0 + POL_S(1800) * (uint64_t)i);
}

static void pol_periodic(struct model_function *f, int n)
{
	pol_periodic_from(f, 0, n);
}

Test(policy_plan, histogram_follows_shahrad_percentiles_and_margins)
{
	struct model_function f;
	struct policy_config c = pol_cfg("histogram");
	struct policy_plan p;
	uint64_t end;

	model_function_init(&f, "fn", POL_MB(128));
	pol_periodic(&f, 10); /* 9 idle times: too few */
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert_not(p.window);
	cr_assert_str_eq(p.why, "fallback");
	cr_assert_eq(p.keep_alive_ns, POL_S(600));
	model_function_fini(&f);

	model_function_init(&f, "fn", POL_MB(128));
	pol_periodic(&f, 11);
	end = f.last_end_ns;
	policy_plan_function(&f, &c, end, &p);
	cr_assert(p.window);
	/* All idle times in bin 29: pre-warm at 29 min - 10%, keep to 30 min + 10%. */
	cr_assert_eq(p.win_start_ns, end + POL_S(29 * 60) * 9 / 10);
	cr_assert_eq(p.win_end_ns, end + POL_S(30 * 60) * 11 / 10);
	model_function_fini(&f);
}

Test(policy_rules, prewarms_ahead_of_the_predicted_arrival)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("histogram");
	struct pol_out o;
	uint64_t end, start;

	model_function_init(&f, "fn", POL_MB(128));
	pol_periodic(&f, 11);
	end = f.last_end_ns;
	start = end + POL_S(29 * 60) * 9 / 10;
	pol_idle(&f, end);
	pol_decide(&m, &c, end, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "unloaded until the window");
	cr_assert_eq(pol_count(&o, POLICY_PREWARM, NULL), 1);
	cr_assert_eq(pol_find(&o, POLICY_PREWARM)->at_ns, start - c.create_ns);
	cr_assert_eq(o.wake, start - c.create_ns);
	cr_assert(model_sandbox_remove(&f, f.sb[0].id));
	pol_decide(&m, &c, start - c.create_ns, &o);
	cr_assert_eq(pol_count(&o, POLICY_ALLOCATE, NULL), 1, "created at the wake-up");
	model_function_fini(&f);
}

Test(policy_plan, delta_fits_a_timer_closely)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan p;
	uint64_t it = POL_S(1799), slack = POL_S(1) + it / 500;

	model_function_init(&f, "fn", POL_MB(128));
	pol_periodic(&f, 12);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_str_eq(p.why, "cost");
	/* Exact idle times: pre-warmed just before 1799 s, released just after
	 * (a second and 0.2% of the period each side), not 5% of it. */
	cr_assert_eq(p.win_start_ns - f.last_end_ns, it - slack - c.create_ns);
	cr_assert_eq(p.win_end_ns - f.last_end_ns, it + slack);
	model_function_fini(&f);
}

Test(policy_plan, delta_trusts_a_timer_after_two_idle_times)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan p;

	model_function_init(&f, "fn", POL_MB(128));
	pol_periodic(&f, 2);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert_str_eq(p.why, "fallback", "one idle time is no period");
	pol_periodic_from(&f, POL_S(3600), 1);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_gt(p.win_start_ns - f.last_end_ns, POL_S(1790));
	cr_assert_lt(p.win_end_ns - f.last_end_ns, POL_S(1810));
	model_function_fini(&f);
}

/* A busy function: runs of sub-second idle times with a 15-minute gap
 * after every run of 500. */
static void pol_bursts(struct model_function *f, int runs)
{
	uint64_t t = POL_S(1);

	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < 500; i++) {
			struct model_sandbox *sb = model_sandbox_add(f, t, t);

			cr_assert_not_null(sb);
			model_function_arrive(f, t, POL_S(1));
			model_function_start(f, sb, t, POL_S(1));
			model_function_finish(f, sb, t + POL_S(1) / 20, POL_S(1));
			cr_assert(model_sandbox_remove(f, sb->id));
			t += POL_S(1) / 10;
		}
		t += POL_S(900);
	}
}

Test(policy_plan, delta_remembers_rare_long_gaps_under_busy_traffic)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan p;

	model_function_init(&f, "fn", POL_MB(128));
	pol_bursts(&f, 6);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	/* 15 idle minutes cost less than a cold start at 128 MB (384 GB*s is
	 * 51 min): kept warm through the gap, although 2995 of the last 3000
	 * idle times were 50 ms. */
	cr_assert(p.window);
	cr_assert_eq(p.win_start_ns, f.last_end_ns);
	cr_assert_geq(p.win_end_ns - f.last_end_ns, POL_S(900));
	model_function_fini(&f);

	model_function_init(&f, "fn", POL_MB(8192));
	pol_bursts(&f, 6);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	/* At 8 GB a cold start weighs 48 s: released after the short ones. */
	cr_assert_lt(p.win_end_ns - f.last_end_ns, POL_S(900));
	model_function_fini(&f);
}

Test(policy_plan, delta_memo_gives_the_plan_a_fresh_search_gives)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan memo, fresh;

	model_function_init(&f, "fn", POL_MB(128));
	pol_bursts(&f, 3);
	for (int i = 0; i < 40; i++) {
		policy_plan_function(&f, &c, f.last_end_ns, &memo);
		f.memo.valid = false;
		policy_plan_function(&f, &c, f.last_end_ns, &fresh);
		cr_assert_eq(memo.win_start_ns, fresh.win_start_ns);
		cr_assert_eq(memo.win_end_ns, fresh.win_end_ns);
		pol_periodic_from(&f, f.last_end_ns + POL_S(i % 7 ? 1 : 300), 1);
	}
	model_function_fini(&f);
}

Test(policy_plan, delta_releases_at_once_when_keeping_costs_more)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta:0.001");
	struct policy_plan p;

	model_function_init(&f, "fn", POL_MB(1024));
	pol_periodic(&f, 5); /* irregular enough for the histogram path */
	f.it_recent[0] = POL_S(60);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_end_ns, p.win_start_ns, "cold starts are nearly free");
	model_function_fini(&f);
}

/* n calls of 1 s, the k-th at t0 + gaps[0] + ... + gaps[k-1]. */
static void pol_gaps(struct model_function *f, const uint64_t *gaps, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++) {
		t += gaps[i];
		pol_call(f, t);
	}
}

/* An app seen seven times (gen-other 4's app 13, 689 MB, a cold start
 * worth 54 minutes of it): gaps of 500, 207, 37, 5, 23, 66 and 36 minutes.
 * Before, the two gaps in minutes 36 and 37 made a two-minute window there
 * look as likely to catch the next call as anything, and the app was
 * released after each call and pre-warmed at 36 minutes (33 cold starts in
 * its 39 calls, where fixed:3600 had 10).  Each minute's single idle time
 * now spread over the minutes within 1.5x of it, the sandbox is kept a few
 * minutes from the call, then for a window of minutes, not two. */
Test(policy_plan, delta_does_not_bet_on_a_single_idle_times_minute)
{
	const double min[] = {1, 500, 207, 37, 5, 23, 66, 36};
	struct policy_config c = pol_cfg("delta:2172");
	struct model_function f;
	struct policy_plan p;
	uint64_t gaps[8];

	for (int i = 0; i < 8; i++)
		gaps[i] = (uint64_t)(min[i] * 60 + 1) * MODEL_NS_PER_S;
	model_function_init(&f, "fn", POL_MB(689));
	pol_gaps(&f, gaps, 8);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_start_ns, f.last_end_ns, "kept from the call");
	policy_plan_function(&f, &c, p.win_end_ns, &p);
	cr_assert(p.window);
	cr_assert_str_eq(p.why, "next");
	cr_assert_geq(p.win_end_ns - p.win_start_ns, POL_S(600), "no two-minute bet");
	model_function_fini(&f);
}

/* n calls arriving together at t on sandboxes that stay, the i-th done at
 * t + (i + 1) s; their ids in ids. */
static void pol_concurrent(struct model_function *f, uint64_t t, int n, uint64_t *ids)
{
	for (int i = 0; i < n; i++) {
		struct model_sandbox *sb;

		model_function_arrive(f, t, POL_S(1));
		sb = model_sandbox_add(f, t, t);
		cr_assert_not_null(sb);
		ids[i] = sb->id;
		model_function_start(f, sb, t, POL_S(1));
	}
	for (int i = 0; i < n; i++)
		model_function_finish(f, model_sandbox_find(f, ids[i]), t + POL_S(1 + i), POL_S(1));
}

/* A once-a-minute timer idles 59 s between calls: released after each and
 * pre-warmed just before the next, not kept warm all day. */
Test(policy_plan, delta_unloads_a_once_a_minute_timer)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan p;
	uint64_t gaps[6];

	for (int i = 0; i < 6; i++)
		gaps[i] = POL_S(60);
	model_function_init(&f, "fn", POL_MB(512));
	pol_gaps(&f, gaps, 6);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_gt(p.win_start_ns - f.last_end_ns, POL_S(55), "released for most of the gap");
	cr_assert_lt(p.win_end_ns - f.last_end_ns, POL_S(62));
	model_function_fini(&f);
}

/* A 2-minute timer with a manual call now and then between two beats
 * (gen-other's cron): where that call's cold start is worth more than the
 * idle seconds releasing saves over the beats, the sandbox is kept from the
 * call to the beat's end; where it is worth little, released after each
 * call and pre-warmed for the beat (before, always the latter: the ring's
 * last 32 idle times were all the beat). */
Test(policy_plan, delta_keeps_a_timer_warm_for_calls_off_its_beat)
{
	for (int cheap = 0; cheap < 2; cheap++) {
		struct policy_config c = pol_cfg(cheap ? "delta:3" : "delta:6144");
		struct model_function f;
		struct policy_plan p;
		uint64_t t = POL_S(120);

		model_function_init(&f, "fn", POL_MB(128));
		for (int i = 0; i < 400; i++, t += POL_S(120)) {
			pol_call(&f, t);
			policy_plan_function(&f, &c, f.last_end_ns, &p);
			if (i % 40)
				continue;
			pol_call(&f, t + POL_S(60));
			policy_plan_function(&f, &c, f.last_end_ns, &p);
		}
		cr_assert(p.window);
		if (cheap)
			cr_assert_gt(p.win_start_ns - f.last_end_ns, POL_S(115),
				     "released until the beat");
		else
			cr_assert_eq(p.win_start_ns, f.last_end_ns, "kept from the call");
		cr_assert_gt(p.win_end_ns - f.last_end_ns, POL_S(119));
		cr_assert_lt(p.win_end_ns - f.last_end_ns, POL_S(122), "to the beat's end");
		model_function_fini(&f);
	}
}

/* An app's 30-minute timer (source 1) and another function's calls
 * (source 0) a few times a day, at a weight that unloads between beats:
 * after a call of the other function the sandbox comes back for the
 * timer's next beat, not 30 minutes after that call.  Before, the window
 * was made from the last call only (here from 1,800 to 1,831 s after it,
 * past the beat 1,300 s after it), and the beat after each such call was
 * a cold start. */
Test(policy_plan, delta_keeps_a_timers_beat_through_another_functions_call)
{
	struct policy_config c = pol_cfg("delta:384");
	struct model_function f;
	struct policy_plan p;
	uint64_t t = POL_S(60), due, slack;

	model_function_init(&f, "fn", POL_MB(128));
	for (int i = 0; i < 40; i++, t += POL_S(1800)) {
		pol_call_from(&f, 1, t);
		if (i % 8 == 3)
			pol_call_from(&f, 0, t + POL_S(700));
	}
	t -= POL_S(1800);
	pol_call_from(&f, 0, t + POL_S(500));
	due = t + POL_S(1800);
	slack = POL_S(1) + POL_S(1800) / 500;
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_str_eq(p.why, "beat");
	cr_assert_eq(p.win_start_ns, due - slack - c.create_ns, "back just before the beat");
	cr_assert_eq(p.win_end_ns, due + slack);
	/* the beat skipped: the window made from the last call, which
	 * covers the next beat, a period on */
	policy_plan_function(&f, &c, due + slack, &p);
	cr_assert(p.window);
	cr_assert_str_eq(p.why, "cost");
	cr_assert_leq(p.win_start_ns, due + POL_S(1800) - slack);
	cr_assert_geq(p.win_end_ns, due + POL_S(1800) + slack);
	model_function_fini(&f);
}

/* Idle times of 10, 20 and 30 minutes: the next may be longer than any.  A
 * cold start worth much keeps the sandbox past the longest seen, as long
 * as a cold start is worth in idle seconds; one worth little does not. */
Test(policy_plan, delta_prices_the_gap_not_seen_yet)
{
	struct model_function f;
	struct policy_config hi = pol_cfg("delta:6144"), lo = pol_cfg("delta:48");
	struct policy_plan p;
	const uint64_t gaps[] = {POL_S(1), POL_S(600), POL_S(1200), POL_S(1800)};

	model_function_init(&f, "fn", POL_MB(128));
	pol_gaps(&f, gaps, 4);
	policy_plan_function(&f, &hi, f.last_end_ns, &p);
	cr_assert(p.window);
	/* to the break-even of a scale-free tail: w = 6144 GB*s / 0.125 GB */
	cr_assert_eq(p.win_end_ns - f.last_end_ns, POL_S(49152), "kept past the longest bin");
	policy_plan_function(&f, &lo, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_leq(p.win_end_ns - f.last_end_ns, POL_S(31 * 60));
	model_function_fini(&f);
}

/* Idle times of 20 to 30 minutes, none shorter: the next may be shorter
 * than any, as likely as longer than any.  A cold start worth much keeps
 * the sandbox from the call (before, it was released and pre-warmed just
 * before 19 minutes); one worth little still releases it. */
Test(policy_plan, delta_prices_a_gap_shorter_than_any_seen)
{
	struct model_function f;
	struct policy_config hi = pol_cfg("delta:6144"), lo = pol_cfg("delta:48");
	struct policy_plan p;
	const uint64_t gaps[] = {POL_S(1),    POL_S(1200), POL_S(1500), POL_S(1800),
				 POL_S(1260), POL_S(1620), POL_S(1380)};

	model_function_init(&f, "fn", POL_MB(128));
	pol_gaps(&f, gaps, 7);
	policy_plan_function(&f, &hi, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_start_ns, f.last_end_ns, "kept from the call");
	policy_plan_function(&f, &lo, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert(p.win_start_ns > f.last_end_ns || p.win_end_ns == p.win_start_ns,
		  "released after the call");
	model_function_fini(&f);
}

/* Bursts 20 s apart with 40 minutes between them, at a weight that keeps
 * a sandbox through the bursts but not through 40 minutes idle: once the
 * minute after a call has passed with no call, the gap is one of the
 * long ones, and the sandbox comes back just before 40 minutes.  Before,
 * nothing was planned past the first window and every burst began cold. */
Test(policy_plan, delta_plans_again_once_its_window_has_passed)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta");
	struct policy_plan p;
	uint64_t gaps[37];

	gaps[0] = POL_S(1);
	for (int i = 1; i < 37; i++)
		gaps[i] = i % 6 ? POL_S(20) : POL_S(2400);
	model_function_init(&f, "fn", POL_MB(1024));
	pol_gaps(&f, gaps, 37);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_start_ns, f.last_end_ns, "kept through the burst");
	cr_assert_leq(p.win_end_ns - f.last_end_ns, POL_S(120), "not through 40 minutes");
	policy_plan_function(&f, &c, p.win_end_ns, &p);
	cr_assert(p.window);
	cr_assert_str_eq(p.why, "next");
	/* the long gaps idle 2,399 s: the bin from 39 to 40 minutes */
	cr_assert_geq(p.win_start_ns - f.last_end_ns, POL_S(2339), "released in between");
	cr_assert_lt(p.win_start_ns - f.last_end_ns, POL_S(2399), "back before the call");
	cr_assert_geq(p.win_end_ns - f.last_end_ns, POL_S(2400));
	model_function_fini(&f);
}

/* Idle times of 2 s, and some of 50 s, at a weight where a cold start is
 * worth 24 s of the sandbox: keeping it warm through the 2 s gaps and
 * releasing it after pays, and the window ends seconds after the call.
 * Before, the first minute was one point, and a keep-warm window ended at
 * a minute or not at all: here at a minute, through the 50 s gaps too. */
Test(policy_plan, delta_ends_a_window_inside_the_first_minute)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta:24");
	struct policy_plan p;
	uint64_t gaps[41];

	gaps[0] = POL_S(1);
	for (int i = 1; i < 41; i++)
		gaps[i] = i % 4 ? POL_S(3) : POL_S(51); /* idle 2 s, 50 s (calls last 1 s) */
	model_function_init(&f, "fn", POL_MB(1024));
	pol_gaps(&f, gaps, 41);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_start_ns, f.last_end_ns, "kept from the call");
	cr_assert_geq(p.win_end_ns - f.last_end_ns, POL_S(2), "through the 2 s gaps");
	cr_assert_lt(p.win_end_ns - f.last_end_ns, POL_S(10), "not through the 50 s ones");
	model_function_fini(&f);
}

/* Two calls at once after every 20 minutes idle (two functions of one
 * app on one schedule): the sandbox is released and pre-warmed for the
 * next wake with a second for its second call.  Before, a spare was never
 * pre-warmed and every wake's second call was cold. */
Test(policy_rules, delta_prewarms_a_wakes_batch)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("delta");
	const struct policy_action *a;
	struct pol_out o;
	uint64_t t = 0;

	model_function_init(&f, "fn", POL_MB(128));
	for (int i = 0; i < 12; i++) {
		struct model_sandbox *sb[2];

		t += POL_S(1200 + 7 * (i % 5));
		model_function_arrive(&f, t, POL_S(1));
		model_function_arrive(&f, t, POL_S(1));
		for (int k = 0; k < 2; k++) {
			sb[k] = model_sandbox_add(&f, t, t);
			cr_assert_not_null(sb[k]);
			model_function_start(&f, sb[k], t, POL_S(1));
		}
		for (int k = 0; k < 2; k++) {
			model_function_finish(&f, sb[k], t + POL_S(1), POL_S(1));
			cr_assert(model_sandbox_remove(&f, sb[k]->id));
		}
	}
	pol_idle(&f, f.last_end_ns);
	pol_decide(&m, &c, f.last_end_ns, &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 1, "unloaded until the window");
	a = pol_find(&o, POLICY_PREWARM);
	cr_assert_not_null(a);
	cr_assert_eq(a->n, 2, "the wake's second call has no sandbox");
	cr_assert_gt(a->at_ns - f.last_end_ns, POL_S(1000));
	model_function_fini(&f);
}

/* One idle time is no plan: the keep-alive is half what a cold start is
 * worth in idle seconds (rent or buy), never under the 10-minute default. */
Test(policy_plan, delta_rents_a_new_app_for_half_its_cold_start)
{
	struct model_function f;
	struct policy_config hi = pol_cfg("delta:6144"), lo = pol_cfg("delta:12");
	struct policy_plan p;
	const uint64_t gaps[] = {POL_S(1), POL_S(600)};

	model_function_init(&f, "fn", POL_MB(512));
	pol_gaps(&f, gaps, 2);
	policy_plan_function(&f, &hi, f.last_end_ns, &p);
	cr_assert_str_eq(p.why, "fallback");
	/* 6144 GB*s over 0.5 GB: a cold start is worth 12288 s of idle */
	cr_assert_eq(p.keep_alive_ns, POL_S(6144));
	policy_plan_function(&f, &lo, f.last_end_ns, &p);
	cr_assert_str_eq(p.why, "fallback");
	cr_assert_eq(p.keep_alive_ns, POL_S(600));
	model_function_fini(&f);
}

static bool pol_released(const struct pol_out *o, uint64_t id)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->a[i].kind == POLICY_RELEASE && o->a[i].sb == id)
			return true;
	return false;
}

/* Three at once, done a second apart, on a level never reached before: the
 * two spares (levels 3 and 2) are kept half the idle seconds a cold start
 * is worth, 12 s at delta:12 on 512 MB, 384 s at the default; the freshest
 * (level 1) follows the app's own plan. */
Test(policy_decide, delta_keeps_a_new_levels_spare_half_its_cold_start)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config lo = pol_cfg("delta:12"), def = pol_cfg("delta");
	struct pol_out o;
	uint64_t t = POL_S(60), ids[3];

	model_function_init(&f, "fn", POL_MB(512));
	pol_concurrent(&f, t, 3, ids);
	cr_assert_eq(model_sandbox_find(&f, ids[0])->level, 3);
	cr_assert_eq(model_sandbox_find(&f, ids[2])->level, 1);
	pol_decide(&m, &def, t + POL_S(1 + 380), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0);
	pol_decide(&m, &lo, t + POL_S(1 + 11), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 0, "idle under 12 s");
	pol_decide(&m, &lo, t + POL_S(3 + 13), &o);
	cr_assert_eq(pol_count(&o, POLICY_RELEASE, NULL), 2);
	cr_assert_not(pol_released(&o, ids[2]), "the freshest is no spare");
	model_function_fini(&f);
}

/* Two at once every 5 minutes: the second sandbox (level 2) waits 299 s
 * each time for two to run again.  Where a cold start is worth more idle
 * seconds than that (delta:384 on 512 MB: 768 s) the spare is kept across
 * the wait; where it is worth less (delta:48: 96 s) it goes at once, as
 * that level's own idle times say, not the app's. */
Test(policy_decide, delta_keeps_a_spare_by_its_levels_idle_times)
{
	struct policy_config def = pol_cfg("delta"), lo = pol_cfg("delta:48");
	const struct policy_config *cfgs[] = {&def, &lo};

	for (int c = 0; c < 2; c++) {
		struct model_function f;
		struct model m = {.fn = &f, .n_fn = 1};
		struct pol_out o;
		uint64_t ids[2], t = 0;

		model_function_init(&f, "fn", POL_MB(512));
		for (int i = 0; i < 6; i++) {
			t = POL_S(300) * (uint64_t)(i + 1);
			pol_concurrent(&f, t, 2, ids);
			if (i == 5)
				break;
			cr_assert(model_sandbox_remove(&f, ids[0]));
			cr_assert(model_sandbox_remove(&f, ids[1]));
		}
		cr_assert_eq(f.levels[model_level_band(2)].hist.n, 5);
		cr_assert_eq(model_sandbox_find(&f, ids[0])->level, 2);
		pol_decide(&m, cfgs[c], t + POL_S(2), &o);
		if (c == 0) {
			cr_assert_not(pol_released(&o, ids[0]));
			pol_decide(&m, cfgs[c], t + POL_S(1 + 305), &o);
			cr_assert_not(pol_released(&o, ids[0]), "kept across its level's wait");
		} else {
			cr_assert(pol_released(&o, ids[0]), "released at once");
		}
		model_function_fini(&f);
	}
}

/* What a full node ranks a spare by: the wait its level has left.  Level
 * 2 waited about 299 s five times: idle 100 s, about 200 s are left; idle
 * past every wait seen, as long again. */
Test(policy_decide, delta_ranks_a_spare_by_its_levels_wait)
{
	struct model_function f;
	uint64_t ids[2];

	model_function_init(&f, "fn", POL_MB(512));
	for (int i = 0; i < 6; i++) {
		pol_concurrent(&f, POL_S(300) * (uint64_t)(i + 1), 2, ids);
		cr_assert(model_sandbox_remove(&f, ids[0]));
		cr_assert(model_sandbox_remove(&f, ids[1]));
	}
	cr_assert_lt(policy_level_wait_s(&f, 3, 0), 0, "level 3: no history");
	cr_assert_gt(policy_level_wait_s(&f, 2, 100), 150);
	cr_assert_lt(policy_level_wait_s(&f, 2, 100), 250);
	cr_assert_eq(policy_level_wait_s(&f, 2, 1000), 1000);
	model_function_fini(&f);
}

/* A timer whose last call ran two at once: the first sandbox is unloaded
 * between calls, the spare (level 2, new) stays on its own; the pre-warm
 * for the next call still comes, though an idle spare is there (the
 * spare serves level 2, not the first call: without the pre-warm each
 * quiet spell cost the pool one sandbox, a cold start at its top level). */
Test(policy_decide, delta_prewarms_the_first_though_a_spare_stays)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("delta");
	struct pol_out o;
	uint64_t gaps[6], ids[2], t;

	for (int i = 0; i < 6; i++)
		gaps[i] = POL_S(60);
	model_function_init(&f, "fn", POL_MB(512));
	pol_gaps(&f, gaps, 6);
	t = f.last_arrival_ns + POL_S(60);
	pol_concurrent(&f, t, 2, ids);
	pol_decide(&m, &c, t + POL_S(2), &o);
	cr_assert(pol_released(&o, ids[1]), "the first is unloaded for the gap");
	cr_assert_not(pol_released(&o, ids[0]), "the spare stays");
	cr_assert_eq(pol_count(&o, POLICY_PREWARM, NULL), 1);
	model_function_fini(&f);
}

/* The same timer, and a call off its beat while the first is unloaded: it
 * takes the spare, which stood in for the first and stays level 2's (kept
 * to its level's wait from when it went idle); the first is pre-warmed
 * again.  Relabelled level 1, it left the pool one sandbox short until two
 * ran at once again (gen-other seed 4, a 2-minute timer sharing its app
 * with rare calls: delta:3072 had 20 cold starts there, lru 2). */
Test(policy_decide, delta_keeps_a_spare_that_stood_in_for_the_first)
{
	struct model_function f;
	struct model m = {.fn = &f, .n_fn = 1};
	struct policy_config c = pol_cfg("delta");
	struct pol_out o;
	uint64_t gaps[6], ids[2], t;
	struct model_sandbox *sb;

	for (int i = 0; i < 6; i++)
		gaps[i] = POL_S(60);
	model_function_init(&f, "fn", POL_MB(512));
	pol_gaps(&f, gaps, 6);
	t = f.last_arrival_ns + POL_S(60);
	pol_concurrent(&f, t, 2, ids);
	pol_decide(&m, &c, t + POL_S(2), &o);
	cr_assert(pol_released(&o, ids[1]));
	model_sandbox_remove(&f, ids[1]);
	sb = model_sandbox_find(&f, ids[0]);
	model_function_arrive(&f, t + POL_S(20), POL_S(1));
	model_function_start(&f, sb, t + POL_S(20), POL_S(1));
	model_function_finish(&f, sb, t + POL_S(21), POL_S(1));
	cr_assert_eq(sb->level, 2, "still the spare");
	pol_decide(&m, &c, t + POL_S(21), &o);
	cr_assert_not(pol_released(&o, ids[0]));
	cr_assert_eq(pol_count(&o, POLICY_PREWARM, NULL) + pol_count(&o, POLICY_ALLOCATE, NULL), 1,
		     "the first comes back");
	model_function_fini(&f);
}

/* The largest weight on a 1 MB sandbox: w is 1e16 s; the plans stop at 30
 * days, in range of the clock. */
Test(policy_plan, delta_caps_what_the_weight_alone_keeps)
{
	struct model_function f;
	struct policy_config c = pol_cfg("delta:10000000");
	struct policy_plan p;
	const uint64_t gaps[] = {POL_S(1), POL_S(600), POL_S(1200), POL_S(1800)};

	model_function_init(&f, "fn", POL_MB(1));
	pol_gaps(&f, gaps, 2);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert_str_eq(p.why, "fallback");
	cr_assert_eq(p.keep_alive_ns, POL_S(15 * 86400));
	model_function_fini(&f);
	model_function_init(&f, "fn", POL_MB(1));
	pol_gaps(&f, gaps, 4);
	policy_plan_function(&f, &c, f.last_end_ns, &p);
	cr_assert(p.window);
	cr_assert_eq(p.win_end_ns - f.last_end_ns, POL_S(30 * 86400));
	model_function_fini(&f);
}

/* Three at once, then quiet for 100 minutes: a weight that makes a spare
 * worth keeping for hours still counts that peak (the window once stopped
 * at 60 minutes); the default weight has forgotten it. */
Test(policy_plan, delta_remembers_a_concurrency_peak_for_hours)
{
	struct model_function f;
	struct policy_config hi = pol_cfg("delta:6144"), def = pol_cfg("delta");
	struct policy_plan p;
	uint64_t t = POL_S(60), now = t + POL_S(100 * 60), ids[3];

	model_function_init(&f, "fn", POL_MB(128));
	pol_concurrent(&f, t, 3, ids);
	policy_plan_function(&f, &hi, now, &p);
	cr_assert_eq(p.reserve, 2, "two spares beside the first");
	policy_plan_function(&f, &def, now, &p);
	cr_assert_eq(p.reserve, 0);
	model_function_fini(&f);
}

/* Field by field: a memcmp would compare the padding after kind and n. */
static void pol_expect_same(const char *spec, const struct pol_out *a, const struct pol_out *b)
{
	cr_expect_eq(a->n, b->n, "%s: %zu actions, then %zu", spec, a->n, b->n);
	cr_expect_eq(a->wake, b->wake, "%s: wake", spec);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		const struct policy_action *x = &a->a[i], *y = &b->a[i];

		cr_expect(
		    x->kind == y->kind && x->fn == y->fn && x->sb == y->sb && x->n == y->n &&
			x->at_ns == y->at_ns,
		    "%s: action %zu: %s fn %zu sb %lu n %u at %lu, then %s fn %zu sb %lu n %u "
		    "at %lu",
		    spec, i, policy_act_name(x->kind), x->fn, (unsigned long)x->sb, x->n,
		    (unsigned long)x->at_ns, policy_act_name(y->kind), y->fn, (unsigned long)y->sb,
		    y->n, (unsigned long)y->at_ns);
	}
}

/* Every policy, asked twice in the same state, answers the same. */
Test(policy_decide, is_deterministic)
{
	static const char *const specs[] = {"fixed:600", "fixed:0", "knative", "histogram",
					    "delta",	 "lru",	    "gdsf",    "gdsf:faascache"};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct model_function f;
		struct model m = {.fn = &f, .n_fn = 1};
		struct policy_config c = pol_cfg(specs[i]);
		struct pol_out a, b;

		model_function_init(&f, "fn", POL_MB(256));
		pol_periodic(&f, 9);
		pol_idle(&f, f.last_end_ns);
		pol_idle(&f, f.last_end_ns - POL_S(5));
		pol_decide(&m, &c, f.last_end_ns + POL_S(90), &a);
		pol_decide(&m, &c, f.last_end_ns + POL_S(90), &b);
		cr_expect_gt(a.n, 0, "%s decided nothing: nothing to compare", specs[i]);
		pol_expect_same(specs[i], &a, &b);
		model_function_fini(&f);
	}
}
