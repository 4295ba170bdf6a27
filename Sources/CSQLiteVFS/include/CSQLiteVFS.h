#ifndef HPO_CSQLITEVFS_H
#define HPO_CSQLITEVFS_H

/// Registers, as SQLite's default, a VFS over the previous default that writes each write-ahead-log frame with one
/// system call instead of two: SQLite writes a frame's 24-byte header, then its page, at the next offset; the
/// header is held back until the page comes and both go out in one write. Every other call on the file (sync,
/// read, lock, size, close, shared memory) first writes a header held back, so what SQLite has written by then is
/// in the file as before, and nothing is held past the page write that follows it. The files are the same byte
/// for byte. On Linux it also asks the kernel to start writing the log's frames to disk each megabyte
/// (sync_file_range, which neither waits nor changes what a sync guarantees), so that the sync of the log at a
/// checkpoint, which the committing write waits for, finds little left to write. Returns 0 (SQLITE_OK) when
/// installed, now or before.
int hpo_install_frame_joining_vfs(void);

/// The VFS's name ("hpo-frames").
const char *hpo_frame_joining_vfs_name(void);

/// How many frames were written joined since the process started.
long long hpo_joined_frame_count(void);

#endif
