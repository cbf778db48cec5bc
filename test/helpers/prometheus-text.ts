import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';

/** One series' sample: its full name (`_bucket`, `_sum`, `_count` for a histogram's), labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Prometheus' text format read by a real parser (parse-prometheus-text-format):
 * `families` as it gives them (name, HELP, TYPE), and every sample with its
 * labels. The parser folds a labelled histogram into one sample without its
 * labels, sum or count, so the samples come from a second parse in which
 * each histogram is declared untyped: its `_bucket`, `_sum` and `_count`
 * lines are then families of their own, each sample with all its labels.
 */
export function readMetrics(text: string): { families: PrometheusFamily[]; samples: Sample[] } {
  const families = parsePrometheusTextFormat(text);
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const samples = parsePrometheusTextFormat(untyped).flatMap((family) =>
    family.metrics.map((metric) => ({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) })),
  );
  return { families, samples };
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none, an error when several match. */
export function valueOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matching = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
