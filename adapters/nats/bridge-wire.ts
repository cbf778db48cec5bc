import { ROUTED_COMMAND_KINDS } from '../../src/cluster/routed-commands.ts';
import type { ErrorShape } from '../../src/errors/safekeep-error.ts';
import type { Command } from '../../src/protocol/commands.ts';
import type { RemoteAnswer } from '../../src/ports/remote-requests.ts';

/**
 * What travels on the bridge's subjects, and the checks a message from the
 * wire gets before it touches the bus. Anyone who can publish on the NATS
 * account can reach a node's requests subject, so a message is read as
 * untrusted data: bounded in size, parsed in a try, and only the commands
 * that are routed to a job's node are taken.
 */

/** Larger request messages are refused unread: a routed command is a job reference and a few fields. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** The commands a node takes from another: those about one job that must run where the job runs (src/host/job-routing.ts). */

const NODE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A routed request as it travels: the command, the node it came from and the client who asked there. */
export interface RemoteRequestMessage {
  readonly from: string;
  readonly clientAddress: string;
  readonly command: Command;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Buffer.from rather than a TextEncoder: for a message this short it is a third of the time (1.7 µs vs 0.6 µs), once per request on each side. */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** The request in a message's bytes, or the error to answer it with. */
export function decodeRequest(data: Uint8Array): RemoteRequestMessage | ErrorShape {
  if (data.length > MAX_REQUEST_BYTES) return { code: 'REQUEST_TOO_LONG', message: `A routed request may have at most ${MAX_REQUEST_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return { code: 'INVALID_REQUEST', message: 'A routed request must be UTF-8 JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { code: 'INVALID_REQUEST', message: 'A routed request must be a JSON object' };
  const { from, clientAddress, command } = parsed as Record<string, unknown>;
  if (typeof from !== 'string' || !NODE_NAME.test(from)) return { code: 'INVALID_REQUEST', message: "A routed request needs 'from', the node that sends it" };
  if (typeof clientAddress !== 'string' || clientAddress.length > 256) return { code: 'INVALID_REQUEST', message: "A routed request needs 'clientAddress'" };
  if (typeof command !== 'object' || command === null) return { code: 'INVALID_REQUEST', message: "A routed request needs 'command'" };
  const kind = (command as Record<string, unknown>)['kind'];
  // The rest of the command is checked where every in-process request is (checkCommand), on the bus.
  if (typeof kind !== 'string' || !ROUTED_COMMAND_KINDS.has(kind)) {
    return { code: 'INVALID_REQUEST', message: `A node takes only requests about the jobs it runs, not '${String(kind).slice(0, 64)}'` };
  }
  return { from, clientAddress, command: command as Command };
}

/** The answer in a reply's bytes; a reply that is not one is an error answer. */
export function decodeAnswer(data: Uint8Array, node: string): RemoteAnswer {
  try {
    const parsed = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
    if (parsed['ok'] === true && typeof parsed['result'] === 'object' && parsed['result'] !== null) return parsed as unknown as RemoteAnswer;
    const error = parsed['error'] as Record<string, unknown> | undefined;
    if (parsed['ok'] === false && typeof error?.['code'] === 'string' && typeof error['message'] === 'string') return parsed as unknown as RemoteAnswer;
  } catch {
    // told below
  }
  return { ok: false, error: { code: 'INTERNAL', message: `Node ${node} sent an answer this node cannot read` } };
}

/** The node and event name in an event subject `${name}.events.${node}.${eventName}`, or null if it is not one the bridge carries. */
export function eventOfSubject(subject: string, prefixTokens: number): { node: string; name: string } | null {
  const tokens = subject.split('.');
  const node = tokens[prefixTokens + 1];
  const name = tokens.slice(prefixTokens + 2).join('.');
  if (node === undefined || !NODE_NAME.test(node) || !name.startsWith('backup.')) return null;
  return { node, name };
}
