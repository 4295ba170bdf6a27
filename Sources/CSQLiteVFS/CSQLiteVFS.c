#define _GNU_SOURCE
#include "CSQLiteVFS.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How many bytes of log frames are written before the kernel is asked to start writing them to disk. */
#define WRITEBACK_BYTES (1 << 20)

/* See CSQLiteVFS.h. A file of this VFS is its own header followed by the previous default VFS's file. */

typedef struct JoiningFile {
    sqlite3_file base;        /* our methods */
    sqlite3_file *real;       /* the default VFS's file, allocated right after this struct */
    int isWAL;
    int pendingLength;        /* 0: nothing pending */
    sqlite3_int64 pendingOffset;
    unsigned char pending[32];
    int writebackFD;          /* the log opened again, read-only, to start writeback; -1 without one */
    sqlite3_int64 unstartedStart, unstartedEnd; /* frames written whose writeback is not started */
    unsigned char *joined;    /* buffer for header + page */
    int joinedCapacity;
} JoiningFile;

static long long joinedFrames;

static sqlite3_vfs *realVFS;
static sqlite3_vfs joiningVFS;
/* The same calls at each io_methods version, so that SQLite calls no method the underlying file lacks. */
static sqlite3_io_methods joiningMethods[3];

/* Starts the kernel's writeback of the log frames written since the last start, once they are WRITEBACK_BYTES:
 * without waiting, and changing nothing of what a sync guarantees, it leaves less to the sync at the next
 * checkpoint, which a commit waits for. */
static void noteFrameWritten(JoiningFile *f, sqlite3_int64 start, int length) {
#ifdef __linux__
    if (f->writebackFD < 0) return;
    if (start != f->unstartedEnd) f->unstartedStart = start; /* the log restarted, or a first frame */
    f->unstartedEnd = start + length;
    if (f->unstartedEnd - f->unstartedStart >= WRITEBACK_BYTES) {
        sync_file_range(f->writebackFD, f->unstartedStart, f->unstartedEnd - f->unstartedStart,
                        SYNC_FILE_RANGE_WRITE);
        f->unstartedStart = f->unstartedEnd;
    }
#else
    (void)f; (void)start; (void)length;
#endif
}

static int flushPending(JoiningFile *f) {
    if (f->pendingLength == 0) return SQLITE_OK;
    int length = f->pendingLength;
    f->pendingLength = 0;
    return f->real->pMethods->xWrite(f->real, f->pending, length, f->pendingOffset);
}

#define FLUSH_OR_RETURN(f) do { int rc_ = flushPending(f); if (rc_ != SQLITE_OK) return rc_; } while (0)

static int cClose(sqlite3_file *file) {
    JoiningFile *f = (JoiningFile *)file;
    int rc = flushPending(f);
    int rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    free(f->joined);
    f->joined = 0;
    if (f->writebackFD >= 0) close(f->writebackFD); /* SQLite holds no POSIX lock on a log file */
    f->writebackFD = -1;
    return rc != SQLITE_OK ? rc : rc2;
}

static int cWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset) {
    JoiningFile *f = (JoiningFile *)file;
    if (f->isWAL) {
        if (f->pendingLength == 0 && amount == 24) {
            memcpy(f->pending, buffer, 24);
            f->pendingLength = 24;
            f->pendingOffset = offset;
            return SQLITE_OK;
        }
        if (f->pendingLength > 0 && offset == f->pendingOffset + f->pendingLength) {
            int total = f->pendingLength + amount;
            if (total > f->joinedCapacity) {
                unsigned char *grown = realloc(f->joined, (size_t)total);
                if (!grown) {
                    FLUSH_OR_RETURN(f);
                    return f->real->pMethods->xWrite(f->real, buffer, amount, offset);
                }
                f->joined = grown;
                f->joinedCapacity = total;
            }
            memcpy(f->joined, f->pending, (size_t)f->pendingLength);
            memcpy(f->joined + f->pendingLength, buffer, (size_t)amount);
            sqlite3_int64 start = f->pendingOffset;
            f->pendingLength = 0;
            __atomic_fetch_add(&joinedFrames, 1, __ATOMIC_RELAXED);
            int rc = f->real->pMethods->xWrite(f->real, f->joined, total, start);
            if (rc == SQLITE_OK) noteFrameWritten(f, start, total);
            return rc;
        }
    }
    FLUSH_OR_RETURN(f);
    return f->real->pMethods->xWrite(f->real, buffer, amount, offset);
}

