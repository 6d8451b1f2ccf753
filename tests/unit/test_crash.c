/*
 * Crash safety of the file store: a process killed (SIGKILL) at any moment
 * while it applies changes leaves a state file that loads, and holds either
 * the state after the last change that completed or the one after the change
 * that was in flight: never something else, never a damaged file.
 *
 * The test forks a child that loads the state from the file store, attaches
 * the store and applies a deterministic sequence of SetTopicKey changes (new
 * topics and rotations; change i is a pure function of the seed and i), each
 * persisted before it returns. Before change i the child publishes
 * started = i, after it completed = i + 1, in shared memory. The parent kills
 * it after a random delay, then checks the file byte for byte against the
 * same sequence replayed in memory without storage, and that it loads.
 * Every other round the child's store is slowed down (random pauses in
 * begin/write/commit, around the real file store's calls) so that kills also
 * land inside writing the temporary file and just before the rename.
 *
 * Environment: E4_CRASH_KILLS (default 300), E4_CRASH_SEED (kill timing;
 * default from the clock, printed), E4_CRASH_MAX_SECONDS (default 45).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <e4/e4.h>

#include "memstore.h"

#define BASE_TIME UINT64_C(1700000000)
#define SEQ_SEED UINT64_C(0x6534637261736821)
#define TOPICS_MAX 64
#define PER_CHILD 100000 /* more than any child lives to apply */

static const e4_limits LIMITS = {TOPICS_MAX, 0, 0};
typedef struct mem {
    _Alignas(8) uint8_t b[E4_STATE_SIZE(TOPICS_MAX, 0, 0)];
} mem;

static char g_dir[256], g_path[300];

/* ---- the deterministic sequence ------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Change i: a topic among a set that grows (so new topics keep appearing for
 * the first few hundred changes, rotations after), a random key. */
static void change(uint64_t i, char topic[32], uint8_t key[32])
{
    uint64_t x = SEQ_SEED ^ (i * UINT64_C(0x9e3779b97f4a7c15));
    uint64_t span = 4 + i / 6;
    if (span > TOPICS_MAX - 4)
        span = TOPICS_MAX - 4;
    snprintf(topic, 32, "crash/topic/%u", (unsigned)(splitmix(&x) % span));
    for (int w = 0; w < 4; w++) {
        uint64_t r = splitmix(&x);
        memcpy(key + 8 * w, &r, 8);
    }
    key[0] |= 1; /* never all zero */
}

static e4_err apply_change(e4_state *s, uint64_t i)
{
    char topic[32];
    uint8_t key[32];
    change(i, topic, key);
    return e4_state_set_topic_key(s, topic, key, BASE_TIME + i);
}

static void serialize(const e4_state *s, memstore *m)
{
    memstore_init(m);
    assert_int_equal(e4_state_save(s, &m->st), E4_OK);
}

/* ---- the child -------------------------------------------------------------- */

typedef struct shared {
    uint64_t started, completed;
} shared;

/* The real file store, with random pauses around its calls. */
typedef struct slow_store {
    e4_storage st;
    e4_file_store *fs;
    uint64_t rng;
} slow_store;

static void pause_a_bit(slow_store *w)
{
    struct timespec ts = {0, (long)(splitmix(&w->rng) % 400) * 1000};
    nanosleep(&ts, NULL);
}
static int ss_begin(void *c)
{
    slow_store *w = c;
    int r = w->fs->storage.begin(w->fs);
    pause_a_bit(w);
    return r;
}
static int ss_write(void *c, const void *d, size_t n)
{
    slow_store *w = c;
    pause_a_bit(w);
    int r = w->fs->storage.write(w->fs, d, n);
    pause_a_bit(w);
    return r;
}
static int ss_commit(void *c)
{
    slow_store *w = c;
    pause_a_bit(w);
    return w->fs->storage.commit(w->fs);
}
static void ss_abort(void *c)
{
    slow_store *w = c;
    w->fs->storage.abort(w->fs);
}
static long ss_read(void *c, void *d, size_t n)
{
    slow_store *w = c;
    return w->fs->storage.read(w->fs, d, n);
}

static _Noreturn void child(volatile shared *sh, uint64_t first, int slow, uint64_t rng)
{
    static mem m;
    e4_file_store fs;
    slow_store ss = {{&ss, ss_begin, ss_write, ss_commit, ss_abort, ss_read}, &fs, rng};
    e4_state *s;
    e4_file_store_init(&fs, g_path);
    if (e4_state_load(&s, m.b, sizeof m.b, &LIMITS, &fs.storage) != E4_OK)
        _exit(3);
    e4_state_set_storage(s, slow ? &ss.st : &fs.storage);
    for (uint64_t i = first; i < first + PER_CHILD; i++) {
        __atomic_store_n(&sh->started, i, __ATOMIC_SEQ_CST);
        if (apply_change(s, i) != E4_OK)
            _exit(2);
        __atomic_store_n(&sh->completed, i + 1, __ATOMIC_SEQ_CST);
    }
    _exit(0);
}

