import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The OpenBLAS calls hpo uses, found in the shared library when it is first needed (`library`). The entry points
/// are C functions whose enums and integers are C `int`s (`blasint` is 32 bits in the distributions' builds).
struct OpenBLAS: Sendable {
    typealias SGEMM =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
            Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias SGEMV =
        @convention(c) (
            Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
            UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias SAXPY =
        @convention(c) (Int32, Float, UnsafePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32)
        -> Void
    typealias SSCAL = @convention(c) (Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetThreads = @convention(c) () -> Int32
    typealias Shutdown = @convention(c) () -> Int32

    /// `CblasRowMajor`, `CblasNoTrans` and `CblasTrans` of `cblas.h`.
    static let rowMajor: Int32 = 101
    @inline(__always) static func transpose(_ flag: Bool) -> Int32 { flag ? 112 : 111 }

    let sgemm: SGEMM
    let sgemv: SGEMV
    let saxpy: SAXPY
    let sscal: SSCAL
    let setThreads: SetThreads
    let threads: GetThreads
    let shutdown: Shutdown?

    /// The library, loaded by the first use (thread-safe: a static's initialiser runs once). Loading ends the
    /// helper threads the library starts and leaves one thread per call.
    static let library: OpenBLAS = {
        let library = load()
        library.stopHelperThreads()
        isLoaded.store(true, ordering: .releasing)
        return library
    }()

    private static let isLoaded = Atomic<Bool>(false)

    /// The library if something has loaded it already, without loading it.
    static var loaded: OpenBLAS? { isLoaded.load(ordering: .acquiring) ? library : nil }

    /// The names the library goes by: the one the linker records for `-lopenblas` on Linux, then the
    /// development link and the macOS name.
    static let fileNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]

    private static func load() -> OpenBLAS {
        var failures: [String] = []
        for name in fileNames {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                failures.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            if let library = OpenBLAS(handle) { return library }
            failures.append("\(name) lacks a cblas_s* or openblas_*_num_threads function")
        }
        // Not an input error: the machine lacks the library hpo was built for (as a missing link would be).
        fatalError("OpenBLAS cannot be loaded (install libopenblas0): " + failures.joined(separator: "; "))
    }

    private init?(_ handle: UnsafeMutableRawPointer) {
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let sgemm = symbol("cblas_sgemm", as: SGEMM.self), let sgemv = symbol("cblas_sgemv", as: SGEMV.self),
            let saxpy = symbol("cblas_saxpy", as: SAXPY.self), let sscal = symbol("cblas_sscal", as: SSCAL.self),
            let setThreads = symbol("openblas_set_num_threads", as: SetThreads.self),
            let threads = symbol("openblas_get_num_threads", as: GetThreads.self)
        else { return nil }
        (self.sgemm, self.sgemv, self.saxpy, self.sscal) = (sgemm, sgemv, saxpy, sscal)
        (self.setThreads, self.threads) = (setThreads, threads)
        shutdown = symbol("blas_thread_shutdown_", as: Shutdown.self)
    }

    /// One thread per call, set only when the count is not 1 already (setting it restarts ended helpers).
    func useOneThreadPerCall() {
        if threads() != 1 { setThreads(1) }
    }

    func stopHelperThreads() {
        useOneThreadPerCall()
        _ = shutdown?()
    }
}
