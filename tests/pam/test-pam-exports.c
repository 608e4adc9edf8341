/*
 * test-pam-exports.c - pam_jwt.so exports the PAM entry points and nothing
 * else: libpjwt is linked in statically and its pjwt_* names (and the
 * module's own helpers) must not leak into sshd's or sudo's symbol space.
 * Checked twice: by dlopen/dlsym, and by the dynamic symbol table as
 * `nm -D --defined-only` prints it.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PJWT_PAM_MODULE
#error "PJWT_PAM_MODULE must be defined"
#endif

static int n, failed;

static void
ok(int cond, const char *what, const char *name)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - %s %s\n", cond ? "" : "not ", n, what, name);
}

int
main(void)
{
	static const char *const entry[] = {
		"pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
		"pam_sm_open_session", "pam_sm_close_session",
	};
	static const char *const hidden[] = {
		"pjwt_verify", "pjwt_verify_ex", "pjwt_keyset_from_jwks",
		"pjwt_strerror", "pjwt_file_read", "args_set", "args_init",
		"pjm_read_trusted", "pjm_revoked_check", "pjm_load_keyset",
		/* Not provided on purpose: pam_jwt in a password stack is a
		 * configuration error libpam reports. */
		"pam_sm_chauthtok",
	};
	char cmd[4096], line[1024];
	void *h;
	size_t i;
	FILE *p;
	int seen = 0;

	if (access(PJWT_PAM_MODULE, R_OK) != 0) {
		printf("1..0 # SKIP %s not built\n", PJWT_PAM_MODULE);
		return 0;
	}
	h = dlopen(PJWT_PAM_MODULE, RTLD_NOW | RTLD_LOCAL);
	ok(h != NULL, "dlopen", PJWT_PAM_MODULE);
	if (h == NULL) {
		printf("# %s\n1..%d\n", dlerror(), n);
		return 1;
	}
	for (i = 0; i < sizeof(entry) / sizeof(entry[0]); i++)
		ok(dlsym(h, entry[i]) != NULL, "exported:", entry[i]);
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		ok(dlsym(h, hidden[i]) == NULL, "not exported:", hidden[i]);
	dlclose(h);

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' 2>&1",
	    PJWT_PAM_MODULE);
	if ((p = popen(cmd, "r")) == NULL) {
		ok(0, "run", "nm -D");
	} else {
		while (fgets(line, sizeof(line), p) != NULL) {
			char *name = strrchr(line, ' ');

			line[strcspn(line, "\n")] = '\0';
			name = name != NULL ? name + 1 : line;
			seen++;
			ok(strncmp(name, "pam_sm_", 7) == 0,
			    "nm -D defines only pam_sm_*:", name);
		}
		ok(pclose(p) == 0 && seen == 5, "nm -D lists exactly 5",
		    "symbols");
	}
	printf("1..%d\n", n);
	return failed != 0;
}
