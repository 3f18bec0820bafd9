/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_oci.c -- oci/: config.json decoding and its errors, process and
 * resources objects, state.json round trips, spec and features output. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "oci/oci.h"

/* A minimal valid prefix, so each error case differs in one field only. */
#define OCIT_HEAD	 "\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}"
#define OCIT_PROC(extra) "{" OCIT_HEAD ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"" extra "}}"
#define OCIT_LINUX(body) "{" OCIT_HEAD ",\"linux\":{" body "}}"

struct ocit_case {
	const char *json;
	const char *msg;
};

/* Parse json as config.json; the parse must fail with exactly msg. */
static void ocit_expect_error(const char *json, size_t len, const char *msg)
{
	struct slx_err err = {0};
	struct oci_config *cfg = (void *)1;
	int rc = oci_config_parse("config.json", json, len, &cfg, &err);

	cr_expect_eq(rc, -1, "accepted: %s", json);
	cr_expect_null(cfg, "output set on failure for: %s", json);
	cr_expect_str_eq(err.msg, msg, "for input: %s", json);
	if (rc == 0)
		oci_config_free(cfg);
}

static void ocit_expect_errors(const struct ocit_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ocit_expect_error(cases[i].json, strlen(cases[i].json), cases[i].msg);
}

static struct oci_config *ocit_parse_ok(const char *json)
{
	struct slx_err err = {0};
	struct oci_config *cfg = NULL;

	cr_assert_eq(oci_config_parse("config.json", json, strlen(json), &cfg, &err), 0,
		     "rejected (%s): %s", err.msg, json);
	cr_assert_not_null(cfg);
	return cfg;
}