/* A method that writes a held-back header, then calls the underlying file's. */
#define FORWARD(name, method, parameters, arguments)                                                        \
    static int name parameters {                                                                           \
        JoiningFile *f = (JoiningFile *)file;                                                              \
        FLUSH_OR_RETURN(f);                                                                                \
        return f->real->pMethods->method arguments;                                                        \
    }

FORWARD(cTruncate, xTruncate, (sqlite3_file *file, sqlite3_int64 size), (f->real, size))
FORWARD(cSync, xSync, (sqlite3_file *file, int flags), (f->real, flags))
FORWARD(cFileSize, xFileSize, (sqlite3_file *file, sqlite3_int64 *size), (f->real, size))
FORWARD(cLock, xLock, (sqlite3_file *file, int level), (f->real, level))
FORWARD(cUnlock, xUnlock, (sqlite3_file *file, int level), (f->real, level))
FORWARD(cCheckReservedLock, xCheckReservedLock, (sqlite3_file *file, int *out), (f->real, out))
FORWARD(cFileControl, xFileControl, (sqlite3_file *file, int op, void *arg), (f->real, op, arg))
FORWARD(cRead, xRead, (sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset),
        (f->real, buffer, amount, offset))

static int cSectorSize(sqlite3_file *file) {
    JoiningFile *f = (JoiningFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}
static int cDeviceCharacteristics(sqlite3_file *file) {
    JoiningFile *f = (JoiningFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}
FORWARD(cShmMap, xShmMap, (sqlite3_file *file, int page, int size, int extend, void volatile **out),
        (f->real, page, size, extend, out))
FORWARD(cShmLock, xShmLock, (sqlite3_file *file, int offset, int n, int flags), (f->real, offset, n, flags))
static void cShmBarrier(sqlite3_file *file) {
    JoiningFile *f = (JoiningFile *)file;
    flushPending(f);
    f->real->pMethods->xShmBarrier(f->real);
}
FORWARD(cShmUnmap, xShmUnmap, (sqlite3_file *file, int deleteFlag), (f->real, deleteFlag))
FORWARD(cFetch, xFetch, (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out), (f->real, offset, amount, out))
FORWARD(cUnfetch, xUnfetch, (sqlite3_file *file, sqlite3_int64 offset, void *pointer), (f->real, offset, pointer))

static int cOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    JoiningFile *f = (JoiningFile *)file;
    memset(f, 0, sizeof(*f));
    f->writebackFD = -1;
    f->real = (sqlite3_file *)(f + 1);
    int rc = realVFS->xOpen(realVFS, name, f->real, flags, outFlags);
    if (f->real->pMethods == 0) {
        /* SQLite closes a file whose open set methods, failed or not: ours forward the close. */
        file->pMethods = 0;
        return rc;
    }
    f->isWAL = (flags & SQLITE_OPEN_WAL) != 0;
#ifdef __linux__
    if (f->isWAL && name) f->writebackFD = open(name, O_RDONLY | O_CLOEXEC);
#endif
    int version = f->real->pMethods->iVersion;
    file->pMethods = &joiningMethods[(version < 1 ? 1 : version > 3 ? 3 : version) - 1];
    return rc;
}

static int cDelete(sqlite3_vfs *v, const char *n, int s) { (void)v; return realVFS->xDelete(realVFS, n, s); }
static int cAccess(sqlite3_vfs *v, const char *n, int fl, int *o) { (void)v; return realVFS->xAccess(realVFS, n, fl, o); }
static int cFullPathname(sqlite3_vfs *v, const char *n, int l, char *o) { (void)v; return realVFS->xFullPathname(realVFS, n, l, o); }
static void *cDlOpen(sqlite3_vfs *v, const char *n) { (void)v; return realVFS->xDlOpen(realVFS, n); }
static void cDlError(sqlite3_vfs *v, int l, char *o) { (void)v; realVFS->xDlError(realVFS, l, o); }
static void (*cDlSym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return realVFS->xDlSym(realVFS, h, s); }
static void cDlClose(sqlite3_vfs *v, void *h) { (void)v; realVFS->xDlClose(realVFS, h); }
static int cRandomness(sqlite3_vfs *v, int l, char *o) { (void)v; return realVFS->xRandomness(realVFS, l, o); }
static int cSleep(sqlite3_vfs *v, int us) { (void)v; return realVFS->xSleep(realVFS, us); }
static int cCurrentTime(sqlite3_vfs *v, double *o) { (void)v; return realVFS->xCurrentTime(realVFS, o); }
static int cGetLastError(sqlite3_vfs *v, int l, char *o) { (void)v; return realVFS->xGetLastError(realVFS, l, o); }
static int cCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *o) { (void)v; return realVFS->xCurrentTimeInt64(realVFS, o); }
static int cSetSystemCall(sqlite3_vfs *v, const char *n, sqlite3_syscall_ptr p) { (void)v; return realVFS->xSetSystemCall(realVFS, n, p); }
static sqlite3_syscall_ptr cGetSystemCall(sqlite3_vfs *v, const char *n) { (void)v; return realVFS->xGetSystemCall(realVFS, n); }
static const char *cNextSystemCall(sqlite3_vfs *v, const char *n) { (void)v; return realVFS->xNextSystemCall(realVFS, n); }

