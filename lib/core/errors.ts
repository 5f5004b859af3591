// Typed errors. Native code raises them with a `code`; the addon creates them directly as these
// classes (see setErrorClasses in native.ts), so `instanceof ShapeError` works on any op.
export class NnlabError extends Error {
  readonly code: string;
  constructor(message: string, code = 'ERR_NNLAB') {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

export class ShapeError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_SHAPE');
  }
}
export class DTypeError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_DTYPE');
  }
}
export class DeviceError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_DEVICE');
  }
}
export class ArgumentError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_ARGUMENT');
  }
}
export class IndexOutOfRangeError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_INDEX');
  }
}
export class ValueError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_VALUE');
  }
}
export class DisposedError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_DISPOSED');
  }
}
export class IOError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_IO');
  }
}
export class OutOfMemoryError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_OUT_OF_MEMORY');
  }
}
export class InternalError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_INTERNAL');
  }
}
export class LoadError extends NnlabError {
  constructor(message: string) {
    super(message, 'ERR_LOAD');
  }
}

export const errorClassesByCode = {
  ERR_SHAPE: ShapeError,
  ERR_DTYPE: DTypeError,
  ERR_DEVICE: DeviceError,
  ERR_ARGUMENT: ArgumentError,
  ERR_INDEX: IndexOutOfRangeError,
  ERR_VALUE: ValueError,
  ERR_DISPOSED: DisposedError,
  ERR_IO: IOError,
  ERR_OUT_OF_MEMORY: OutOfMemoryError,
  ERR_INTERNAL: InternalError,
} as const;