Test(oci_syntax, errors_name_file_line_and_column)
{
	static const struct ocit_case cases[] = {
	    {"{} x", "config.json:1:4: parse error: trailing garbage"},
	    {"{\"a\":1}\n{\"b\":2}", "config.json:2:1: parse error: trailing garbage"},
	    {"{\n  \"a\": [1,}\n",
	     "config.json:2:11: parse error: unallowed token at this point in JSON text"},
	    {"", "config.json:1:1: parse error: premature EOF"},
	    {"{\"a\":", "config.json:1:6: parse error: premature EOF"},
	    {"{\"a\":\"\xff\"}", "config.json:1:7: lexical error: invalid bytes in UTF8 string"},
	    {"{\"a\":\"x\xc3\"}", "config.json:1:9: lexical error: invalid bytes in UTF8 string"},
	    {"{\"a\":\"x\\u0000y\"}", "config.json:1:15: string contains a NUL character"},
	    {"{\"a\\u0000\":1}", "config.json:1:10: string contains a NUL character"},
	    {"[]", "config.json: expected an object, got an array"},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_syntax, nul_byte_in_raw_input_is_rejected)
{
	static const char json[] = "{\"a\":\"x\0y\"}";
	struct slx_err err = {0};
	struct oci_config *cfg = NULL;

	/* yajl reports string-internal errors one byte early or late, so
	 * only the line is pinned here. */
	cr_expect_eq(oci_config_parse("config.json", json, sizeof(json) - 1, &cfg, &err), -1);
	cr_expect_null(cfg);
	cr_expect_eq(strncmp(err.msg, "config.json:1:", 14), 0, "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, ": lexical error: invalid character inside string"),
			   "%s", err.msg);
}

Test(oci_syntax, nesting_is_limited_to_64_levels)
{
	char deep[200], ok[200];
	size_t i;

	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (; i < 130; i++)
		deep[i] = ']';
	deep[i] = '\0';
	ocit_expect_error(deep, strlen(deep), "config.json:1:65: nesting deeper than 64 levels");
	/* 64 levels is still valid JSON; it only fails as a config. */
	memcpy(ok, deep + 1, 128);
	ok[128] = '\0';
	ocit_expect_error(ok, strlen(ok), "config.json: expected an object, got an array");
}

Test(oci_parse, wrong_type_names_the_path)
{
	static const struct ocit_case cases[] = {
	    {OCIT_PROC(",\"args\":[\"sh\",1]"),
	     "config.json: process.args[1]: expected a string, got a number"},
	    {"{" OCIT_HEAD ",\"process\":\"sh\"}",
	     "config.json: process: expected an object, got a string"},
	    {"{" OCIT_HEAD ",\"hostname\":7}",
	     "config.json: hostname: expected a string, got a number"},
	    {"{" OCIT_HEAD ",\"mounts\":{}}",
	     "config.json: mounts: expected an array, got an object"},
	    {"{" OCIT_HEAD ",\"mounts\":[{\"destination\":\"/a\"},[]]}",
	     "config.json: mounts[1]: expected an object, got an array"},
	    {"{" OCIT_HEAD ",\"annotations\":{\"a\":\"b\",\"c\":true}}",
	     "config.json: annotations.c: expected a string, got a boolean"},
	    {"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}",
	     "config.json: root.readonly: expected a boolean, got a string"},
	    {OCIT_PROC(",\"terminal\":1"),
	     "config.json: process.terminal: expected a boolean, got a number"},
	    {OCIT_PROC(",\"env\":\"PATH=/bin\""),
	     "config.json: process.env: expected an array, got a string"},
	    {OCIT_PROC(",\"user\":{\"uid\":\"0\"}"),
	     "config.json: process.user.uid: expected an integer, got a string"},
	    {OCIT_PROC(",\"user\":{\"additionalGids\":[1,\"2\"]}"),
	     "config.json: process.user.additionalGids[1]: expected an integer, got a string"},
	    {OCIT_PROC(",\"capabilities\":{\"bounding\":[\"CAP_KILL\",null]}"),
	     "config.json: process.capabilities.bounding[1]: expected a string, got null"},
	    {OCIT_LINUX("\"resources\":{\"memory\":{\"limit\":\"1G\"}}"),
	     "config.json: linux.resources.memory.limit: expected an integer, got a string"},
	    {OCIT_LINUX("\"sysctl\":{\"net.ipv4.ip_forward\":1}"),
	     "config.json: linux.sysctl.net.ipv4.ip_forward: expected a string, got a number"},
	    {OCIT_LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			"\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\","
			"\"args\":[{\"index\":0,\"value\":\"9\",\"op\":\"SCMP_CMP_EQ\"}]}]}"),
	     "config.json: linux.seccomp.syscalls[0].args[0].value: expected an integer, got a "
	     "string"},
	    {"{" OCIT_HEAD ",\"hooks\":{\"poststop\":[{\"path\":\"/h\",\"args\":[3]}]}}",
	     "config.json: hooks.poststop[0].args[0]: expected a string, got a number"},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_parse, float_where_integer_expected_is_an_error)
{
	static const struct ocit_case cases[] = {
	    {OCIT_PROC(",\"user\":{\"uid\":1.5}"),
	     "config.json: process.user.uid: expected an integer, got a float"},
	    {OCIT_PROC(",\"user\":{\"uid\":1e3}"),
	     "config.json: process.user.uid: expected an integer, got a float"},
	    {OCIT_PROC(",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024.0,\"hard\":1}]"),
	     "config.json: process.rlimits[0].soft: expected an integer, got a float"},
	    {OCIT_LINUX("\"resources\":{\"cpu\":{\"quota\":-0.5}}"),
	     "config.json: linux.resources.cpu.quota: expected an integer, got a float"},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_parse, integers_out_of_range_are_errors)
{
	static const struct ocit_case cases[] = {
	    {OCIT_PROC(",\"user\":{\"uid\":4294967296}"),
	     "config.json: process.user.uid: integer out of range (0..4294967295)"},
	    {OCIT_PROC(",\"user\":{\"gid\":-1}"),
	     "config.json: process.user.gid: integer out of range (0..4294967295)"},
	    {OCIT_LINUX("\"resources\":{\"memory\":{\"limit\":9223372036854775808}}"),
	     "config.json: linux.resources.memory.limit: integer out of range "
	     "(-9223372036854775808..9223372036854775807)"},
	    {OCIT_LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			"\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\","
			"\"args\":[{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_"
			"EQ\"}]}]}"),
	     "config.json: linux.seccomp.syscalls[0].args[0].value: integer out of range "
	     "(0..18446744073709551615)"},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_parse, required_fields_missing)
{
	static const struct ocit_case cases[] = {
	    {"{\"root\":{\"path\":\"r\"}}", "config.json: ociVersion: required field missing"},
	    {"{\"ociVersion\":\"1.2.0\"}", "config.json: root: required field missing"},
	    {"{\"ociVersion\":\"1.2.0\",\"root\":{\"readonly\":true}}",
	     "config.json: root.path: required field missing"},
	    {"{" OCIT_HEAD ",\"process\":{\"args\":[\"sh\"]}}",
	     "config.json: process.cwd: required field missing"},
	    {"{" OCIT_HEAD ",\"process\":{\"cwd\":\"/\"}}",
	     "config.json: process.args: required field missing"},
	    {"{" OCIT_HEAD ",\"process\":{\"args\":null,\"cwd\":\"/\"}}",
	     "config.json: process.args: required field missing"},
	    {"{" OCIT_HEAD ",\"mounts\":[{\"type\":\"proc\"}]}",
	     "config.json: mounts[0].destination: required field missing"},
	    {"{" OCIT_HEAD ",\"hooks\":{\"prestart\":[{\"args\":[\"x\"]}]}}",
	     "config.json: hooks.prestart[0].path: required field missing"},
	    {OCIT_LINUX("\"namespaces\":[{\"path\":\"/proc/1/ns/net\"}]"),
	     "config.json: linux.namespaces[0].type: required field missing"},
	    {OCIT_PROC(",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":0}]"),
	     "config.json: process.rlimits[0].hard: required field missing"},
	    {OCIT_LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":1000}]"),
	     "config.json: linux.uidMappings[0].size: required field missing"},
	    {OCIT_LINUX("\"devices\":[{\"path\":\"/dev/fuse\"}]"),
	     "config.json: linux.devices[0].type: required field missing"},
	    {OCIT_LINUX("\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}"),
	     "config.json: linux.resources.devices[0].allow: required field missing"},
	    {OCIT_LINUX("\"seccomp\":{\"syscalls\":[]}"),
	     "config.json: linux.seccomp.defaultAction: required field missing"},
	    {OCIT_LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			"\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}"),
	     "config.json: linux.seccomp.syscalls[0].names: required field missing"},
	    {OCIT_LINUX("\"personality\":{\"flags\":[]}"),
	     "config.json: linux.personality.domain: required field missing"},
	    {OCIT_LINUX("\"resources\":{\"hugepageLimits\":[{\"limit\":1}]}"),
	     "config.json: linux.resources.hugepageLimits[0].pageSize: required field missing"},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_parse, bad_values_are_named)
{
	static const struct ocit_case cases[] = {
	    {OCIT_PROC(",\"cwd\":\"tmp\""),
	     "config.json: process.cwd: must be an absolute path, got \"tmp\""},
	    {OCIT_PROC(",\"args\":[]"), "config.json: process.args: must not be empty"},
	    {OCIT_PROC(",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]"),
	     "config.json: process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\""},
	    {OCIT_PROC(",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1},"
		       "{\"type\":\"RLIMIT_CORE\",\"soft\":2,\"hard\":2}]"),
	     "config.json: process.rlimits[1].type: duplicate rlimit type \"RLIMIT_CORE\""},
	    {OCIT_LINUX(
		 "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"foo\"}]"),
	     "config.json: linux.namespaces[2].type: unknown namespace type \"foo\""},
	    {OCIT_LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]"),
	     "config.json: linux.namespaces[1].type: duplicate namespace type \"pid\""},
	    {"{" OCIT_HEAD ",\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}}",
	     "config.json: hooks.prestart[0].path: must be an absolute path, got \"hook\""},
	    {"{" OCIT_HEAD ",\"hooks\":{\"poststart\":[{\"path\":\"/h\",\"timeout\":0}]}}",
	     "config.json: hooks.poststart[0].timeout: must be greater than zero"},
	    {OCIT_LINUX("\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\"}]"),
	     "config.json: linux.devices[0].type: invalid value \"x\" (expected one of \"cbup\")"},
	    {OCIT_LINUX("\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"cc\"}]}"),
	     "config.json: linux.resources.devices[0].type: invalid value \"cc\" (expected one of "
	     "\"acb\")"},
	    {OCIT_LINUX("\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}"),
	     "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (expected "
	     "letters of \"rwm\")"},
	    {OCIT_LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}"),
	     "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\""},
	    {OCIT_LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
			"\"names\":[\"a\"],"
			"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
			"\"EQ\"}]}]}"),
	     "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\""},
	    {OCIT_LINUX("\"personality\":{\"domain\":\"BSD\"}"),
	     "config.json: linux.personality.domain: unknown personality domain \"BSD\""},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Found by tests/fuzz/fuzz_config: a key or value quoted in an error could
 * split the one-line error or carry terminal escapes. */
