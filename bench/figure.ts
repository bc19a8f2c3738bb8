/** A target a figure is held to: at least (>=) or at most (<=) the value. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** One measured figure of a benchmark, with its target when the project has one. */
export interface Figure {
  /** What was measured, e.g. "speed layer, Kafka -> PostgreSQL views". */
  readonly name: string;
  /** The measurement (a string for descriptions such as where services came from). */
  readonly value: number | string;
  /** events/s, ms, s, ... */
  readonly unit?: string;
  readonly target?: Target;
  /** Context a reader needs: sample size, CPU time, load. */
  readonly note?: string;
}

/** Whether the figure meets its target; undefined when it has none (or is no number). */
export function meetsTarget(f: Figure): boolean | undefined {
  if (f.target === undefined || typeof f.value !== 'number') return undefined;
  return f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value;
}
