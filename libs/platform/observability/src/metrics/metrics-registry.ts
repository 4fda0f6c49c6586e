import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Labels, MetricDef } from './metric-def';
import { registerProcessMetrics } from './process-metrics';

export interface MetricsOptions {
  serviceName: string;
  serviceVersion?: string;
  /** The recorder region the release serves (a `target_info` label). */
  region?: string;
  /** Address of the `GET /metrics` server. */
  host: string;
  /** Its port; 0 = no server (the metrics are still counted, `text()` still works). */
  port: number;
  /** The variable that sets the port, named in the error when it is taken. */
  portVariable?: string;
  /** Told once per metric whose label combinations hit `maxSeries` (an app bug: log it). */
  onSeriesOverflow?: (name: string, maxSeries: number) => void;
  /** Also the process's CPU, memory, heap and event-loop delay (default true). */
  processMetrics?: boolean;
}

/** A counter that only goes up. `n` defaults to 1. */
export interface Counter<L extends string> {
  inc(labels?: Labels<L>, n?: number): void;
}

/** A value set from code (e.g. a time per tenant); `remove` drops a series (a deleted tenant). */
export interface Gauge<L extends string> {
  set(labels: Labels<L>, value: number): void;
  remove(labels: Labels<L>): void;
}

export interface Histogram<L extends string> {
  record(labels: Labels<L>, value: number): void;
}

/** What a callback metric reports at each scrape: one value (no labels) or a value per label set. */
export type Observation<L extends string> = number | Iterable<readonly [Labels<L>, number]>;

/** `GET /metrics` could not be served (the port is taken, the address is not ours…). */
export class MetricsServerError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'MetricsServerError';
  }
}

const OTHER = 'other';
const MAX_LABEL_LENGTH = 128;

interface Series<V> {
  attrs: Attributes;
  value: V;
}

/**
 * The label combinations of one metric, bounded (past `maxSeries` one `other`
 * series takes the rest). A tree of Maps, one level per label, so the hot path
 * is one Map lookup per label value and builds no key string.
 */
class SeriesTable<L extends string, V> {
  readonly series = new Set<Series<V>>();
  private readonly root = new Map<string, unknown>();
  private readonly max: number;
  private single: Series<V> | undefined;
  private other: Series<V> | undefined;
  private warned = false;

  constructor(
    private readonly def: MetricDef<L>,
    private readonly initial: () => V,
    private readonly onOverflow?: (name: string, max: number) => void,
  ) {
    this.max = def.maxSeries ?? 100;
  }

  entry(labels: Labels<L> | undefined): Series<V> {
    const names = this.def.labels;
    if (names.length === 0) return (this.single ??= this.add({}));
    let node: Map<string, unknown> = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const v = labels?.[names[i] as L] ?? '';
      let next = node.get(v) as Map<string, unknown> | undefined;
      if (!next) {
        if (this.series.size >= this.max) return this.overflow();
        next = new Map();
        node.set(v, next);
      }
      node = next;
    }
    const v = labels?.[names[last] as L] ?? '';
    const found = node.get(v) as Series<V> | undefined;
    if (found) return found;
    if (this.series.size >= this.max) return this.overflow();
    const attrs: Attributes = {};
    for (const name of names) attrs[name] = clip(labels?.[name] ?? '');
    const e = this.add(attrs);
    node.set(v, e);
    return e;
  }

  delete(labels: Labels<L>): void {
    const names = this.def.labels;
    if (names.length === 0) {
      if (this.single) this.series.delete(this.single);
      this.single = undefined;
      return;
    }
    let node: Map<string, unknown> | undefined = this.root;
    for (let i = 0; i < names.length - 1 && node; i++) node = node.get(labels[names[i] as L] ?? '') as Map<string, unknown> | undefined;
    const key = labels[names[names.length - 1] as L] ?? '';
    const e = node?.get(key) as Series<V> | undefined;
    if (!e || !node) return;
    node.delete(key);
    this.series.delete(e);
  }

  private add(attrs: Attributes): Series<V> {
    const e = { attrs, value: this.initial() };
    this.series.add(e);
    return e;
  }

  private overflow(): Series<V> {
    if (!this.other) {
      const attrs: Attributes = {};
      for (const name of this.def.labels) attrs[name] = OTHER;
      this.other = this.add(attrs);
    }
    if (!this.warned) {
      this.warned = true;
      this.onOverflow?.(this.def.name, this.max);
    }
    return this.other;
  }
}

