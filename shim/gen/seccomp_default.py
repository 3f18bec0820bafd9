#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# seccomp_default.py -- regenerate shim/gen/seccomp_default.c, the function sandbox's default
# seccomp profile, from containers-common's /usr/share/containers/seccomp.json (podman's
# default allow-list).  The build never runs this: the shim embeds the result and reads no
# file at run time.  Resolved for a process without capabilities on x86_64 and aarch64, with Docker's CAP_SYS_ADMIN gates added (podman leaves them to the missing
# capability): no new namespaces (clone with CLONE_NEW*, unshare, setns), no mounts, no
# clone3 (ENOSYS, so libc falls back to clone, whose flags a filter can see); no keyrings; and
# no making one's memory mergeable.
#
# Usage: shim/seccomp_default.py [/usr/share/containers/seccomp.json] > shim/gen/seccomp_default.c
import json
import sys

SYS_ADMIN_GATED = {
    "bpf", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
    "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree", "perf_event_open",
    "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
    "umount2", "unshare", "pivot_root", "clone",
}
# The kernel's keyrings are not namespaced: a function would read and clear the session
# keyring of whoever started the shim, which the sandbox inherits (Docker's profile leaves
# these out too; a sandbox gets no keyring of its own, as every one would count against the
# one host uid the sandboxes share, 200 keys).
NO_KEYRING = {"add_key", "keyctl", "request_key"}
# Same-page merging (KSM) is a side channel between the processes whose pages merge (a page of
# guessed content, merged or not, says whether another holds it): only the functions of a shim
# whose operator lets them share memory are mergeable, and no other function may make itself
# so to probe those.  The share profile (shim serve --share-memory) allows both: its
# functions are in the pool already, and a helper exec'd before each makes it so.
PR_SET_MEMORY_MERGE, MADV_MERGEABLE = 67, 12
NO_MERGE = {"prctl": (0, PR_SET_MEMORY_MERGE), "madvise": (2, MADV_MERGEABLE)}
CLONE_NEW_MASK = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET


def rules_for(profile, arches, share):
    out = []
    for rule in profile["syscalls"]:
        inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
        if inc.get("caps") or inc.get("minKernel"):
            continue  # the function has no capabilities
        if inc.get("arches") and not set(inc["arches"]) & arches:
            continue
        if exc.get("arches") and set(exc["arches"]) & arches:
            continue
        gated = SYS_ADMIN_GATED | NO_KEYRING | (set() if share else NO_MERGE.keys())
        names = [n for n in rule["names"] if n not in gated]
        # the rules below replace a plain allow; anything else here would be widened by them
        assert not (set(rule["names"]) & NO_MERGE.keys() and
                    (rule["action"] != "SCMP_ACT_ALLOW" or rule.get("args")))
        if not names:
            continue
        r = {"names": names, "action": rule["action"]}
        if rule.get("errnoRet") is not None:
            r["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            r["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op")} for a in rule["args"]]
        out.append(r)
    out.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": CLONE_NEW_MASK, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})
    out.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    # The kernel reads both as an int, so 67 with any high bits set is 67 too, and a filter
    # compares all 64 bits: allowed is a low 32-bit word that differs from the value in some
    # bit, one rule per bit (a filter has no "masked not-equal").
    for name, (index, value) in sorted({} if share else NO_MERGE.items()):
        for bit in range(32):
            out.append({"names": [name], "action": "SCMP_ACT_ALLOW",
                        "args": [{"index": index, "value": 1 << bit, "valueTwo": ~value & (1 << bit),
                                  "op": "SCMP_CMP_MASKED_EQ"}]})
    return out


def profile_json(profile, arch, arches, share=False):
    # The native architecture only: a 32-bit (x86, x32, arm) syscall is refused, which also
    # makes the filter a third of the size and ~4x quicker to compile (20 ms -> 5 ms here).
    doc = {"defaultAction": profile["defaultAction"], "defaultErrnoRet": profile["defaultErrnoRet"],
           "architectures": [arch], "syscalls": rules_for(profile, arches, share)}
    # The smallest config.json oci_config_parse takes: the profile is its linux.seccomp.
    return json.dumps({"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "linux": {"seccomp": doc}},
                      separators=(",", ":"))


def c_string(text):
    lines, width = [], 96
    for i in range(0, len(text), width):
        lines.append('\t"' + text[i:i + width].replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "\n".join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/containers/seccomp.json"
    profile = json.load(open(path))
    x86 = {"amd64", "x32", "x86"}
    arm = {"arm64", "arm"}
    texts = (profile_json(profile, "SCMP_ARCH_X86_64", x86),
             profile_json(profile, "SCMP_ARCH_X86_64", x86, share=True),
             profile_json(profile, "SCMP_ARCH_AARCH64", arm),
             profile_json(profile, "SCMP_ARCH_AARCH64", arm, share=True))
    print("""/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_default.c -- the function sandbox's default seccomp profile, embedded:
 * generated by shim/gen/seccomp_default.py from containers-common 0.50.1's
 * seccomp.json (podman's default allow-list) with Docker's CAP_SYS_ADMIN gates.
 * Do not edit; regenerate. */
#include "../floor.h"

#if defined(__x86_64__)
const char shim_seccomp_default_json[] =
%s;
const char shim_seccomp_share_json[] =
%s;
#elif defined(__aarch64__)
const char shim_seccomp_default_json[] =
%s;
const char shim_seccomp_share_json[] =
%s;
#else
#error "no default seccomp profile for this architecture (shim/seccomp_default.py)"
#endif""" % tuple(c_string(t) for t in texts))


main()
