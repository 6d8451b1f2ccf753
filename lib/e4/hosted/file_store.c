/*
 * The atomic file store of hosted systems (POSIX files; split from
 * storage.c so that the core builds for devices without a file system).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- the file store ------------------------------------------------------------ */

/* A fresh, unique temporary file beside the target (so rename is atomic):
 * created exclusively with mode 0600, never through a symlink, and never
 * shared by two writers. */
static int fs_begin(void *ctx)
{
    e4_file_store *fs = ctx;
    if (snprintf(fs->tmp_path, sizeof fs->tmp_path, "%s.XXXXXX", fs->path) >= (int)sizeof fs->tmp_path)
        return -1;
    fs->fd = mkstemp(fs->tmp_path);
    if (fs->fd < 0) {
        fs->tmp_path[0] = 0;
        return -1;
    }
    fcntl(fs->fd, F_SETFD, FD_CLOEXEC);
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
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* fsync the data, rename over the old file, fsync the directory so that the
 * rename itself survives a power cut. */
static int fs_commit(void *ctx)
{
    e4_file_store *fs = ctx;
    int ok = fsync(fs->fd) == 0;
    ok = close(fs->fd) == 0 && ok;
    fs->fd = -1;
    if (!ok || rename(fs->tmp_path, fs->path) != 0) {
        unlink(fs->tmp_path);
        fs->tmp_path[0] = 0;
        return -1;
    }
    fs->tmp_path[0] = 0;
    /* The new state is in place and cannot be rolled back: a failing
     * directory fsync (some file systems refuse it) does not undo it. */
    char dir[sizeof fs->tmp_path];
    snprintf(dir, sizeof dir, "%s", fs->path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

static void fs_abort(void *ctx)
{
    e4_file_store *fs = ctx;
    if (fs->fd >= 0) {
        close(fs->fd);
        fs->fd = -1;
        if (fs->tmp_path[0])
            unlink(fs->tmp_path);
    }
    fs->tmp_path[0] = 0;
}

static long fs_read(void *ctx, void *data, size_t len)
{
    e4_file_store *fs = ctx;
    if (fs->fd < 0) {
        fs->tmp_path[0] = 0; /* reading: abort must not unlink anything */
        fs->fd = open(fs->path, O_RDONLY | O_CLOEXEC);
        if (fs->fd < 0)
            return -1;
    }
    for (;;) {
        ssize_t k = read(fs->fd, data, len);
        if (k < 0 && errno == EINTR)
            continue;
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
