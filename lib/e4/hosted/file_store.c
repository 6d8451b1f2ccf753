/*
 * The atomic file store of hosted systems (POSIX files; split from
 * storage.c so that the core builds for devices without a file system).
 *
 * A save writes NAME.e4save-XXXXXX beside NAME, holding an exclusive flock(2)
 * on it until it is renamed over NAME. Such a file that nobody holds locked
 * and that is empty or starts like a state was left by a writer that died
 * (SIGKILL, power cut): it holds keys, and the next load removes it. The
 * distinct infix keeps user files (NAME.backup) out of it.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_INFIX ".e4save-"
#define TMP_SUFFIX_LEN 6 /* mkstemp's XXXXXX */

/* Records "what: path: reason" (errno's text); never anything of the state. */
static void fs_fail(e4_file_store *fs, const char *what, const char *path, int err)
{
    int n = snprintf(fs->error, sizeof fs->error, "%s %s: %s", what, path, strerror(err));
    if (n >= (int)sizeof fs->error) /* a very long path: keep the reason */
        snprintf(fs->error, sizeof fs->error, "%s (path too long to show): %s", what,
                 strerror(err));
}

const char *e4_file_store_error(const e4_file_store *fs)
{
    return fs ? fs->error : "";
}

/* ---- stale temporary files ------------------------------------------------ */

/* name is BASE.e4save-XXXXXX (a temporary of this store). */
static int is_temporary(const char *name, const char *base)
{
    size_t n = strlen(base), i = strlen(TMP_INFIX);
    return strncmp(name, base, n) == 0 && strncmp(name + n, TMP_INFIX, i) == 0 &&
           strlen(name + n + i) == TMP_SUFFIX_LEN;
}

/* Empty, or begins as every saved state does. */
static int looks_like_state(int fd, const struct stat *sb)
{
    char magic[4];
    return sb->st_size == 0 || (pread(fd, magic, 4, 0) == 4 && memcmp(magic, "E4ST", 4) == 0);
}

/* Unlinks name in dir when it is a regular file no live writer has locked. */
static void remove_if_stale(DIR *dir, const char *name)
{
    int fd = openat(dirfd(dir), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
        looks_like_state(fd, &sb) && flock(fd, LOCK_EX | LOCK_NB) == 0)
        (void)unlinkat(dirfd(dir), name, 0);
    close(fd); /* releases the lock */
}

static void remove_stale_temporaries(const char *path)
{
    char d[sizeof((e4_file_store *)0)->tmp_path], b[sizeof d];
    if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d)
        return;
    memcpy(b, d, sizeof b);
    const char *base = basename(b);
    DIR *dir = opendir(dirname(d));
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (is_temporary(e->d_name, base))
            remove_if_stale(dir, e->d_name);
    closedir(dir);
}

/* ---- the file store ------------------------------------------------------------ */

/* A fresh, unique temporary file beside the target (so rename is atomic):
 * created exclusively with mode 0600, never through a symlink, never shared
 * by two writers, and locked while it is being written. */
static int fs_begin(void *ctx)
{
    e4_file_store *fs = ctx;
    fs->error[0] = 0;
    if (snprintf(fs->tmp_path, sizeof fs->tmp_path, "%s" TMP_INFIX "XXXXXX", fs->path) >=
        (int)sizeof fs->tmp_path) {
        fs_fail(fs, "cannot save", fs->path, ENAMETOOLONG);
        fs->tmp_path[0] = 0;
        return -1;
    }
    fs->fd = mkstemp(fs->tmp_path);
    if (fs->fd < 0) {
        fs_fail(fs, "cannot create a temporary file beside", fs->path, errno);
        fs->tmp_path[0] = 0;
        return -1;
    }
    fcntl(fs->fd, F_SETFD, FD_CLOEXEC);
    (void)flock(fs->fd, LOCK_EX); /* just created: nobody else holds it */
    return 0;
}

static int fs_write(void *ctx, const void *data, size_t len)
{
    e4_file_store *fs = ctx;
    const uint8_t *p = data;
    while (len) {
        ssize_t k = write(fs->fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fs_fail(fs, "cannot write", fs->tmp_path, k < 0 ? errno : ENOSPC);
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* fsync the directory so that the rename itself survives a power cut. The
 * new state is in place and cannot be rolled back: a failing directory
 * fsync (some file systems refuse it) does not undo it. */
static void sync_directory(const char *path)
{
    char dir[sizeof((e4_file_store *)0)->tmp_path];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

/* fsync the data, rename over the old file (still locked, so that no load
 * takes it for a stale temporary), close, fsync the directory. */
static int fs_commit(void *ctx)
{
    e4_file_store *fs = ctx;
    int ok = fsync(fs->fd) == 0;
    if (!ok)
        fs_fail(fs, "cannot write", fs->tmp_path, errno);
    else if (!(ok = rename(fs->tmp_path, fs->path) == 0))
        fs_fail(fs, "cannot replace", fs->path, errno);
    if (!ok)
        unlink(fs->tmp_path);
    close(fs->fd);
    fs->fd = -1;
    fs->tmp_path[0] = 0;
    if (ok)
        sync_directory(fs->path);
    return ok ? 0 : -1;
}

static void fs_abort(void *ctx)
{
    e4_file_store *fs = ctx;
    if (fs->fd >= 0) {
        if (fs->tmp_path[0])
            unlink(fs->tmp_path);
        close(fs->fd);
        fs->fd = -1;
    }
    fs->tmp_path[0] = 0;
}

static long fs_read(void *ctx, void *data, size_t len)
{
    e4_file_store *fs = ctx;
    if (fs->fd < 0) {
        fs->tmp_path[0] = 0; /* reading: abort must not unlink anything */
        fs->error[0] = 0;
        remove_stale_temporaries(fs->path);
        fs->fd = open(fs->path, O_RDONLY | O_CLOEXEC);
        if (fs->fd < 0) {
            fs_fail(fs, "cannot open", fs->path, errno);
            return -1;
        }
    }
    for (;;) {
        ssize_t k = read(fs->fd, data, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            fs_fail(fs, "cannot read", fs->path, errno);
        return (long)k;
    }
}

void e4_file_store_init(e4_file_store *fs, const char *path)
{
    memset(fs, 0, sizeof *fs);
    fs->storage = (e4_storage){fs, fs_begin, fs_write, fs_commit, fs_abort, fs_read};
    fs->path = path;
    fs->fd = -1;
}
