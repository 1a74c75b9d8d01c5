/* SPDX-License-Identifier: BSD-3-Clause */
/* test_auth.c -- bearer, basic and HMAC-SHA256 webhook authentication. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/auth.h"
#include "config.h"

static char dir[] = "/tmp/test_auth.XXXXXX";
static char path[256];

static const char *secret_file(const char *content)
{
	FILE *f;
	snprintf(path, sizeof(path), "%s/secret", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_bearer(void **state)
{
	(void)state;
	struct cfg_http cfg = { .auth = AUTH_BEARER };
	struct auth *a;
	char err[256];

	cfg.bearer_token_file = (char *)secret_file("s3cret-token\n");
	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), 0);
	assert_true(auth_required(a));
	assert_int_equal(auth_check(a, "Bearer s3cret-token", NULL, NULL, 0), AUTH_OK);
	assert_int_equal(auth_check(a, "bearer   s3cret-token", NULL, NULL, 0), AUTH_OK);
	assert_int_equal(auth_check(a, "Bearer s3cret-tokeN", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Bearer s3cret-token2", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Bearer s3cret", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Bearer ", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, NULL, NULL, NULL, 0), AUTH_MISSING);
	assert_int_equal(auth_check(a, "Basic czNjcmV0LXRva2Vu", NULL, NULL, 0), AUTH_MISSING);
	auth_free(a);
}

static void test_basic(void **state)
{
	(void)state;
	struct cfg_http cfg = { .auth = AUTH_BASIC, .basic_user = "alertmanager" };
	struct auth *a;
	char err[256];

	cfg.basic_password_file = (char *)secret_file("hunter2\n");
	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), 0);
	/* base64("alertmanager:hunter2") */
	assert_int_equal(auth_check(a, "Basic YWxlcnRtYW5hZ2VyOmh1bnRlcjI=", NULL, NULL, 0), AUTH_OK);
	/* base64("alertmanager:hunter3") */
	assert_int_equal(auth_check(a, "Basic YWxlcnRtYW5hZ2VyOmh1bnRlcjM=", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Basic !!!!", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Basic abc", NULL, NULL, 0), AUTH_DENIED);
	assert_int_equal(auth_check(a, "Bearer x", NULL, NULL, 0), AUTH_MISSING);
	auth_free(a);
}

static void test_hmac(void **state)
{
	(void)state;
	struct cfg_http cfg = { .auth = AUTH_HMAC };
	struct auth *a;
	char err[256];
	const char *body = "what do ya want for nothing?";
	/* RFC 4231 test case 2: key "Jefe". */
	const char *mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	char header[128];

	cfg.hmac_secret_file = (char *)secret_file("Jefe");
	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(auth_signature_header(a), "x-routerd-signature");
	assert_int_equal(auth_check(a, NULL, mac, (const uint8_t *)body, strlen(body)), AUTH_OK);
	snprintf(header, sizeof(header), "sha256=%s", mac);
	assert_int_equal(auth_check(a, NULL, header, (const uint8_t *)body, strlen(body)), AUTH_OK);
	header[10] = 'C'; /* "c" upper-cased: hex case does not matter */
	assert_int_equal(auth_check(a, NULL, header, (const uint8_t *)body, strlen(body)), AUTH_OK);
	/* One byte of body changed. */
	assert_int_equal(auth_check(a, NULL, mac, (const uint8_t *)"what do ya want for nothing!", strlen(body)),
	                 AUTH_DENIED);
	assert_int_equal(auth_check(a, NULL, "sha256=", (const uint8_t *)body, strlen(body)), AUTH_DENIED);
	assert_int_equal(auth_check(a, NULL, NULL, (const uint8_t *)body, strlen(body)), AUTH_MISSING);
	auth_free(a);
}

static void test_bad_secret_files(void **state)
{
	(void)state;
	struct cfg_http cfg = { .auth = AUTH_BEARER, .bearer_token_file = "/nonexistent/token" };
	struct auth *a = NULL;
	char err[256];

	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/token: error: cannot read secret"));
	cfg.bearer_token_file = (char *)secret_file("\n");
	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
}

static void test_none(void **state)
{
	(void)state;
	struct cfg_http cfg = { .auth = AUTH_NONE };
	struct auth *a;
	char err[256];
	assert_int_equal(auth_load(&cfg, &a, err, sizeof(err)), 0);
	assert_false(auth_required(a));
	assert_int_equal(auth_check(a, NULL, NULL, NULL, 0), AUTH_OK);
	auth_free(a);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer), cmocka_unit_test(test_basic),           cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_none),   cmocka_unit_test(test_bad_secret_files),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, setup, teardown);
}
