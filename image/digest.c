/* SPDX-License-Identifier: GPL-2.0-or-later */
/* digest.c -- sha256 through OpenSSL's EVP interface (libcrypto, loaded on
 * first use), of a file or a buffer, as "sha256:<hex>". */
#include "internal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/lazylib.h"

static void md_ctx_freep(EVP_MD_CTX **c)
{
	if (*c)
		EVP_MD_CTX_free(*c);
	*c = NULL;
}

static int digest_begin(EVP_MD_CTX **c, struct slx_err *err)
{
	if (slx_lazy_load_crypto(err) < 0)
		return -1;
	*c = EVP_MD_CTX_new();
	if (!*c || EVP_DigestInit_ex(*c, EVP_sha256(), NULL) != 1)
		return slx_error(err, ENOMEM, "sha256");
	return 0;
}

static int digest_end(EVP_MD_CTX *c, char digest[IMG_DIGEST_MAX], struct slx_err *err)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32)
		return slx_error(err, 0, "sha256: digest failed");
	memcpy(digest, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int img_sha256_buf(const void *buf, size_t len, char digest[IMG_DIGEST_MAX], struct slx_err *err)
{
	__attribute__((cleanup(md_ctx_freep))) EVP_MD_CTX *c = NULL;

	if (digest_begin(&c, err) < 0)
		return -1;
	if (EVP_DigestUpdate(c, buf, len) != 1)
		return slx_error(err, 0, "sha256: update failed");
	return digest_end(c, digest, err);
}

int img_sha256_fd(int fd, char digest[IMG_DIGEST_MAX], int64_t *size, struct slx_err *err)
{
	__attribute__((cleanup(md_ctx_freep))) EVP_MD_CTX *c = NULL;
	static __thread char buf[1 << 16];
	int64_t total = 0;
	ssize_t n;

	if (digest_begin(&c, err) < 0)
		return -1;
	for (off_t off = 0;; off += n) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return slx_error(err, errno, "read for sha256");
		if (n == 0)
			break;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			return slx_error(err, 0, "sha256: update failed");
		total += n;
	}
	if (size)
		*size = total;
	return digest_end(c, digest, err);
}

int img_sha256_begin(struct img_sha256 *h, struct slx_err *err)
{
	h->ctx = NULL;
	return digest_begin((EVP_MD_CTX **)&h->ctx, err);
}

int img_sha256_update(struct img_sha256 *h, const void *buf, size_t len)
{
	return EVP_DigestUpdate(h->ctx, buf, len) == 1 ? 0 : -1;
}

int img_sha256_end(struct img_sha256 *h, char digest[IMG_DIGEST_MAX], struct slx_err *err)
{
	return digest_end(h->ctx, digest, err);
}

void img_sha256_release(struct img_sha256 *h)
{
	md_ctx_freep((EVP_MD_CTX **)&h->ctx);
}
