/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lazy_archive.c -- stubs for the libarchive and libcrypto functions the image
 * store uses (and the shim's base64 of a call's log), forwarding to the
 * libraries dlopen'ed on first use: `slxrun run` links nothing new, only a
 * pull, an unpack or a call asking for its log loads them. */
#include "lazylib.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

/* X(return type, name, parameters, arguments): one line per function. */
#define ARCHIVE_FNS(X)                                                                             \
	X(struct archive *, archive_read_new, (void), ())                                          \
	X(int, archive_read_support_filter_gzip, (struct archive * a), (a))                        \
	X(int, archive_read_support_filter_zstd, (struct archive * a), (a))                        \
	X(int, archive_read_support_filter_none, (struct archive * a), (a))                        \
	X(int, archive_read_support_format_tar, (struct archive * a), (a))                         \
	X(int, archive_read_support_format_raw, (struct archive * a), (a))                         \
	X(int, archive_read_open,                                                                  \
	  (struct archive * a, void *data, archive_open_callback *o, archive_read_callback *r,     \
	   archive_close_callback *c),                                                             \
	  (a, data, o, r, c))                                                                      \
	X(int, archive_read_open_fd, (struct archive * a, int fd, size_t bs), (a, fd, bs))         \
	X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e))  \
	X(la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t n), (a, buf, n))   \
	X(int, archive_read_data_block,                                                            \
	  (struct archive * a, const void **buf, size_t *n, la_int64_t *off), (a, buf, n, off))    \
	X(int, archive_read_free, (struct archive * a), (a))                                       \
	X(const char *, archive_error_string, (struct archive * a), (a))                           \
	X(const char *, archive_entry_pathname, (struct archive_entry * e), (e))                   \
	X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e))                   \
	X(const char *, archive_entry_symlink, (struct archive_entry * e), (e))                    \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))                    \
	X(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))                        \
	X(la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))                          \
	X(la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))                          \
	X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e))                         \
	X(int, archive_entry_size_is_set, (struct archive_entry * e), (e))                         \
	X(time_t, archive_entry_mtime, (struct archive_entry * e), (e))                            \
	X(long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))                         \
	X(dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e))                         \
	X(dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e))                         \
	X(int, archive_entry_xattr_reset, (struct archive_entry * e), (e))                         \
	X(int, archive_entry_xattr_next,                                                           \
	  (struct archive_entry * e, const char **name, const void **value, size_t *size),         \
	  (e, name, value, size))

#define CRYPTO_FNS(X)                                                                              \
	X(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())                                                \
	X(const EVP_MD *, EVP_sha256, (void), ())                                                  \
	X(int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *md, ENGINE *eng), (c, md, eng))   \
	X(int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n))             \
	X(int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *n),           \
	  (c, md, n))                                                                              \
	X(int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))

#define X_INDEX(ret, name, params, args) I_##name,
#define X_NAME(ret, name, params, args)	 #name,
enum { ARCHIVE_FNS(X_INDEX) CRYPTO_FNS(X_INDEX) I_EVP_MD_CTX_free, I_COUNT };

static const char *const archive_names[] = {ARCHIVE_FNS(X_NAME)};
static void *archive_slots[I_EVP_MD_CTX_new];
static struct slx_lazy_lib archive_lib = {"libarchive.so.13", archive_names, archive_slots,
					  I_EVP_MD_CTX_new, false};

/* The crypto slots are indexed from I_EVP_MD_CTX_new: one enum for both. */
static const char *const crypto_names[] = {CRYPTO_FNS(X_NAME) "EVP_MD_CTX_free"};
static void *crypto_slots[I_COUNT - I_EVP_MD_CTX_new];
static struct slx_lazy_lib crypto_lib = {"libcrypto.so.3", crypto_names, crypto_slots,
					 I_COUNT - I_EVP_MD_CTX_new, false};

int slx_lazy_load_archive(struct slx_err *err)
{
	return slx_lazy_load(&archive_lib, err);
}

int slx_lazy_load_crypto(struct slx_err *err)
{
	return slx_lazy_load(&crypto_lib, err);
}

#define X_ARCHIVE(ret, name, params, args)                                                         \
	ret name params                                                                            \
	{                                                                                          \
		slx_lazy_require(&archive_lib);                                                    \
		return ((__typeof__(&name))archive_slots[I_##name])args;                           \
	}
#define X_CRYPTO(ret, name, params, args)                                                          \
	ret name params                                                                            \
	{                                                                                          \
		slx_lazy_require(&crypto_lib);                                                     \
		return ((__typeof__(&name))crypto_slots[I_##name - I_EVP_MD_CTX_new]) args;        \
	}

ARCHIVE_FNS(X_ARCHIVE)
CRYPTO_FNS(X_CRYPTO)

void EVP_MD_CTX_free(EVP_MD_CTX *c)
{
	slx_lazy_require(&crypto_lib);
	((__typeof__(&EVP_MD_CTX_free))crypto_slots[I_EVP_MD_CTX_free - I_EVP_MD_CTX_new])(c);
}
