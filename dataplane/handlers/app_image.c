/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* memfd_create, file seals */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "app_image.h"
#include "mono_clock.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The GNU build-id note of a 64-bit ELF image in b (len bytes), as hex;
 * "" when there is none or the file is not ELF64. Bounds-checked. */
static void
find_build_id(const uint8_t *b, size_t len, char *out, size_t out_len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;

	out[0] = '\0';
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(b + eh->e_phoff) + i;
		size_t off = ph->p_offset, end;

		if (ph->p_type != PT_NOTE || off > len || ph->p_filesz > len - off)
			continue;
		end = off + ph->p_filesz;
		while (end - off >= sizeof(Elf64_Nhdr)) {
			const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(b + off);
			size_t name = (nh->n_namesz + 3u) & ~3u, desc = (nh->n_descsz + 3u) & ~3u;

			off += sizeof(*nh);
			if (name > end - off || desc > end - off - name)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(b + off, "GNU", 4) == 0 && nh->n_descsz * 2 < out_len) {
				hex(b + off + name, nh->n_descsz, out);
				return;
			}
			off += name + desc;
		}
	}
}

static int
write_all(int fd, const uint8_t *b, size_t n)
{
	while (n != 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Copy fd's bytes into the memfd out, hashing them on the way, through one
 * fixed buffer: no large allocation (whose later unmapping would make the
 * kernel interrupt the worker cores to flush their TLBs). The ELF header
 * and notes are read back from the copy for the build-id.
 */
static int
stream_copy(int in, int out, EVP_MD_CTX *md, size_t *len, const char *path,
	    struct tern_err *err)
{
	static uint8_t buf[1 << 16]; /* control thread only */
	ssize_t r;
	int e;

	*len = 0;
	for (;;) {
		r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			return tern_err_set(err, e, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			return 0;
		*len += (size_t)r;
		if (*len > TERN_APP_IMAGE_MAX)
			return tern_err_set(err, EFBIG, "%s is larger than %u MB", path,
					    TERN_APP_IMAGE_MAX >> 20);
		if (write_all(out, buf, (size_t)r) != 0) {
			e = errno != 0 ? errno : EIO;
			return tern_err_set(err, e, "cannot write the private copy of %s: %s",
					    path, strerror(e));
		}
		if (EVP_DigestUpdate(md, buf, (size_t)r) != 1)
			return tern_err_set(err, EIO, "cannot hash %s (SHA-256)", path);
	}
}

/* The build-id of the copy: its first pages, where headers and notes are. */
static void
copy_build_id(int fd, size_t len, char *out, size_t out_len)
{
	static uint8_t head[1 << 16];
	ssize_t n = pread(fd, head, len < sizeof(head) ? len : sizeof(head), 0);

	out[0] = '\0';
	if (n > 0)
		find_build_id(head, (size_t)n, out, out_len);
}

int
tern_app_image_copy(const char *path, const char *label, struct tern_app_image *img,
		    struct tern_err *err)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	uint64_t t0 = tern_mono_ns();
	EVP_MD_CTX *md = NULL;
	size_t len = 0;
	int in, out = -1, ret, e;

	img->fd = -1;
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		e = errno;
		return tern_err_set(err, e, "cannot open %s: %s", path, strerror(e));
	}
	out = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	md = EVP_MD_CTX_new();
	if (out < 0 || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		e = out < 0 ? errno : ENOMEM;
		ret = tern_err_set(err, e, "cannot make a private copy of %s: %s", path,
				   strerror(e));
		goto fail;
	}
	ret = stream_copy(in, out, md, &len, path, err);
	if (ret < 0)
		goto fail;
	if (fcntl(out, F_ADD_SEALS, SEALS) != 0) {
		e = errno;
		ret = tern_err_set(err, e, "cannot seal the private copy of %s: %s", path,
				   strerror(e));
		goto fail;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32) {
		ret = tern_err_set(err, EIO, "cannot hash %s (SHA-256)", path);
		goto fail;
	}
	hex(digest, 32, img->sha256);
	copy_build_id(out, len, img->build_id, sizeof(img->build_id));
	EVP_MD_CTX_free(md);
	close(in);
	img->fd = out;
	img->size = len;
	clock_gettime(CLOCK_REALTIME, &img->loaded);
	img->copy_ns = tern_mono_ns() - t0;
	return 0;

fail:
	EVP_MD_CTX_free(md);
	if (out >= 0)
		close(out);
	close(in);
	return ret;
}

void
tern_app_image_dl_path(const struct tern_app_image *img, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", img->fd);
}

void
tern_app_image_close(struct tern_app_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}

void
tern_app_image_time(const struct tern_app_image *img, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&img->loaded.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The symbol table section of ELF image b (len bytes) and its string table,
 * all within bounds; false if it has none (a stripped file). */
static bool
find_symtab(const uint8_t *b, size_t len, const Elf64_Shdr **sym, const Elf64_Shdr **str)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
	const Elf64_Shdr *sh;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len || (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
		return false;
	sh = (const Elf64_Shdr *)(b + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		*sym = &sh[i];
		*str = &sh[sh[i].sh_link];
		return sh[i].sh_offset <= len && sh[i].sh_size <= len - sh[i].sh_offset &&
		       (*str)->sh_offset <= len && (*str)->sh_size <= len - (*str)->sh_offset;
	}
	return false;
}

bool
tern_app_image_has_hidden_symbol(const struct tern_app_image *img, const char *name)
{
	const Elf64_Shdr *sym, *str;
	const uint8_t *b;
	bool found = false;

	if (img->fd < 0 || img->size == 0)
		return false;
	b = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, img->fd, 0);
	if (b == MAP_FAILED)
		return false;
	if (find_symtab(b, img->size, &sym, &str)) {
		const Elf64_Sym *s = (const Elf64_Sym *)(b + sym->sh_offset);
		const char *names = (const char *)(b + str->sh_offset);
		size_t n = sym->sh_size / sizeof(*s);

		for (size_t i = 0; i < n && !found; i++)
			found = s[i].st_name < str->sh_size &&
				strnlen(names + s[i].st_name, str->sh_size - s[i].st_name) <
					str->sh_size - s[i].st_name &&
				strcmp(names + s[i].st_name, name) == 0 &&
				(ELF64_ST_BIND(s[i].st_info) == STB_LOCAL ||
				 ELF64_ST_VISIBILITY(s[i].st_other) != STV_DEFAULT);
	}
	munmap((void *)b, img->size);
	return found;
}
