import CKernels

/// Which instruction set the C kernels (16-bit matvec, conversions) use on this CPU.
public enum KernelInfo {
    public static var isa: String { String(cString: ck_isa()) }
}