function clip(v: string): string {
  return v.length > MAX_LABEL_LENGTH ? v.slice(0, MAX_LABEL_LENGTH) : v;
}

function observeAll<L extends string>(def: MetricDef<L>, result: ObservableResult, o: Observation<L>): void {
  if (typeof o === 'number') {
    if (Number.isFinite(o)) result.observe(o);
    return;
  }
  const max = def.maxSeries ?? 100;
  let n = 0;
  for (const [labels, value] of o) {
    if (n++ >= max) break;
    if (!Number.isFinite(value)) continue;
    const attrs: Attributes = {};
    for (const name of def.labels) attrs[name] = clip(labels[name] ?? '');
    result.observe(value, attrs);
  }
}

/**
 * The app's metrics on the OpenTelemetry metrics SDK, read by the Prometheus
 * exporter: `GET /metrics` on `host:port` (text format), nothing pushed.
 *
 * Counters and settable gauges keep their values in plain Maps (one lookup per
 * `inc`) that the SDK reads as observable instruments at scrape time, so
 * counting on a hot path costs next to nothing; histograms are the SDK's own.
 * Callback metrics (`observe`) read a value the app already has (calls in
 * progress, a stats object) only when Prometheus scrapes.
 */
export class MetricsRegistry {
  private readonly provider: MeterProvider;
  private readonly exporter: PrometheusExporter;
  private readonly meter: Meter;
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  private readonly names = new Set<string>();
  private serving = false;
  private startError: MetricsServerError | undefined;
  private stopped = false;
  private readonly processMetrics: { stop(): void } | undefined;