Test(oci_parse, control_characters_quoted_in_errors_are_escaped)
{
	static const struct ocit_case cases[] = {
	    {"{" OCIT_HEAD ",\"annotations\":{\"a\\nb\\tc\":1}}",
	     "config.json: annotations.a\\nb\\tc: expected a string, got a number"},
	    {OCIT_PROC(",\"cwd\":\"x\\u001b[2J\\r\""),
	     "config.json: process.cwd: must be an absolute path, got \"x\\u001b[2J\\u000d\""},
	};
	ocit_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(oci_parse, oci_version_is_checked)
{
	static const char *const bad[] = {"0.9",   "2.0.0", "garbage", "1.4.0",	   "1.0",
					  "1.0.x", "",	    "v1.0.0",  "1.2.0beta"};
	static const char *const good[] = {"1.0.0", "1.0.2-dev", "1.1.0",
					   "1.2.1", "1.3.0",	 "1.0.0-rc5+dev"};
	char json[256], msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}",
			 bad[i]);
		snprintf(msg, sizeof(msg),
			 "config.json: ociVersion: unsupported version \"%s\" "
			 "(slxrun supports 1.0.0 to 1.3.x)",
			 bad[i]);
		ocit_expect_error(json, strlen(json), msg);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}",
			 good[i]);
		struct oci_config *cfg = ocit_parse_ok(json);
		cr_expect_str_eq(cfg->oci_version, good[i]);
		oci_config_free(cfg);
	}
}

Test(oci_parse, minimal_config_leaves_optional_parts_absent)
{
	struct oci_config *cfg =
	    ocit_parse_ok("{" OCIT_HEAD ",\"hostname\":null,\"x-unknown\":[1,{}]}");

	cr_expect_not(cfg->has_process);
	cr_expect_not(cfg->has_linux);
	cr_expect_str_eq(cfg->root.path, "rootfs");
	cr_expect_not(cfg->root.readonly);
	cr_expect_null(cfg->hostname);
	cr_expect_null(cfg->mounts);
	cr_expect_eq(cfg->n_mounts, 0);
	cr_expect_null(cfg->annotations.v);
	oci_config_free(cfg);
}

Test(oci_parse, duplicate_keys_last_one_wins)
{
	struct oci_config *cfg =
	    ocit_parse_ok("{" OCIT_HEAD ",\"hostname\":\"a\",\"hostname\":\"b\"}");

	cr_expect_str_eq(cfg->hostname, "b");
	oci_config_free(cfg);
}

