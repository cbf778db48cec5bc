import type { Msg, Subscription } from '@nats-io/transport-node';
import type { Subscription as RxSubscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { BusEvent } from '../../src/bus/events.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { NodeUnreachableError } from '../../src/cluster/cluster-errors.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import type { Command } from '../../src/protocol/commands.ts';
import { RequestTimeoutError } from '../../src/protocol/errors.ts';
import type { RemoteAnswer, RemoteJob, RemoteRequests } from '../../src/ports/remote-requests.ts';
import { BridgeOutbox, quietly } from './bridge-outbox.ts';
import { fromNodeAddress } from '../../src/cluster/routed-commands.ts';
import { BridgeReplies, type NoAnswer } from './bridge-replies.ts';
import { decodeAnswer, decodeRequest, encodeJson, eventOfSubject } from './bridge-wire.ts';
import type { NatsLink } from './nats-link.ts';

/** A job's progress goes to the other nodes at most this often: they show it, they do not need every chunk. */
const PROGRESS_EVERY_MS = 1_000;

export interface BusBridgeOptions {
  readonly link: NatsLink;
  readonly name: string;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Where a job this node's catalog does not hold runs: the node registry knows. */
  readonly locate?: (job: string | null) => RemoteJob | null;
}

/**
 * Carries between the nodes of a cluster what they need of each other, over
 * NATS subjects: this node's `backup.*` events (for the others' status) on
 * `${name}.events.${node}.${event}`, which arrive on their buses as
 * `cluster.remote`; and requests about a job, sent to the node that runs it
 * on `${name}.requests.${node}` and handled there as an in-process request
 * (`request.submitted` … `request.settled`) whose answer is the reply.
 * Everything else (requests, the store, connections) stays on the node.
 *
 * @example
 * const bridge = new BusBridge({ link, name: 'safekeep', nodeName: 'b', clock, ids });
 * await bridge.start(bus);
 * const answer = await bridge.send('a', { kind: 'job.pause', job: 'job_1' }, { clientAddress: 'tcp:127.0.0.1:5000', timeoutMs: 5_000 });
 */
export class BusBridge implements RemoteRequests {
  readonly #link: NatsLink;
  readonly #name: string;
  readonly #node: string;
  readonly #clock: Clock;
  readonly #ids: IdSource;
  readonly #locate: (job: string | null) => RemoteJob | null;
  readonly #eventsPrefix: string;
  readonly #prefixTokens: number;
  /** Routed requests being handled here, by the request id they have on this bus: the NATS message to answer. */
  readonly #pending = new Map<string, Msg>();
  readonly #lastProgressAt = new Map<string, number>();
  readonly #subscriptions: Subscription[] = [];
  readonly #busSubscriptions: RxSubscription[] = [];
  readonly #outbox = new BridgeOutbox();
  #replies: BridgeReplies | null = null;
  #requestIdBase = '';
  #requestCount = 0;

  constructor(options: BusBridgeOptions) {
    this.#link = options.link;
    this.#name = options.name;
    this.#node = options.nodeName;
    this.#clock = options.clock;
    this.#ids = options.ids;
    this.#locate = options.locate ?? (() => null);
    this.#eventsPrefix = `${options.name}.events.${options.nodeName}.`;
    this.#prefixTokens = options.name.split('.').length;
  }

  async start(bus: Bus): Promise<void> {
    const connection = this.#link.connection;
    this.#replies = new BridgeReplies(connection, this.#outbox, this.#clock);
    this.#requestIdBase = this.#ids.next('remote');
    this.#busSubscriptions.push(
      bus.events$.subscribe((event) => this.#publish(event)),
      bus.on$('request.settled').subscribe((settled) => {
        const msg = this.#pending.get(settled.requestId);
        if (!msg) return;
        this.#pending.delete(settled.requestId);
        const answer = encodeJson(settled.ok ? { ok: true, result: settled.result } : { ok: false, error: settled.error });
        this.#outbox.send(() => msg.respond(answer), this.#pending.size > 0);
      }),
    );
    this.#subscriptions.push(
      connection.subscribe(`${this.#name}.events.*.>`, {
        callback: (error, msg) => {
          if (!error) this.#received(bus, msg);
        },
      }),
      connection.subscribe(`${this.#name}.requests.${this.#node}`, {
        callback: (error, msg) => {
          if (!error) this.#request(bus, msg);
        },
      }),
    );
    // The subscriptions are live on the server before anyone is told this node is up.
    await connection.flush();
  }

  async send(node: string, command: Command, context: { readonly clientAddress: string; readonly timeoutMs: number }): Promise<RemoteAnswer> {
    const replies = this.#replies;
    if (!replies || !this.#link.connected) throw new NodeUnreachableError(`Node ${node} is not reachable: this node (${this.#node}) has lost its connection to NATS`);
    let reply: Msg;
    try {
      reply = await replies.request(`${this.#name}.requests.${node}`, encodeJson({ from: this.#node, clientAddress: context.clientAddress, command }), context.timeoutMs);
    } catch (reason) {
      throw sendError(reason as NoAnswer, node, context.timeoutMs);
    }
    return decodeAnswer(reply.data, node);
  }

  async locate(job: string | null): Promise<RemoteJob | null> {
    return this.#locate(job);
  }

  async stop(): Promise<void> {
    for (const subscription of this.#busSubscriptions.splice(0)) subscription.unsubscribe();
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
    this.#replies?.close();
    this.#replies = null;
    // Whoever still waits is told now rather than at their time limit.
    for (const msg of this.#pending.values()) {
      quietly(() => msg.respond(encodeJson({ ok: false, error: { code: 'HOST_STOPPED', message: `Node ${this.#node} is stopping; the request may not have finished` } })));
    }
    this.#pending.clear();
    this.#outbox.flush();
  }

  #publish(event: BusEvent): void {
    if (!event.name.startsWith('backup.') || !this.#link.connected) return;
    if (event.name === 'backup.progress') {
      const now = this.#clock.now();
      const last = this.#lastProgressAt.get(event.payload.jobId);
      if (last !== undefined && now - last < PROGRESS_EVERY_MS) return;
      this.#lastProgressAt.set(event.payload.jobId, now);
    }
    quietly(() => this.#link.connection.publish(this.#eventsPrefix + event.name, encodeJson(event.payload)));
  }

  #received(bus: Bus, msg: Msg): void {
    const event = eventOfSubject(msg.subject, this.#prefixTokens);
    if (!event || event.node === this.#node) return;
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      return; // not a node's event: nothing to show
    }
    void bus.emit('cluster.remote', { node: event.node, name: event.name, payload });
  }

  #request(bus: Bus, msg: Msg): void {
    if (!msg.reply) return; // nobody to answer
    const request = decodeRequest(msg.data);
    if (!('command' in request)) {
      quietly(() => msg.respond(encodeJson({ ok: false, error: request })));
      return;
    }
    const requestId = `${this.#requestIdBase}.${++this.#requestCount}`;
    this.#pending.set(requestId, msg);
    this.#outbox.received();
    void bus.emit('request.submitted', { requestId, command: request.command, clientAddress: fromNodeAddress(request.from, request.clientAddress) });
  }
}

function sendError(reason: NoAnswer, node: string, timeoutMs: number): Error {
  switch (reason) {
    case 'no-responders':
      return new NodeUnreachableError(`Node ${node} is not reachable: no safekeep node named ${node} is connected to the cluster`);
    case 'timeout':
      return new RequestTimeoutError(`Node ${node} did not answer within ${timeoutMs} ms; what it started there may still finish`);
    case 'closed':
      return new NodeUnreachableError(`Node ${node} is not reachable: this node's connection to NATS closed`);
  }
}
