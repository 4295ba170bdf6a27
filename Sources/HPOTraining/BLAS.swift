import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin wrappers over the single-precision OpenBLAS calls the trainers use. Matrices are row-major.
///
/// Single precision: the models are small, and `sgemm` moves half the bytes of `dgemm`, which is what bounds
/// their speed.
///
/// OpenBLAS is loaded at the first call that needs it, not linked: loading it (with libgfortran and libquadmath)
/// and starting its helper threads cost every `hpo` process several milliseconds, and most never call it (the
/// commands that only read or write a study, runs of function trainers). Loading it leaves one thread per call
/// and no helper thread, as `stopHelperThreads` does.
public enum BLAS {
    /// Sets the number of threads OpenBLAS uses per call (process-wide). The trainer pool sets 1: parallelism
    /// comes from running trials side by side.
    public static func setThreadCount(_ count: Int) {
        OpenBLAS.library.setThreads(Int32(max(1, count)))
    }

    public static var threadCount: Int { Int(OpenBLAS.library.threads()) }

    /// One thread per BLAS call (process-wide), set only when the count is not 1 already: setting it again would
    /// restart the helper threads `stopHelperThreads` ended. Before OpenBLAS is loaded there is nothing to do:
    /// loading it sets one thread per call.
    public static func useOneThreadPerCall() {
        guard let library = OpenBLAS.loaded else { return }
        library.useOneThreadPerCall()
    }

    /// One thread per BLAS call, and OpenBLAS's helper threads ended. OpenBLAS starts a helper per core beyond the
    /// first when the library loads, whether or not anything calls it, and an idle helper spins for a while before
    /// it sleeps; with one thread per call they are never used (hpo's parallelism comes from its trainer pool). A
    /// later `setThreadCount` above 1 starts them again. Before OpenBLAS is loaded there is nothing to do: loading
    /// it ends them.
    ///
    /// Only for the start of a process, before any BLAS call: a helper busy with a call of another thread would
    /// never see the request to end. Uses OpenBLAS's `blas_thread_shutdown_` (the call its own fork handler makes)
    /// when the loaded OpenBLAS has it.
    public static func stopHelperThreads() {
        OpenBLAS.loaded?.stopHelperThreads()
    }

    /// Whether OpenBLAS has been loaded into the process.
    public static var isLoaded: Bool { OpenBLAS.loaded != nil }

    /// C = alpha * op(A) * op(B) + beta * C, with op(A) m×k, op(B) k×n, C m×n.
    @inline(__always)
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        OpenBLAS.library.sgemm(
            OpenBLAS.rowMajor, OpenBLAS.transpose(transposeA), OpenBLAS.transpose(transposeB), Int32(m), Int32(n),
            Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha * op(A) * x + beta * y, with A m×n (row-major).
    @inline(__always)
    public static func gemv(
        transpose: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        OpenBLAS.library.sgemv(
            OpenBLAS.rowMajor, OpenBLAS.transpose(transpose), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta,
            y, 1)
    }

    /// y += alpha * x.
    @inline(__always)
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        OpenBLAS.library.saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// x *= alpha.
    @inline(__always)
    public static func scal(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        OpenBLAS.library.sscal(Int32(count), alpha, x, 1)
    }

    /// The product of two row-major matrices given as arrays (a convenience for tests and small uses).
    public static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "matrix sizes do not match")
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                    gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
                }
            }
        }
        return c
    }
}

/// A fixed-size buffer of floats owned by one trainer run (never shared between threads).
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int, value: Float = 0) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    init(_ values: [Float]) {
        count = values.count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    deinit { pointer.deallocate() }

    subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    func copy(from values: [Float]) {
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: min(count, values.count)) }
        }
    }
}