static const char ocit_full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2-dev\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18,\n"
    "             \"additionalGids\": [5, 6, 7], \"username\": \"app\"},\n"
    "    \"args\": [\"/bin/sh\", \"-c\", \"echo h\\u00e9llo\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
    "    \"cwd\": \"/srv\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_KILL\"],\n"
    "      \"inheritable\": [],\n"
    "      \"permitted\": [\"CAP_KILL\"],\n"
    "      \"ambient\": [\"CAP_NET_BIND_SERVICE\"]\n"
    "    },\n"
    "    \"rlimits\": [\n"
    "      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": 1024},\n"
    "      {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 0}\n"
    "    ],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"apparmorProfile\": \"slx-default\",\n"
    "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\"\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"fn-1\",\n"
    "  \"domainname\": \"example.org\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/data\", \"source\": \"/srv/data\", \"options\": [\"rbind\", "
    "\"ro\"]}\n"
    "  ],\n"
    "  \"hooks\": {\n"
    "    \"prestart\": [{\"path\": \"/usr/bin/netns-setup\", \"args\": [\"netns-setup\", \"up\"],\n"
    "                   \"env\": [\"A=1\"], \"timeout\": 5}],\n"
    "    \"createRuntime\": [{\"path\": \"/bin/cr\"}],\n"
    "    \"createContainer\": [{\"path\": \"/bin/cc\"}],\n"
    "    \"startContainer\": [{\"path\": \"/bin/sc\"}],\n"
    "    \"poststart\": [{\"path\": \"/bin/ps1\"}, {\"path\": \"/bin/ps2\"}],\n"
    "    \"poststop\": [{\"path\": \"/bin/cleanup\", \"args\": [\"cleanup\"]}]\n"
    "  },\n"
    "  \"annotations\": {\"com.example.key\": \"value\", \"org.slxrun.mode\": \"exec\"},\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/var/run/netns/fn\"},\n"
    "                   {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"},\n"
    "                   {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}],\n"
    "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}],\n"
    "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
    "                 \"fileMode\": 438, \"uid\": 0, \"gid\": 0}],\n"
    "    \"cgroupsPath\": \"/slxrun/fn-1\",\n"
    "    \"resources\": {\n"
    "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
    "                  {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, "
    "\"access\": \"rw\"}],\n"
    "      \"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": -1,\n"
    "                 \"kernelTCP\": 1048576, \"swappiness\": 0, \"disableOOMKiller\": false,\n"
    "                 \"checkBeforeUpdate\": true},\n"
    "      \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 10000, \"period\": 100000,\n"
    "              \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000,\n"
    "              \"cpus\": \"0-1\", \"mems\": \"0\", \"idle\": 0},\n"
    "      \"pids\": {\"limit\": 64},\n"
    "      \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,\n"
    "                  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600}],\n"
    "                  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": "
    "104857600}],\n"
    "                  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": "
    "1000}]},\n"
    "      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],\n"
    "      \"unified\": {\"memory.high\": \"400M\", \"io.weight\": \"default 100\"}\n"
    "    },\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
    "    \"seccomp\": {\n"
    "      \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
    "      \"defaultErrnoRet\": 1,\n"
    "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],\n"
    "      \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\n"
    "      \"syscalls\": [\n"
    "        {\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
    "        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "         \"args\": [{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},\n"
    "        {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,\n"
    "         \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": "
    "18446744073709551615,\n"
    "                   \"op\": \"SCMP_CMP_MASKED_EQ\"}]}\n"
    "      ]\n"
    "    },\n"
    "    \"rootfsPropagation\": \"rslave\",\n"
    "    \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],\n"
    "    \"readonlyPaths\": [\"/proc/sys\"],\n"
    "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\",\n"
    "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []},\n"
    "    \"timeOffsets\": {\"monotonic\": {\"secs\": -3600, \"nanosecs\": 5},\n"
    "                    \"boottime\": {\"secs\": 86400}},\n"
    "    \"intelRdt\": {\"closID\": \"ignored\"}\n"
    "  }\n"
    "}\n";

static void ocit_check_full_process(const struct oci_process *p)
{
	cr_expect(p->terminal);
	cr_expect(p->console_height.set && p->console_height.v == 25);
	cr_expect(p->console_width.set && p->console_width.v == 80);
	cr_expect_eq(p->user.uid, 1000);
	cr_expect_eq(p->user.gid, 1001);
	cr_expect(p->user.umask.set && p->user.umask.v == 18);
	cr_assert_eq(p->user.n_additional_gids, 3);
	cr_expect_eq(p->user.additional_gids[2], 7);
	cr_expect_str_eq(p->user.username, "app");
	cr_assert_eq(p->args.n, 3);
	cr_expect_str_eq(p->args.v[2], "echo h\xc3\xa9llo");
	cr_expect_null(p->args.v[3]);
	cr_expect_str_eq(p->env.v[1], "TERM=xterm");
	cr_expect_str_eq(p->cwd, "/srv");
	cr_expect(p->caps.present);
	cr_expect_eq(p->caps.bounding.n, 3);
	cr_expect_not_null(p->caps.inheritable.v, "an empty list is present, not absent");
	cr_expect_eq(p->caps.inheritable.n, 0);
	cr_expect_str_eq(p->caps.ambient.v[0], "CAP_NET_BIND_SERVICE");
	cr_assert_eq(p->n_rlimits, 2);
	cr_expect_eq(p->rlimits[0].resource, RLIMIT_NOFILE);
	cr_expect_eq(p->rlimits[0].soft, 1024);
	cr_expect_eq(p->rlimits[0].hard, 4096);
	cr_expect_eq(p->rlimits[1].resource, RLIMIT_CORE);
	cr_expect_eq(p->rlimits[1].hard, UINT64_MAX);
	cr_expect(p->no_new_privileges);
	cr_expect(p->oom_score_adj.set && p->oom_score_adj.v == -500);
	cr_expect_str_eq(p->apparmor_profile, "slx-default");
	cr_expect_str_eq(p->selinux_label, "system_u:system_r:container_t:s0");
}

