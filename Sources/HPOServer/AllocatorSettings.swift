#if canImport(Glibc)
    import Glibc
#endif

/// How the daemon sets up the C allocator, so that its memory stays flat while it serves many trials.
enum AllocatorSettings {
    /// The size from which glibc serves a block with its own `mmap` and unmaps it when freed.
    static let mmapThreshold: Int32 = 128 * 1024

    /// Fixes glibc's mmap threshold at `mmapThreshold`. By default glibc raises the threshold to the size of each
    /// large block freed, after which such blocks come from its per-thread arenas, which keep their high-water
    /// mark. The daemon's short-lived large blocks (a study's history copied when a trial changes while a request
    /// reads it, whose size grows with the study) then ratcheted its resident memory up by about a kilobyte per
    /// trial, though its live heap grew by a tenth of that (measured with `scripts/bench_server.py` and
    /// heaptrack). A fixed threshold returns every large block to the system when it is freed. Returns whether
    /// the setting was applied (false outside glibc).
    @discardableResult
    static func apply() -> Bool {
        #if canImport(Glibc)
            // `mallopt` is declared in <malloc.h>, which the Glibc module does not export: look it up by name.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            /// `M_MMAP_THRESHOLD` in <malloc.h>.
            let mmapThresholdParameter: Int32 = -3
            return mallopt(mmapThresholdParameter, mmapThreshold) == 1
        #else
            return false
        #endif
    }
}
