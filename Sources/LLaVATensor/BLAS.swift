// The one BLAS shim: OpenBLAS's CBLAS on Linux, Accelerate on macOS. Everything else in the
// package calls these two functions, so swapping the backend touches this file only.
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

public enum BLAS {
    /// C (M, N) = alpha * op(A) * op(B) + beta * C, row-major.
    /// op(A) is (M, K): A is (M, K) with lda, or (K, M) when transA.
    /// op(B) is (K, N): B is (K, N) with ldb, or (N, K) when transB.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard M > 0, N > 0 else { return }
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
        cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(M), Int32(N), alpha, A, Int32(lda),
                    x, 1, beta, y, 1)
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