static void ocit_check_full_resources(const struct oci_resources *r)
{
	cr_expect(r->present);
	cr_assert_eq(r->n_devices, 2);
	cr_expect_not(r->devices[0].allow);
	cr_expect_eq(r->devices[0].type, 'a', "type defaults to all");
	cr_expect_eq(r->devices[0].major, -1, "major defaults to wildcard");
	cr_expect_eq(r->devices[1].type, 'c');
	cr_expect_eq(r->devices[1].minor, 229);
	cr_expect_str_eq(r->devices[1].access, "rw");
	cr_expect(r->memory.present);
	cr_expect_eq(r->memory.limit.v, 536870912);
	cr_expect(r->memory.swap.set && r->memory.swap.v == -1);
	cr_expect_not(r->memory.kernel.set);
	cr_expect(r->memory.swappiness.set && r->memory.swappiness.v == 0);
	cr_expect(r->memory.check_before_update);
	cr_expect(r->cpu.present);
	cr_expect_eq(r->cpu.quota.v, 50000);
	cr_expect_eq(r->cpu.burst.v, 10000);
	cr_expect_eq(r->cpu.realtime_period.v, 1000000);
	cr_expect_str_eq(r->cpu.cpus, "0-1");
	cr_expect(r->cpu.idle.set && r->cpu.idle.v == 0);
	cr_expect(r->pids.present && r->pids.limit.v == 64);
	cr_expect(r->block_io.present);
	cr_expect_eq(r->block_io.weight.v, 500);
	cr_assert_eq(r->block_io.n_weight_device, 1);
	cr_expect_eq(r->block_io.weight_device[0].weight.v, 600);
	cr_expect_not(r->block_io.weight_device[0].leaf_weight.set);
	cr_assert_eq(r->block_io.n_throttle_read_bps, 1);
	cr_expect_eq(r->block_io.throttle_read_bps[0].rate, 104857600);
	cr_expect_eq(r->block_io.n_throttle_write_bps, 0);
	cr_assert_eq(r->block_io.n_throttle_write_iops, 1);
	cr_expect_eq(r->block_io.throttle_write_iops[0].minor, 16);
	cr_assert_eq(r->n_hugepage_limits, 1);
	cr_expect_str_eq(r->hugepage_limits[0].page_size, "2MB");
	cr_assert_eq(r->unified.n, 2);
	cr_expect_str_eq(r->unified.v[1].key, "io.weight");
	cr_expect_str_eq(r->unified.v[1].value, "default 100");
}

