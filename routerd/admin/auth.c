/* SPDX-License-Identifier: BSD-3-Clause */
/* auth.c -- see auth.h. */
#include "admin/auth.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "lib/err.h"

#define SECRET_MAX 4096

struct auth {
	enum cfg_auth_kind kind;
	char *secret;        /* token, "user:password", or HMAC key */
	size_t secret_len;
	char header[64];
};

static int read_secret(const char *file, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return err_set(err, errlen, -errno, "%s: error: cannot read secret: %s", file, strerror(errno));
	buf = malloc(SECRET_MAX + 1);
	n = buf ? fread(buf, 1, SECRET_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n > SECRET_MAX) {
		free(buf);
		return err_set(err, errlen, buf == NULL ? -ENOMEM : -EINVAL, "%s: error: secret longer than %d bytes", file,
		               SECRET_MAX);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		free(buf);
		return err_set(err, errlen, -EINVAL, "%s: error: the secret is empty", file);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int auth_load(const struct cfg_http *cfg, struct auth **out, char *err, size_t errlen)
{
	struct auth *a = calloc(1, sizeof(*a));
	int rc = 0;

	if (a == NULL)
		return err_set(err, errlen, -ENOMEM, "out of memory");
	a->kind = cfg->auth;
	snprintf(a->header, sizeof(a->header), "%s", cfg->hmac_header ? cfg->hmac_header : "x-routerd-signature");
	for (char *p = a->header; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cfg->auth == AUTH_BEARER) {
		rc = read_secret(cfg->bearer_token_file, &a->secret, &a->secret_len, err, errlen);
	} else if (cfg->auth == AUTH_HMAC) {
		rc = read_secret(cfg->hmac_secret_file, &a->secret, &a->secret_len, err, errlen);
	} else if (cfg->auth == AUTH_BASIC) {
		char *pw = NULL;
		size_t pwlen = 0;
		rc = read_secret(cfg->basic_password_file, &pw, &pwlen, err, errlen);
		if (rc == 0) {
			a->secret_len = strlen(cfg->basic_user) + 1 + pwlen;
			a->secret = malloc(a->secret_len + 1);
			if (a->secret == NULL)
				rc = err_set(err, errlen, -ENOMEM, "out of memory");
			else
				snprintf(a->secret, a->secret_len + 1, "%s:%s", cfg->basic_user, pw);
			free(pw);
		}
	}
	if (rc < 0) {
		auth_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->secret != NULL)
		OPENSSL_cleanse(a->secret, a->secret_len);
	free(a->secret);
	free(a);
}

int auth_required(const struct auth *a)
{
	return a != NULL && a->kind != AUTH_NONE;
}

const char *auth_signature_header(const struct auth *a)
{
	return a->header;
}

/* Compare two strings of any lengths in time that depends only on the
 * length of the expected one: hash both, compare the digests. */
static int secret_equal(const void *given, size_t given_len, const void *want, size_t want_len)
{
	unsigned char d1[EVP_MAX_MD_SIZE], d2[EVP_MAX_MD_SIZE];
	unsigned int l1 = 0, l2 = 0;

	if (!EVP_Digest(given, given_len, d1, &l1, EVP_sha256(), NULL) ||
	    !EVP_Digest(want, want_len, d2, &l2, EVP_sha256(), NULL))
		return 0;
	return CRYPTO_memcmp(d1, d2, l1) == 0 && given_len == want_len;
}

static const char *skip_scheme(const char *h, const char *scheme)
{
	size_t n = strlen(scheme);
	if (h == NULL || strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
	while (*h == ' ')
		h++;
	return h;
}

static enum auth_result check_basic(const struct auth *a, const char *authorization)
{
	const char *b64 = skip_scheme(authorization, "Basic");
	unsigned char decoded[SECRET_MAX];
	size_t len;
	int n;

	if (b64 == NULL)
		return AUTH_MISSING;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(decoded))
		return AUTH_DENIED;
	n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return AUTH_DENIED;
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	if (len >= 1 && b64[len - 1] == '=')
		n--;
	if (len >= 2 && b64[len - 2] == '=')
		n--;
	return secret_equal(decoded, (size_t)n, a->secret, a->secret_len) ? AUTH_OK : AUTH_DENIED;
}

static enum auth_result check_hmac(const struct auth *a, const char *signature, const uint8_t *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int maclen = 0;

	if (signature == NULL)
		return AUTH_MISSING;
	if (strncasecmp(signature, "sha256=", 7) == 0)
		signature += 7;
	if (HMAC(EVP_sha256(), a->secret, (int)a->secret_len, body, len, mac, &maclen) == NULL)
		return AUTH_DENIED;
	for (unsigned i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	/* Hex digits may come in either case: lower-case a bounded copy. */
	char given[2 * EVP_MAX_MD_SIZE + 1];
	size_t glen = strnlen(signature, sizeof(given) - 1);
	for (size_t i = 0; i < glen; i++)
		given[i] = (char)tolower((unsigned char)signature[i]);
	given[glen] = '\0';
	return secret_equal(given, glen, hex, 2 * maclen) ? AUTH_OK : AUTH_DENIED;
}

enum auth_result auth_check(const struct auth *a, const char *authorization, const char *signature,
                            const uint8_t *body, size_t len)
{
	const char *token;

	if (!auth_required(a))
		return AUTH_OK;
	switch (a->kind) {
	case AUTH_BEARER:
		token = skip_scheme(authorization, "Bearer");
		if (token == NULL)
			return AUTH_MISSING;
		return secret_equal(token, strlen(token), a->secret, a->secret_len) ? AUTH_OK : AUTH_DENIED;
	case AUTH_BASIC:
		return check_basic(a, authorization);
	case AUTH_HMAC:
		return check_hmac(a, signature, body, len);
	default:
		return AUTH_OK;
	}
}
