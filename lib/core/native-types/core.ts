// Typed surface of native/binding/ops_core.cpp.
export type DType = 'float32' | 'int32' | 'uint8';
export type DeviceName = 'cpu' | 'cuda';
export type NativeTypedArray = Float32Array | Int32Array | Uint8Array;

/** A native tensor handle. Once disposed it answers `disposed` and `device` only: the rest throws DisposedError. */
export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: DType;
  readonly device: DeviceName | 'disposed';
  readonly numel: number;
  readonly disposed: boolean;
  dispose(): void;
  sharesStorageWith(other: NativeTensor): boolean;
  /** Whether the storage counts as V8 external memory (GC pressure); on by default. */
  reportMemory(on: boolean): void;
}

export interface CoreOps {
  /** While on, new handles are not reported to V8 as external memory (a tidy() scope owns them). */
  setTensorsScoped(on: boolean): void;
  /** Native handles neither disposed nor finalised yet, in this process (a diagnostic for the memory tests). */
  liveTensorHandles(): number;
  setErrorClasses(classes: Record<string, new (message: string) => Error>): void;
  fromTypedArray(data: NativeTypedArray, shape: number[], device?: DeviceName): NativeTensor;
  toTypedArray(t: NativeTensor): NativeTypedArray;
  full(shape: number[], value: number, dtype: DType, device: DeviceName): NativeTensor;
  arange(n: number, start: number, step: number, device: DeviceName): NativeTensor;
  reshape(t: NativeTensor, shape: number[]): NativeTensor;
  clone(t: NativeTensor): NativeTensor;
  /**
   * t's values in storage no other tensor uses: t's own storage when it is the only user (dispose
   * t next; with `adopt`, t itself is returned, to keep), else a copy.
   */
  takeOrClone(t: NativeTensor, adopt?: boolean): NativeTensor;
  copyInto(dst: NativeTensor, src: NativeTensor): void;
  cast(t: NativeTensor, dtype: DType, scale?: number): NativeTensor;
  /** float32 of x's shape: table[x[i]] for uint8 x and a float32 table of 256 values. */
  byteTable(x: NativeTensor, table: NativeTensor): NativeTensor;
  toDevice(t: NativeTensor, device: DeviceName): NativeTensor;
  stridedCopy(src: NativeTensor, shape: number[], srcStrides: number[], srcOffset: number): NativeTensor;
  stridedCopy(
    src: NativeTensor,
    shape: number[],
    srcStrides: number[],
    srcOffset: number,
    dst: NativeTensor,
    dstStrides: number[],
    dstOffset: number,
  ): void;
  rand(
    kind: 'uniform' | 'normal' | 'bernoulli',
    shape: number[],
    seed: number | bigint,
    offset: number | bigint,
    p1: number,
    p2: number | undefined,
    device: DeviceName,
  ): NativeTensor;
  randPermutation(n: number, seed: number | bigint, offset: number | bigint, device: DeviceName): NativeTensor;
  /** Philox blocks a fill of n elements consumes: generators advance their offset by this. */
  philoxBlocks(n: number): number;
  /** The SIMD kernels in use ('avx512' | 'avx2' | 'generic', after NNLAB_DISABLE_*) and what the CPU supports. */
  cpuIsa(): { kernels: 'avx512' | 'avx2' | 'generic'; avx2: boolean; avx512: boolean };
  nativeFlags(): {
    flags: Record<string, string>;
    convAlgorithms: { name: string; forward: number; backwardInput: number; backwardWeight: number }[];
  };
  numThreads(): number;
  setNumThreads(n: number): void;
  cudaStatus(): { available: boolean; reason: string; name: string };
  /**
   * Bytes of freed large CPU buffers kept for reuse (at most NNLAB_CPU_CACHE_MB, default 1024), and
   * the large-buffer arena's bytes in use, their peak (since the start or the last resetPeak) and
   * the address range carved so far: its high-water mark (null where no arena could be reserved).
   */
  cpuCache(o?: { resetPeak?: boolean }): {
    cachedBytes: number;
    arena: { usedBytes: number; peakUsedBytes: number; carvedBytes: number } | null;
  };
  /** Returns the cached CPU buffers to the system allocator. */
  releaseCpuCache(): void;
}
