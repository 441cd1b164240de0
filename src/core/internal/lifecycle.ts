/**
 * The one owner of a bridge's shutdown state. Admission (refuses new clients), the bridge (refuses
 * new streams) and readiness (answers `draining`) all read this object, so a drain started in one
 * place is seen everywhere at once; there is no way back.
 */
export interface Lifecycle {
  /** True once {@link startDraining} was called. */
  readonly draining: boolean;
  /** Refuse new clients and streams from now on (graceful shutdown); running ones go on. */
  startDraining(): void;
}

/** A lifecycle that is not draining yet. */
export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
  };
}