/* ---- the test ----------------------------------------------------------------- */

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = getenv(name);
    return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t read_whole(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s after a kill: %s", path, strerror(errno));
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_kill_during_changes(void **st)
{
    (void)st;
    const unsigned kills = env_uint("E4_CRASH_KILLS", 300);
    const unsigned max_seconds = env_uint("E4_CRASH_MAX_SECONDS", 45);
    unsigned seed = env_uint("E4_CRASH_SEED", (unsigned)time(NULL) ^ (unsigned)getpid());
    print_message("kill timing seed %u (E4_CRASH_SEED to repeat)\n", seed);
    uint64_t rng = seed;

    /* The initial state, on disk and as the expected state in memory. */
    static mem expected_mem, check_mem;
    e4_state *expected;
    uint8_t id[E4_ID_LEN], key[32];
    assert_int_equal(e4_hash_id(id, "crash-client"), E4_OK);
    memset(key, 0x5a, sizeof key);
    assert_int_equal(
        e4_state_init_sk(&expected, expected_mem.b, sizeof expected_mem.b, &LIMITS, id, key),
        E4_OK);
    e4_file_store fs;
    e4_file_store_init(&fs, g_path);
    assert_int_equal(e4_state_save(expected, &fs.storage), E4_OK);

    volatile shared *sh =
        mmap(NULL, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(sh != MAP_FAILED);

    static uint8_t file[16384];
    static memstore want;
    uint64_t j = 0; /* changes the file holds */
    unsigned rounds = 0, in_flight_seen = 0, zero_progress = 0, slow_rounds = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (; rounds < kills && seconds_since(&t0) < max_seconds; rounds++) {
        const int slow = rounds % 2;
        slow_rounds += (unsigned)slow;
        sh->started = sh->completed = j;
        uint64_t child_rng = splitmix(&rng);
        long delay_us = (long)(splitmix(&rng) % 50000); /* 0..50 ms */
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child(sh, j, slow, child_rng);
        struct timespec d = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %u: the child ended by itself (status 0x%x): %s", rounds, status,
                     WIFEXITED(status) && WEXITSTATUS(status) == 2   ? "a change failed"
                     : WIFEXITED(status) && WEXITSTATUS(status) == 3 ? "the state did not load"
                                                                     : "?");
        const uint64_t completed = __atomic_load_n(&sh->completed, __ATOMIC_SEQ_CST);
        const uint64_t started = __atomic_load_n(&sh->started, __ATOMIC_SEQ_CST);
        assert_true(completed >= j && started >= j && started <= completed);
        zero_progress += completed == j;

        /* The file must be the state after `completed` changes, or after one
         * more (the change in flight reached the rename). */
        size_t n = read_whole(g_path, file, sizeof file);
        for (uint64_t i = j; i < completed; i++)
            assert_int_equal(apply_change(expected, i), E4_OK);
        serialize(expected, &want);
        if (n == want.len && memcmp(file, want.buf, n) == 0) {
            j = completed;
        } else {
            assert_int_equal(apply_change(expected, completed), E4_OK);
            serialize(expected, &want);
            if (n != want.len || memcmp(file, want.buf, n) != 0)
                fail_msg(
                    "round %u (%s store, killed after %ld us): the file (%zu bytes) is neither "
                    "the state after change %llu nor after %llu",
                    rounds, slow ? "slowed" : "plain", delay_us, n, (unsigned long long)completed,
                    (unsigned long long)completed + 1);
            assert_true(started == completed); /* only a change that had started */
            j = completed + 1;
            in_flight_seen++;
        }
        /* And it loads, to that state. */
        e4_state *loaded;
        e4_file_store rfs;
        e4_file_store_init(&rfs, g_path);
        assert_int_equal(
            e4_state_load(&loaded, check_mem.b, sizeof check_mem.b, &LIMITS, &rfs.storage), E4_OK);
        static memstore again;
        serialize(loaded, &again);
        assert_int_equal(again.len, n);
        assert_memory_equal(again.buf, file, n);
    }
    double secs = seconds_since(&t0);
    print_message(
        "%u kills in %.1f s (%u with a slowed store): %llu changes applied, %u times the file "
        "held the change in flight, %u rounds without progress; %u topics\n",
        rounds, secs, slow_rounds, (unsigned long long)j, in_flight_seen, zero_progress,
        e4_state_topic_count(expected));
    assert_true(rounds >= (kills < 100 ? kills : 100)); /* enough kills within the time limit */
    assert_true(j > rounds);                            /* the children did make progress */
    munmap((void *)sh, sizeof(shared));
}

static int setup_dir(void **st)
{
    (void)st;
    snprintf(g_dir, sizeof g_dir, "%s/e4-test-crash.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof g_path, "%s/state", g_dir);
    return 0;
}

static int teardown_dir(void **st)
{
    (void)st;
    char p[400];
    snprintf(p, sizeof p, "%s.tmp", g_path); /* a kill may leave the temporary */
    unlink(p);
    unlink(g_path);
    rmdir(g_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_during_changes, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
