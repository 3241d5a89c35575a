// The one BLAS shim: OpenBLAS's CBLAS on Linux, Accelerate on macOS. Everything else in the
// package calls these two functions, so swapping the backend touches this file only.
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

public enum BLAS {
    /// OpenBLAS runs single-threaded; large products are split into one block per core here
    /// instead. Measured on 2 cores: OpenBLAS's own threads synchronise (sched_yield) on every
    /// call and made small training GEMMs 1.4× slower than one thread; splitting ourselves
    /// keeps both cores busy on large products and costs nothing on small ones.
    private static let configured: Void = { setThreads(Int(ProcessInfo.processInfo.environment["LLAVA_BLAS_THREADS"] ?? "1") ?? 1) }()

    /// Products below this many multiply-adds run on the calling thread.
    public static var parallelThreshold = 1 << 20

    /// C (M, N) = alpha * op(A) * op(B) + beta * C, row-major.
    /// op(A) is (M, K): A is (M, K) with lda, or (K, M) when transA.
    /// op(B) is (K, N): B is (K, N) with ldb, or (N, K) when transB.
    /// `parallel: false` keeps the call on this thread (callers that already split work).
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, C: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        guard M > 0, N > 0 else { return }
        _ = configured
        let parts = Parallel.threads
        if parallel, parts > 1, M * N * K >= parallelThreshold, max(M, N) >= 2 * 16 {
            let splitM = M >= N
            Parallel.forEach(parts) { p in
                if splitM {
                    let m0 = M * p / parts, m1 = M * (p + 1) / parts
                    sgemm(transA, transB, m1 - m0, N, K, alpha, transA ? A + m0 : A + m0 * lda, lda, B, ldb, beta, C + m0 * ldc, ldc)
                } else {
                    let n0 = N * p / parts, n1 = N * (p + 1) / parts
                    sgemm(transA, transB, M, n1 - n0, K, alpha, A, lda, transB ? B + n0 * ldb : B + n0, ldb, beta, C + n0, ldc)
                }
            }
        } else {
            sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
        }
    }

    @inline(__always)
    static func sgemm(_ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
                      _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
                      _ C: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }

    /// y (M) = alpha * A (M, N) x (N) + beta * y, row-major; with transA, y (N) = alpha * Aᵀ x (M) + beta * y.
    @inline(__always)
    public static func gemv(
        transA: Bool = false, M: Int, N: Int, alpha: Float = 1, A: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard M > 0, N > 0 else { return }
        _ = configured
        let parts = Parallel.threads
        if !transA, parts > 1, M * N >= 1 << 18 {
            Parallel.forEach(parts) { p in
                let m0 = M * p / parts, m1 = M * (p + 1) / parts
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m1 - m0), Int32(N), alpha, A + m0 * lda, Int32(lda),
                            x, 1, beta, y + m0, 1)
            }
        } else {
            cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(M), Int32(N), alpha, A, Int32(lda),
                        x, 1, beta, y, 1)
        }
    }

    /// The BLAS kernel in use (OpenBLAS's core name, e.g. "Haswell" or "Cooperlake"), for benchmark reports.
    public static var kernelName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "OpenBLAS (unknown core)" }
        return "OpenBLAS " + String(cString: name)
        #endif
    }

    public static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }
}
