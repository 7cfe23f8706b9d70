// The GPUs an engine can be modelled on (`engine.gpu`): datasheet figures, each cited.

/// One GPU as the roofline sees it: dense 16-bit compute, memory bandwidth and size, and the
/// link that tensor-parallel all-reduces cross.
public struct GPUSpec: Sendable, Equatable {
    public var name: String
    /// Dense BF16/FP16 tensor FLOP/s (not the 2:4-sparse figure some peers quote).
    public var flops: Double
    /// Memory bandwidth, bytes/s.
    public var memoryBandwidth: Double
    /// Memory, GiB (HBM sizes are binary: an "80 GB" A100 has 81,920 MiB).
    public var memoryGiB: Double
    /// GPU-to-GPU bandwidth, bytes/s, both directions together (NVLink's quoted figure; a PCIe
    /// x16 link's 64 GB/s for cards without NVLink), and its name.
    public var interconnect: Double
    public var interconnectName: String
    public var source: String
    /// Dense FP8 tensor FLOP/s (half the datasheets' "with sparsity" figure); nil for a GPU
    /// without FP8 tensor cores (an A100), on which FP8 weights are dequantized to 16 bits
    /// (vLLM's weight-only FP8 Marlin kernels) and multiply at `flops`.
    public var fp8Flops: Double?

    public init(name: String, flops: Double, memoryBandwidth: Double, memoryGiB: Double, interconnect: Double, interconnectName: String, source: String,
                fp8Flops: Double? = nil) {
        self.name = name
        self.fp8Flops = fp8Flops
        self.flops = flops
        self.memoryBandwidth = memoryBandwidth
        self.memoryGiB = memoryGiB
        self.interconnect = interconnect
        self.interconnectName = interconnectName
        self.source = source
    }

    /// The bundled catalogue. Compute, bandwidth and memory: `../shared/reference/llm-landscape.md`
    /// §5 (datasheets, dense figures); links: the vendors' datasheets.
    public static let catalogue: [GPUSpec] = [
        GPUSpec(name: "a100-80g", flops: 312e12, memoryBandwidth: 2.039e12, memoryGiB: 80, interconnect: 600e9, interconnectName: "NVLink 3",
                source: "NVIDIA A100 80GB SXM datasheet: 312 TFLOP/s dense BF16, 2,039 GB/s HBM2e, 80 GB, NVLink 600 GB/s"),
        GPUSpec(name: "a100-40g", flops: 312e12, memoryBandwidth: 1.555e12, memoryGiB: 40, interconnect: 600e9, interconnectName: "NVLink 3",
                source: "NVIDIA A100 40GB SXM datasheet: 312 TFLOP/s dense BF16, 1,555 GB/s HBM2, 40 GB, NVLink 600 GB/s (AWS p4d.24xlarge's GPU)"),
        GPUSpec(name: "h100-sxm", flops: 989e12, memoryBandwidth: 3.35e12, memoryGiB: 80, interconnect: 900e9, interconnectName: "NVLink 4",
                source: "NVIDIA H100 SXM datasheet: 989 TFLOP/s dense BF16 (1,979 with sparsity), FP8 3,958 with sparsity, 3.35 TB/s HBM3, 80 GB, NVLink 900 GB/s",
                fp8Flops: 1979e12),
        GPUSpec(name: "h200", flops: 989e12, memoryBandwidth: 4.8e12, memoryGiB: 141, interconnect: 900e9, interconnectName: "NVLink 4",
                source: "NVIDIA H200 SXM datasheet: 989 TFLOP/s dense BF16, FP8 3,958 with sparsity, 4.8 TB/s HBM3e, 141 GB, NVLink 900 GB/s",
                fp8Flops: 1979e12),
        GPUSpec(name: "l40s", flops: 362.05e12, memoryBandwidth: 0.864e12, memoryGiB: 48, interconnect: 64e9, interconnectName: "PCIe Gen4 x16",
                source: "NVIDIA L40S datasheet: 362.05 TFLOP/s dense BF16 (733 with sparsity), FP8 1,466 with sparsity, 864 GB/s GDDR6, 48 GB, PCIe Gen4 x16 64 GB/s (no NVLink)",
                fp8Flops: 733e12),
        GPUSpec(name: "l4", flops: 121e12, memoryBandwidth: 0.300e12, memoryGiB: 24, interconnect: 64e9, interconnectName: "PCIe Gen4 x16",
                source: "NVIDIA L4 datasheet: 121 TFLOP/s dense BF16 (242 with sparsity), FP8 485 with sparsity, 300 GB/s GDDR6, 24 GB, PCIe Gen4 x16 64 GB/s (no NVLink)",
                fp8Flops: 242.5e12),
        GPUSpec(name: "mi300x", flops: 1307.4e12, memoryBandwidth: 5.3e12, memoryGiB: 192, interconnect: 896e9, interconnectName: "Infinity Fabric",
                source: "AMD Instinct MI300X data sheet: 1,307.4 TFLOP/s dense BF16 (2,614.9 with sparsity), FP8 2,614.9 dense, 5.3 TB/s HBM3, 192 GB, 7 Infinity Fabric links × 128 GB/s = 896 GB/s",
                fp8Flops: 2614.9e12),
        GPUSpec(name: "b200", flops: 2250e12, memoryBandwidth: 7.7e12, memoryGiB: 180, interconnect: 1800e9, interconnectName: "NVLink 5",
                source: "NVIDIA HGX B200 (1 kW) datasheet: 2,250 TFLOP/s dense BF16 (4,500 with sparsity), FP8 4,500 dense, 7.7 TB/s HBM3e and 180 GB usable (AIConfigurator b200_sxm.yaml), NVLink 1.8 TB/s",
                fp8Flops: 4500e12),
    ]

    public static func named(_ name: String) -> GPUSpec? {
        catalogue.first { $0.name == name }
    }
}
