/**
 * One metric as Prometheus shows it. The catalogue (catalogue.ts) holds every
 * definition the apps register; the dashboard and its test read the same list.
 */
export interface MetricDef<L extends string = string> {
  /** The exposed name: counters end in `_total`, histograms get `_bucket`, `_sum`, `_count`. */
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** Label names. Small, bounded value sets only: never a call id, a user or a seller. */
  readonly labels: readonly L[];
  /** UCUM-ish unit for the `# UNIT` line (`s`, `By`, `1`); the name already says it. */
  readonly unit?: string;
  /** Histogram bucket upper bounds. */
  readonly buckets?: readonly number[];
  /**
   * At most this many label combinations (default 100): past it, new combinations are
   * counted in one series whose every label is `other`, so a bug cannot blow up Prometheus.
   */
  readonly maxSeries?: number;
}

/** Label values of a metric, by label name. */
export type Labels<L extends string> = { readonly [K in L]: string };

/** Declares a metric with its label names inferred (`metric({ …, labels: ['outcome'] })` → MetricDef<'outcome'>). */
export function metric<const L extends string = never>(def: MetricDef<L>): MetricDef<L> {
  return def;
}

/** The series names Prometheus stores for a definition (a histogram's three). */
export function seriesNames(def: Pick<MetricDef, 'name' | 'kind'>): string[] {
  return def.kind === 'histogram' ? [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`] : [def.name];
}
