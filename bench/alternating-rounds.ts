import type { LoadGeneratorProcess } from './load-generator-process.ts';
import { median } from './median.ts';
import { cpuMsOf } from './proc-stats.ts';

/** A server under load: where it listens, its pid (for its CPU time) and the reply line it must give. */
export interface Contender {
  readonly port: number;
  readonly pid: number;
  readonly expectedReply: string;
}

/** The shape of a load: `connections`, each with `depth` requests in flight, sent `depth` at a time. */
export interface LoadShape {
  readonly request: string;
  readonly connections: number;
  readonly depth: number;
}

/** Medians over the rounds, each figure on its own. */
export interface WireFigures {
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  /** Share of one core the server used during its rounds. */
  readonly serverCpu: number;
  /**
   * The server's CPU time per reply (its threads included), in µs: what a request costs it whatever share of the
   * machine it got, so steadier than requests per second on a machine others are using.
   */
  readonly serverCpuUsPerReply: number;
  /** Share of one core the load generator used: near 1 means it, not the server, set the pace. */
  readonly generatorCpu: number;
}

export interface RoundTiming {
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmUpMs: number;
}

type RoundFigures = WireFigures;

async function round(generator: LoadGeneratorProcess, contender: Contender, shape: LoadShape, durationMs: number): Promise<RoundFigures> {
  const serverCpuBefore = await cpuMsOf(contender.pid);
  const started = performance.now();
  const result = await generator.load({ port: contender.port, ...shape, durationMs });
  const elapsedMs = performance.now() - started;
  const serverCpuMs = (await cpuMsOf(contender.pid)) - serverCpuBefore;
  if (result.sample !== contender.expectedReply) {
    throw new Error(`port ${contender.port} answered ${JSON.stringify(result.sample)}, not ${JSON.stringify(contender.expectedReply)}`);
  }
  return {
    requestsPerSecond: result.replies / result.seconds,
    p50Us: result.p50Us,
    // Over the whole round (connecting and draining included): the server's share of the wall time it was driven.
    serverCpu: serverCpuMs / elapsedMs,
    serverCpuUsPerReply: (serverCpuMs * 1_000) / result.replies,
    generatorCpu: result.cpuMs / durationMs,
  };
}

function medians(rounds: readonly RoundFigures[]): WireFigures {
  return {
    requestsPerSecond: median(rounds.map((figures) => figures.requestsPerSecond)),
    p50Us: median(rounds.map((figures) => figures.p50Us)),
    serverCpu: median(rounds.map((figures) => figures.serverCpu)),
    serverCpuUsPerReply: median(rounds.map((figures) => figures.serverCpuUsPerReply)),
    generatorCpu: median(rounds.map((figures) => figures.generatorCpu)),
  };
}

/**
 * The same load on two servers, in alternating rounds with the first to go
 * switching every round, so that whatever else the machine does drifts over
 * both alike; one short warm-up round each first. Returns the medians for
 * [first, second].
 */
export async function alternatingRounds(
  generator: LoadGeneratorProcess,
  [first, second]: readonly [Contender, Contender],
  shape: LoadShape,
  timing: RoundTiming,
): Promise<[WireFigures, WireFigures]> {
  await round(generator, first, shape, timing.warmUpMs);
  await round(generator, second, shape, timing.warmUpMs);
  const ofFirst: RoundFigures[] = [];
  const ofSecond: RoundFigures[] = [];
  for (let index = 0; index < timing.rounds; index++) {
    if (index % 2 === 0) {
      ofFirst.push(await round(generator, first, shape, timing.roundMs));
      ofSecond.push(await round(generator, second, shape, timing.roundMs));
    } else {
      ofSecond.push(await round(generator, second, shape, timing.roundMs));
      ofFirst.push(await round(generator, first, shape, timing.roundMs));
    }
  }
  return [medians(ofFirst), medians(ofSecond)];
}