const char *hpo_frame_joining_vfs_name(void) { return "hpo-frames"; }

long long hpo_joined_frame_count(void) { return __atomic_load_n(&joinedFrames, __ATOMIC_RELAXED); }

int hpo_install_frame_joining_vfs(void) {
    if (realVFS) return SQLITE_OK;
    sqlite3_vfs *found = sqlite3_vfs_find(0);
    if (!found || found->iVersion < 3) return SQLITE_ERROR;
    for (int index = 0; index < 3; index++) {
        joiningMethods[index] = (sqlite3_io_methods){
            index + 1, cClose, cRead, cWrite, cTruncate, cSync, cFileSize, cLock, cUnlock, cCheckReservedLock,
            cFileControl, cSectorSize, cDeviceCharacteristics, cShmMap, cShmLock, cShmBarrier, cShmUnmap, cFetch,
            cUnfetch};
    }
    joiningVFS = *found;
    joiningVFS.szOsFile = (int)sizeof(JoiningFile) + found->szOsFile;
    joiningVFS.zName = hpo_frame_joining_vfs_name();
    joiningVFS.pAppData = 0;
    joiningVFS.xOpen = cOpen; joiningVFS.xDelete = cDelete; joiningVFS.xAccess = cAccess;
    joiningVFS.xFullPathname = cFullPathname; joiningVFS.xDlOpen = cDlOpen; joiningVFS.xDlError = cDlError;
    joiningVFS.xDlSym = cDlSym; joiningVFS.xDlClose = cDlClose; joiningVFS.xRandomness = cRandomness;
    joiningVFS.xSleep = cSleep; joiningVFS.xCurrentTime = cCurrentTime; joiningVFS.xGetLastError = cGetLastError;
    joiningVFS.xCurrentTimeInt64 = cCurrentTimeInt64; joiningVFS.xSetSystemCall = cSetSystemCall;
    joiningVFS.xGetSystemCall = cGetSystemCall; joiningVFS.xNextSystemCall = cNextSystemCall;
    realVFS = found;
    return sqlite3_vfs_register(&joiningVFS, 1);
}