static void ocit_check_full_seccomp(const struct oci_seccomp *s)
{
	cr_expect(s->present);
	cr_expect_str_eq(s->default_action, "SCMP_ACT_ERRNO");
	cr_expect(s->default_errno_ret.set && s->default_errno_ret.v == 1);
	cr_expect_eq(s->architectures.n, 3);
	cr_expect_str_eq(s->flags.v[0], "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
	cr_assert_eq(s->n_syscalls, 3);
	cr_expect_eq(s->syscalls[0].names.n, 3);
	cr_expect_not(s->syscalls[0].errno_ret.set);
	cr_expect_eq(s->syscalls[1].args[0].value, 4294967295u);
	cr_expect_eq(s->syscalls[2].errno_ret.v, 38);
	cr_assert_eq(s->syscalls[2].n_args, 1);
	cr_expect_eq(s->syscalls[2].args[0].value_two, UINT64_MAX,
		     "values above INT64_MAX fit a uint64 field");
	cr_expect_str_eq(s->syscalls[2].args[0].op, "SCMP_CMP_MASKED_EQ");
}

static void ocit_check_full_linux(const struct oci_linux *l)
{
	cr_assert_eq(l->n_namespaces, 8);
	cr_expect_eq(l->namespaces[1].type, OCI_NS_NETWORK);
	cr_expect_str_eq(l->namespaces[1].path, "/var/run/netns/fn");
	cr_expect_null(l->namespaces[0].path);
	cr_expect_eq(l->namespaces[7].type, OCI_NS_TIME);
	cr_assert_eq(l->n_uid_mappings, 1);
	cr_expect_eq(l->uid_mappings[0].host_id, 100000);
	cr_expect_eq(l->gid_mappings[0].size, 65536);
	cr_assert_eq(l->n_devices, 1);
	cr_expect_eq(l->devices[0].type, 'c');
	cr_expect_eq(l->devices[0].major, 10);
	cr_expect(l->devices[0].file_mode.set && l->devices[0].file_mode.v == 0666);
	cr_expect_str_eq(l->cgroups_path, "/slxrun/fn-1");
	ocit_check_full_resources(&l->resources);
	cr_expect_str_eq(l->sysctl.v[0].key, "net.ipv4.ip_forward");
	ocit_check_full_seccomp(&l->seccomp);
	cr_expect_str_eq(l->rootfs_propagation, "rslave");
	cr_expect_eq(l->masked_paths.n, 2);
	cr_expect_str_eq(l->readonly_paths.v[0], "/proc/sys");
	cr_expect_str_eq(l->mount_label, "system_u:object_r:container_file_t:s0");
	cr_expect(l->personality.present);
	cr_expect_str_eq(l->personality.domain, "LINUX32");
	cr_expect(l->time_monotonic.set);
	cr_expect_eq(l->time_monotonic.secs, -3600);
	cr_expect_eq(l->time_monotonic.nanosecs, 5);
	cr_expect(l->time_boottime.set && l->time_boottime.secs == 86400);
}

Test(oci_parse, full_config_decodes_every_field)
{
	struct oci_config *cfg = ocit_parse_ok(ocit_full_config);

	cr_expect_str_eq(cfg->oci_version, "1.0.2-dev");
	cr_assert(cfg->has_process);
	ocit_check_full_process(&cfg->process);
	cr_expect_str_eq(cfg->root.path, "rootfs");
	cr_expect(cfg->root.readonly);
	cr_expect_str_eq(cfg->hostname, "fn-1");
	cr_expect_str_eq(cfg->domainname, "example.org");
	cr_assert_eq(cfg->n_mounts, 3);
	cr_expect_str_eq(cfg->mounts[1].options.v[3], "size=65536k");
	cr_expect_null(cfg->mounts[2].type);
	cr_expect_null(cfg->mounts[0].options.v);
	cr_assert_eq(cfg->hooks.prestart.n, 1);
	cr_expect_str_eq(cfg->hooks.prestart.v[0].args.v[1], "up");
	cr_expect_eq(cfg->hooks.prestart.v[0].timeout.v, 5);
	cr_expect_eq(cfg->hooks.create_runtime.n, 1);
	cr_expect_eq(cfg->hooks.create_container.n, 1);
	cr_expect_str_eq(cfg->hooks.start_container.v[0].path, "/bin/sc");
	cr_expect_eq(cfg->hooks.poststart.n, 2);
	cr_expect_str_eq(cfg->hooks.poststop.v[0].path, "/bin/cleanup");
	cr_assert_eq(cfg->annotations.n, 2);
	cr_expect_str_eq(cfg->annotations.v[1].value, "exec");
	cr_assert(cfg->has_linux);
	ocit_check_full_linux(&cfg->linux_);
	oci_config_free(cfg);
}

Test(oci_parse, errors_late_in_a_full_config_free_cleanly)
{
	/* Break the config at its very end, after every array was built:
	 * LeakSanitizer proves the partial structure is released. */
	char *json = strdup(ocit_full_config);
	char *p = strstr(json, "\"rslave\"");
	struct slx_err err = {0};
	struct oci_config *cfg = NULL;

	cr_assert_not_null(p);
	memcpy(p, "12345678", 8);
	cr_expect_eq(oci_config_parse("config.json", json, strlen(json), &cfg, &err), -1);
	cr_expect_str_eq(err.msg,
			 "config.json: linux.rootfsPropagation: expected a string, got a number");
	free(json);
}

Test(oci_load, reads_bundle_config_json)
{
	char dir[] = "/tmp/ocit-bundle-XXXXXX";
	char path[64];
	struct slx_err err = {0};
	struct oci_config *cfg = NULL;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	cr_expect_eq(oci_config_load(dir, &cfg, &err), -1, "no config.json yet");
	cr_expect_not_null(strstr(err.msg, "config.json"), "%s", err.msg);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(ocit_full_config, f);
	fclose(f);
	cr_expect_eq(oci_config_load(dir, &cfg, &err), 0, "%s", err.msg);
	if (cfg)
		cr_expect_str_eq(cfg->hostname, "fn-1");
	oci_config_free(cfg);
	unlink(path);
	rmdir(dir);
}

Test(oci_process, bare_process_object)
{
	static const char json[] =
	    "{\"terminal\":false,\"user\":{\"uid\":5,\"gid\":6},\"args\":[\"ls\",\"-l\"],"
	    "\"env\":[\"A=b\"],\"cwd\":\"/tmp\",\"rlimits\":[{\"type\":\"RLIMIT_NPROC\","
	    "\"soft\":10,\"hard\":20}]}";
	static const char rel[] = "{\"args\":[\"ls\"],\"cwd\":\"rel\"}";
	struct slx_err err = {0};
	struct oci_process *p = NULL;

	cr_assert_eq(oci_process_parse("process.json", json, strlen(json), &p, &err), 0, "%s",
		     err.msg);
	cr_expect_eq(p->user.uid, 5);
	cr_expect_str_eq(p->args.v[1], "-l");
	cr_expect_eq(p->rlimits[0].resource, RLIMIT_NPROC);
	oci_process_free(p);

	cr_expect_eq(oci_process_parse("process.json", rel, strlen(rel), &p, &err), -1);
	cr_expect_str_eq(err.msg, "process.json: cwd: must be an absolute path, got \"rel\"");
	cr_expect_null(p);
}

Test(oci_resources, bare_resources_object)
{
	static const char json[] = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":-1},"
				   "\"cpu\":{\"cpus\":\"1\"}}";
	static const char bad[] = "{\"memory\":{\"limit\":\"x\"}}";
	struct slx_err err = {0};
	struct oci_resources *r = NULL;

	cr_assert_eq(oci_resources_parse("-", json, strlen(json), &r, &err), 0, "%s", err.msg);
	cr_expect(r->present);
	cr_expect(r->memory.present && r->memory.limit.v == 1048576);
	cr_expect(r->pids.limit.set && r->pids.limit.v == -1);
	cr_expect_not(r->block_io.present);
	cr_expect_str_eq(r->cpu.cpus, "1");
	oci_resources_free(r);

	cr_expect_eq(oci_resources_parse("-", bad, strlen(bad), &r, &err), -1);
	cr_expect_str_eq(err.msg, "-: memory.limit: expected an integer, got a string");
}

static struct oci_state ocit_sample_state(void)
{
	static struct oci_kv ann[] = {{(char *)"a.b", (char *)"c"}};
	static char *hook_args[] = {(char *)"cleanup", (char *)"--all", NULL};
	static struct oci_hook hooks[] = {
	    {.path = (char *)"/bin/cleanup", .args = {hook_args, 2}, .timeout = {true, 7}},
	};
	struct oci_state st = {
	    .oci_version = (char *)"1.2.0",
	    .id = (char *)"fn-1",
	    .status = OCI_STATUS_RUNNING,
	    .pid = 4242,
	    .pid_start_time = 123456789012ULL,
	    .bundle = (char *)"/srv/bundles/fn",
	    .rootfs = (char *)"/srv/bundles/fn/rootfs",
	    .created = (char *)"2026-01-02T03:04:05.123456789Z",
	    .owner = (char *)"",
	    .cgroup_path = (char *)"/sys/fs/cgroup/slxrun/fn-1",
	    .annotations = {ann, 1},
	    .poststop = {hooks, 1},
	    .systemd_cgroup = true,
	};
	return st;
}

Test(oci_state, full_form_round_trips)
{
	struct oci_state st = ocit_sample_state();
	struct oci_state *back = NULL;
	struct slx_err err = {0};
	char *json = NULL;
	size_t len = 0;

	cr_assert_eq(oci_state_to_json(&st, true, &json, &len, &err), 0, "%s", err.msg);
	cr_expect_eq(strlen(json), len);
	cr_assert_eq(oci_state_parse("state.json", json, len, &back, &err), 0, "%s: %s", err.msg,
		     json);
	cr_expect_str_eq(back->id, "fn-1");
	cr_expect_eq(back->status, OCI_STATUS_RUNNING);
	cr_expect_eq(back->pid, 4242);
	cr_expect_eq(back->pid_start_time, 123456789012ULL);
	cr_expect_str_eq(back->bundle, st.bundle);
	cr_expect_str_eq(back->rootfs, st.rootfs);
	cr_expect_str_eq(back->created, st.created);
	cr_expect_str_eq(back->owner, "");
	cr_expect_str_eq(back->cgroup_path, st.cgroup_path);
	cr_expect(back->systemd_cgroup);
	cr_assert_eq(back->annotations.n, 1);
	cr_expect_str_eq(back->annotations.v[0].value, "c");
	cr_assert_eq(back->poststop.n, 1);
	cr_expect_str_eq(back->poststop.v[0].args.v[1], "--all");
	cr_expect_eq(back->poststop.v[0].timeout.v, 7);
	cr_expect_eq(back->poststart.n, 0);
	oci_state_free(back);
	free(json);
}

Test(oci_state, short_form_is_runc_state_output)
{
	struct oci_state st = ocit_sample_state();
	struct slx_err err = {0};
	char *json = NULL;
	size_t len;

	st.status = OCI_STATUS_PAUSED;
	cr_assert_eq(oci_state_to_json(&st, false, &json, &len, &err), 0, "%s", err.msg);
	cr_expect_not_null(strstr(json, "{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"fn-1\",\n"
					"  \"pid\": 4242,\n  \"status\": \"paused\",\n"),
			   "%s", json);
	cr_expect_not_null(strstr(json, "\"annotations\": {\n    \"a.b\": \"c\"\n  }"), "%s", json);
	cr_expect_null(strstr(json, "cgroupPath"));
	cr_expect_null(strstr(json, "pidStartTime"));
	cr_expect_null(strstr(json, "poststop"));
	free(json);
}

Test(oci_state, status_names_and_bad_state)
{
	static const char bad[] = "{\"id\":\"x\",\"status\":\"zombie\",\"bundle\":\"/b\"}";
	static const char missing[] = "{\"id\":\"x\",\"status\":\"created\"}";
	struct slx_err err = {0};
	struct oci_state *st = NULL;

	cr_expect_str_eq(oci_status_name(OCI_STATUS_CREATING), "creating");
	cr_expect_str_eq(oci_status_name(OCI_STATUS_CREATED), "created");
	cr_expect_str_eq(oci_status_name(OCI_STATUS_STOPPED), "stopped");
	cr_expect_eq(oci_state_parse("state.json", bad, strlen(bad), &st, &err), -1);
	cr_expect_str_eq(err.msg, "state.json: status: unknown status \"zombie\"");
	cr_expect_eq(oci_state_parse("state.json", missing, strlen(missing), &st, &err), -1);
	cr_expect_str_eq(err.msg, "state.json: bundle: required field missing");
}

static struct oci_config *ocit_spec(bool rootless)
{
	struct slx_err err = {0};
	struct oci_config *cfg = NULL;
	char *json = NULL;
	size_t len;

	cr_assert_eq(oci_spec_default_json(rootless, 1000, 1001, &json, &len, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(oci_config_parse("config.json", json, len, &cfg, &err), 0, "%s", err.msg);
	free(json);
	return cfg;
}

static bool ocit_has_ns(const struct oci_config *cfg, enum oci_ns_type t)
{
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == t)
			return true;
	return false;
}

Test(oci_spec, default_spec_parses_back)
{
	struct oci_config *cfg = ocit_spec(false);

	cr_expect_str_eq(cfg->oci_version, OCI_VERSION);
	cr_expect(cfg->process.terminal);
	cr_expect_str_eq(cfg->process.args.v[0], "sh");
	cr_expect_eq(cfg->process.caps.bounding.n, 3);
	cr_expect_eq(cfg->process.rlimits[0].resource, RLIMIT_NOFILE);
	cr_expect(cfg->process.no_new_privileges);
	cr_expect_str_eq(cfg->root.path, "rootfs");
	cr_expect(cfg->root.readonly);
	cr_expect_str_eq(cfg->hostname, "slxrun");
	cr_assert_eq(cfg->n_mounts, 7);
	cr_expect_str_eq(cfg->mounts[2].options.v[5], "gid=5");
	cr_expect_str_eq(cfg->mounts[5].type, "sysfs");
	cr_expect_eq(cfg->linux_.n_namespaces, 6);
	cr_expect(ocit_has_ns(cfg, OCI_NS_NETWORK));
	cr_expect(ocit_has_ns(cfg, OCI_NS_CGROUP));
	cr_expect_not(ocit_has_ns(cfg, OCI_NS_USER));
	cr_assert_eq(cfg->linux_.resources.n_devices, 1);
	cr_expect_not(cfg->linux_.resources.devices[0].allow);
	cr_expect_str_eq(cfg->linux_.resources.devices[0].access, "rwm");
	cr_expect_eq(cfg->linux_.masked_paths.n, 11);
	cr_expect_eq(cfg->linux_.readonly_paths.n, 5);
	oci_config_free(cfg);
}

Test(oci_spec, rootless_spec_maps_the_caller)
{
	struct oci_config *cfg = ocit_spec(true);

	cr_expect(cfg->process.terminal);
	cr_expect(ocit_has_ns(cfg, OCI_NS_USER));
	cr_expect_not(ocit_has_ns(cfg, OCI_NS_NETWORK));
	cr_assert_eq(cfg->linux_.n_uid_mappings, 1);
	cr_expect_eq(cfg->linux_.uid_mappings[0].container_id, 0);
	cr_expect_eq(cfg->linux_.uid_mappings[0].host_id, 1000);
	cr_expect_eq(cfg->linux_.uid_mappings[0].size, 1);
	cr_expect_eq(cfg->linux_.gid_mappings[0].host_id, 1001);
	cr_expect_not(cfg->linux_.resources.present);
	cr_expect_str_eq(cfg->mounts[5].destination, "/sys");
	cr_expect_str_eq(cfg->mounts[5].options.v[0], "rbind");
	cr_expect_eq(cfg->mounts[2].options.n, 5, "gid=5 dropped from devpts");
	oci_config_free(cfg);
}

static yajl_val ocit_get(yajl_val root, const char *a, const char *b, const char *c)
{
	const char *path[] = {a, b, c, NULL};

	return yajl_tree_get(root, path, yajl_t_any);
}

static bool ocit_array_has(yajl_val arr, const char *s)
{
	for (size_t i = 0; arr && YAJL_IS_ARRAY(arr) && i < arr->u.array.len; i++) {
		const char *v = YAJL_GET_STRING(arr->u.array.values[i]);

		if (v && strcmp(v, s) == 0)
			return true;
	}
	return false;
}

Test(oci_features, lists_what_slxrun_supports)
{
	struct slx_err err = {0};
	char *json = NULL, ebuf[128];
	size_t len;
	yajl_val root, caps, mopts;

	cr_assert_eq(oci_features_json(&json, &len, &err), 0, "%s", err.msg);
	root = yajl_tree_parse(json, ebuf, sizeof(ebuf));
	cr_assert_not_null(root, "%s", ebuf);
	cr_expect_str_eq(YAJL_GET_STRING(ocit_get(root, "ociVersionMin", NULL, NULL)), "1.0.0");
	cr_expect_str_eq(YAJL_GET_STRING(ocit_get(root, "ociVersionMax", NULL, NULL)), "1.3.0");
	cr_expect_eq(YAJL_GET_ARRAY(ocit_get(root, "hooks", NULL, NULL))->len, 6);
	mopts = ocit_get(root, "mountOptions", NULL, NULL);
	cr_expect_eq(YAJL_GET_ARRAY(mopts)->len, 61);
	cr_expect(ocit_array_has(mopts, "rbind") && ocit_array_has(mopts, "nosymfollow"));
	cr_expect(ocit_array_has(mopts, "idmap") && ocit_array_has(mopts, "ridmap"));
	cr_expect(YAJL_IS_TRUE(yajl_tree_get(
	    root, (const char *[]){"linux", "mountExtensions", "idmap", "enabled", NULL},
	    yajl_t_any)));
	cr_expect_eq(YAJL_GET_ARRAY(ocit_get(root, "linux", "namespaces", NULL))->len, 8);
	caps = ocit_get(root, "linux", "capabilities", NULL);
	cr_assert_eq(YAJL_GET_ARRAY(caps)->len, 41);
	cr_expect_str_eq(YAJL_GET_STRING(caps->u.array.values[40]), "CAP_CHECKPOINT_RESTORE");
	cr_expect(YAJL_IS_TRUE(ocit_get(root, "linux", "cgroup", "v2")));
	cr_expect(YAJL_IS_FALSE(ocit_get(root, "linux", "cgroup", "v1")));
	cr_expect(YAJL_IS_TRUE(ocit_get(root, "linux", "seccomp", "enabled")));
	cr_expect(ocit_array_has(ocit_get(root, "linux", "seccomp", "actions"), "SCMP_ACT_ERRNO"));
	cr_expect_not(
	    ocit_array_has(ocit_get(root, "linux", "seccomp", "actions"), "SCMP_ACT_NOTIFY"));
	cr_expect(
	    ocit_array_has(ocit_get(root, "linux", "seccomp", "operators"), "SCMP_CMP_MASKED_EQ"));
	cr_expect(ocit_array_has(ocit_get(root, "linux", "seccomp", "archs"), "SCMP_ARCH_X86_64"));
	cr_expect(ocit_array_has(ocit_get(root, "linux", "seccomp", "supportedFlags"),
				 "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
	cr_expect(YAJL_IS_FALSE(ocit_get(root, "linux", "apparmor", "enabled")));
	cr_expect_str_eq(YAJL_GET_STRING(ocit_get(root, "annotations", "org.slxrun.version", NULL)),
			 "0.1.0");
	yajl_tree_free(root);
	free(json);
}

Test(oci_names, namespace_names_follow_the_spec)
{
	cr_expect_str_eq(oci_ns_type_name(OCI_NS_NETWORK), "network");
	cr_expect_str_eq(oci_ns_type_name(OCI_NS_TIME), "time");
	cr_expect_str_eq(oci_ns_type_name(OCI_NS_COUNT), "unknown");
}
