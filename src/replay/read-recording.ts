import { SafekeepError } from '../errors/safekeep-error.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import { RECORDING_FORMAT, type RecordedStep, type RecordingEnd, type RecordingHeader } from './recording.ts';

/** The file is not a safekeep recording, or is damaged. */
export class RecordingFormatError extends SafekeepError {
  readonly code = 'RECORDING_INVALID';
}

export interface Recording {
  readonly header: RecordingHeader;
  /** Each step with its line exactly as recorded, which is what a replay's step is compared with. */
  readonly steps: readonly { readonly step: RecordedStep; readonly line: string }[];
  /** Whether the recording ends with its host's normal stop; one cut short by a crash does not. */
  readonly complete: boolean;
}

const STEP_KINDS = new Set(['event', 'id', 'timer', 'call', 'result']);

/** Parses a recording; a damaged line is an error naming it (a recording cut short by a crash ends cleanly at its last full line). */
export function readRecording(text: string): Recording {
  const { header, lines, complete } = splitRecording(text);
  const steps = lines.map((line, index) => ({ step: parseStepLine(line, index + 1), line }));
  return { header, steps, complete };
}

/** A recording's header, its step lines (not parsed yet) and whether it ends with its host's normal stop. */
export function splitRecording(text: string): { readonly header: RecordingHeader; readonly lines: readonly string[]; readonly complete: boolean } {
  const lines = text.split('\n');
  // What follows the last line end is empty, or a line a crash cut short: either way not a step.
  lines.pop();
  const header = parseLine(lines[0] ?? '', 1) as Partial<RecordingHeader>;
  if (header.format !== RECORDING_FORMAT || typeof header.startedAt !== 'number' || typeof header.host !== 'object') {
    throw new RecordingFormatError(`line 1 is not a ${RECORDING_FORMAT} header`);
  }
  // Before the socket put a read's requests on the bus as one event, each request was its own `request.received`.
  if (text.includes('"name":"request.received"')) {
    throw new RecordingFormatError('it was made by an older safekeep, whose socket sent one event per request (request.received); replay it with the version that made it');
  }
  // Before replies said what they answered (for metrics), a reply.ready had no `outcome`: a replay's would differ at the first.
  const firstReply = lines.find((line) => line.includes('"name":"reply.ready"'));
  if (firstReply !== undefined && !firstReply.includes('"outcome":{')) {
    throw new RecordingFormatError('it was made by an older safekeep, whose replies did not say their outcome (reply.ready without outcome); replay it with the version that made it');
  }
  // Before an entry was added from what the node held (a read with allowStale, then a conditional write), its reads
  // went behind the cluster's read barrier: a replay's would differ at the first add. An add is the one batch that
  // puts the user record and then the new entry; any recording made since has an allowStale read before its first.
  if (lines.some(isEntryAdd) && !text.includes('"allowStale":true')) {
    throw new RecordingFormatError('it was made by an older safekeep, whose book read the latest before adding an entry (no allowStale); replay it with the version that made it');
  }
  const last = lines.length > 1 ? (parseLine(lines.at(-1) as string, lines.length) as Partial<RecordingEnd>) : {};
  const complete = last.end === RECORDING_FORMAT;
  if (complete) lines.pop();
  if (complete && last.steps !== lines.length - 1) throw new RecordingFormatError(`the recording ends saying it has ${last.steps} steps, but it has ${lines.length - 1}`);
  return { header: header as RecordingHeader, lines: lines.slice(1), complete };
}

/** Whether a step line is the store batch that adds a book entry: a put of the user record, then one of the entry. */
function isEntryAdd(line: string): boolean {
  if (!line.includes('"name":"store.command"') || !line.includes('"op":"batch"') || !line.includes('"collection":"book.entries"')) return false;
  try {
    const writes = (JSON.parse(line) as { payload?: { writes?: { op?: string; collection?: string }[] } }).payload?.writes ?? [];
    return writes.some((write, i) => write.op === 'put' && write.collection === 'book.users' && writes[i + 1]?.op === 'put' && writes[i + 1]?.collection === 'book.entries');
  } catch {
    return false; // a damaged line is reported where it is parsed as a step
  }
}

/** Step `seq` (on line `seq + 1`), parsed and checked. */
export function parseStepLine(line: string, seq: number): RecordedStep {
  const step = parseLine(line, seq + 1) as Partial<RecordedStep>;
  if (step.seq !== seq || typeof step.time !== 'number' || typeof step.kind !== 'string' || !STEP_KINDS.has(step.kind)) {
    throw new RecordingFormatError(`line ${seq + 1} is not step ${seq} of a recording`);
  }
  return step as RecordedStep;
}

function parseLine(line: string, number: number): unknown {
  try {
    const value: unknown = JSON.parse(line);
    if (isJsonObject(value)) return value;
  } catch {
    // Reported below, with the line number.
  }
  throw new RecordingFormatError(`line ${number} is not a JSON object`);
}