  constructor(private readonly opts: MetricsOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new RangeError(`metrics port ${opts.port} is not 0-65535`);
    // The exporter's own default (port 0 → 9464, host → all interfaces) is never used: the server starts only in start().
    this.exporter = new PrometheusExporter({ host: opts.host, port: opts.port === 0 ? 1 : opts.port, preventServerStart: true, withoutScopeInfo: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: opts.serviceName,
        ...(opts.serviceVersion ? { [ATTR_SERVICE_VERSION]: opts.serviceVersion } : {}),
        ...(opts.region ? { 'ci.region': opts.region } : {}),
      }),
      readers: [this.exporter],
    });
    this.meter = this.provider.getMeter('ci-connector');
    this.processMetrics = opts.processMetrics === false ? undefined : registerProcessMetrics(this);
  }

  /** `http://host:port/metrics` while serving. */
  get url(): string | undefined {
    return this.serving ? `http://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.opts.port}/metrics` : undefined;
  }

  counter<L extends string>(def: MetricDef<L>): Counter<L> {
    this.claim(def, 'counter');
    const table = new SeriesTable<L, number>(def, () => 0, this.opts.onSeriesOverflow);
    this.meter.createObservableCounter(def.name, { description: def.help, ...(def.unit ? { unit: def.unit } : {}) }).addCallback((result) => {
      for (const s of table.series) result.observe(s.value, s.attrs);
    });
    if (def.labels.length === 0) table.entry(undefined);
    return {
      inc(labels, n = 1) {
        if (n < 0 || !Number.isFinite(n)) return;
        table.entry(labels).value += n;
      },
    };
  }

  gauge<L extends string>(def: MetricDef<L>): Gauge<L> {
    this.claim(def, 'gauge');
    const table = new SeriesTable<L, number>(def, () => 0, this.opts.onSeriesOverflow);
    this.meter.createObservableGauge(def.name, { description: def.help, ...(def.unit ? { unit: def.unit } : {}) }).addCallback((result) => {
      for (const s of table.series) result.observe(s.value, s.attrs);
    });
    return {
      set(labels, value) {
        if (Number.isFinite(value)) table.entry(labels).value = value;
      },
      remove(labels) {
        table.delete(labels);
      },
    };
  }

  histogram<L extends string>(def: MetricDef<L>): Histogram<L> {
    this.claim(def, 'histogram');
    const table = new SeriesTable<L, null>(def, () => null, this.opts.onSeriesOverflow);
    const h = this.meter.createHistogram(def.name, {
      description: def.help,
      ...(def.unit ? { unit: def.unit } : {}),
      ...(def.buckets ? { advice: { explicitBucketBoundaries: [...def.buckets] } } : {}),
    });
    return {
      record(labels, value) {
        if (!Number.isFinite(value)) return;
        h.record(value < 0 ? 0 : value, table.entry(labels).attrs);
      },
    };
  }

  /**
   * A metric whose value the app already holds, read at each scrape: a gauge, or a
   * counter from a running total (e.g. a stats object's `delivered`). The callback
   * may be async (bounded by the caller); one that throws reports nothing that scrape.
   */
  observe<L extends string>(def: MetricDef<L>, read: () => Observation<L> | Promise<Observation<L>>): void {
    this.claim(def, def.kind);
    const options = { description: def.help, ...(def.unit ? { unit: def.unit } : {}) };
    const instrument = def.kind === 'counter' ? this.meter.createObservableCounter(def.name, options) : def.kind === 'gauge' ? this.meter.createObservableGauge(def.name, options) : undefined;
    if (!instrument) throw new TypeError(`${def.name}: a histogram cannot be observed`);
    instrument.addCallback(async (result) => {
      try {
        observeAll(def, result, await read());
      } catch {
        // Nothing this scrape; the next one tries again.
      }
    });
  }

  /** Every metric in Prometheus text format, as `GET /metrics` answers (tests, debugging). */
  async text(): Promise<string> {
    const { resourceMetrics } = await this.exporter.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  /**
   * Serves `GET /metrics` (port 0: does nothing). Rejects with a MetricsServerError
   * naming the address and the variable when it cannot listen (port taken…).
   */
  async start(): Promise<void> {
    if (this.opts.port === 0 || this.serving || this.stopped) return;
    try {
      await this.exporter.startServer();
      this.serving = true;
      this.startError = undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const where = `${this.opts.host}:${this.opts.port}`;
      const variable = this.opts.portVariable ?? 'METRICS_PORT';
      const why =
        code === 'EADDRINUSE'
          ? `the port is in use by another process: set ${variable} to a free port (or 0 to turn metrics off)`
          : code === 'EADDRNOTAVAIL'
            ? 'the address is not one of this host\'s: check METRICS_HOST'
            : code === 'EACCES'
              ? `not allowed to listen there: use a port above 1023 in ${variable}`
              : `${err instanceof Error ? err.message : String(err)} (${variable})`;
      this.startError = new MetricsServerError(`cannot serve metrics on ${where}: ${why}`, code);
      throw this.startError;
    }
  }

  /** For readiness: never unready for metrics; `degraded` with the reason when `GET /metrics` is not served. */
  health(): { ok: true; url?: string; degraded?: true; error?: string; off?: true } {
    if (this.opts.port === 0) return { ok: true, off: true };
    if (this.startError) return { ok: true, degraded: true, error: this.startError.message };
    return { ok: true, ...(this.url ? { url: this.url } : {}) };
  }

  /** Stops the server and the SDK; bounded, never throws. */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.serving = false;
    this.processMetrics?.stop();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.provider.shutdown(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    } catch {
      // The exporter's server was never started, or is closed already.
    } finally {
      clearTimeout(timer);
    }
  }

  private claim(def: MetricDef, kind: MetricDef['kind']): void {
    if (def.kind !== kind) throw new TypeError(`${def.name} is a ${def.kind}, not a ${kind}`);
    if (this.names.has(def.name)) throw new Error(`${def.name} is registered twice`);
    if (def.kind === 'counter' && !def.name.endsWith('_total')) throw new Error(`${def.name}: a counter's name ends in _total`);
    this.names.add(def.name);
  }
}
