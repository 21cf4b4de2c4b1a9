// The hot kernels live in their own target, the one built with -Ounchecked (Package.swift); every
// user of Linalg sees them as part of it.
@_exported import LinalgKernels
