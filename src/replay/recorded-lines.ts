import type { BusEventName } from '../bus/events.ts';
import { parseStepLine, RecordingFormatError, splitRecording } from './read-recording.ts';
import { isInput, type RecordedStep, type RecordingHeader } from './recording.ts';

/**
 * One step of a recording as a replay reads it. An input is parsed at once:
 * the replay feeds its payload. An output is only compared, by its line, with
 * the step the replay produces, so it is parsed only if something asks for
 * it (an id the host draws, the step a divergence names): a busy recording is
 * half outputs, and parsing them was a tenth of a replay.
 */
export class RecordedLine {
  readonly line: string;
  readonly seq: number;
  readonly kind: RecordedStep['kind'];
  /** The event's name (events only). */
  readonly name: BusEventName | undefined;
  readonly input: boolean;
  #step: RecordedStep | undefined;

  constructor(line: string, head: { seq: number; kind: RecordedStep['kind']; name: BusEventName | undefined }, step?: RecordedStep) {
    this.line = line;
    this.seq = head.seq;
    this.kind = head.kind;
    this.name = head.name;
    this.input = isInputHead(head.kind, head.name);
    this.#step = step;
  }

  /** Whether the line has been parsed (an input, or an output something asked for). */
  get parsed(): boolean {
    return this.#step !== undefined;
  }

  get step(): RecordedStep {
    this.#step ??= parseStepLine(this.line, this.seq);
    return this.#step;
  }
}

export interface RecordedLines {
  readonly header: RecordingHeader;
  readonly steps: readonly RecordedLine[];
  readonly complete: boolean;
}

/**
 * The start of a step line as the recorder writes it (`JSON.stringify` of a
 * step, keys in their fixed order): enough to tell an input from an output
 * without parsing the rest. A line that does not start so is parsed whole.
 */
const HEAD = /^\{"seq":(\d+),"time":-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?,"correlation":(?:null|"(?:[^"\\]|\\.)*"),"kind":"(event|id|timer|call|result)"(?:,"name":"([^"\\]+)")?/;

/**
 * Reads a recording for a replay: as `readRecording` does, except that an
 * output's line is checked only as far as its head (its number, time and
 * kind) until it is parsed. A damaged output line then shows as the step
 * where the replay differs, which the replay reports as a damaged recording
 * (`isDamaged`).
 */
export function readRecordedLines(text: string): RecordedLines {
  const { header, lines, complete } = splitRecording(text);
  const steps = lines.map((line, index) => {
    const seq = index + 1;
    const head = HEAD.exec(line);
    if (head && Number(head[1]) === seq) {
      const kind = head[2] as RecordedStep['kind'];
      const name = head[3] as BusEventName | undefined;
      if ((kind !== 'event' || name !== undefined) && !isInputHead(kind, name)) return new RecordedLine(line, { seq, kind, name });
    }
    const step = parseStepLine(line, seq);
    return new RecordedLine(line, { seq, kind: step.kind, name: step.kind === 'event' ? step.name : undefined }, step);
  });
  return { header, steps, complete };
}

function isInputHead(kind: RecordedStep['kind'], name: BusEventName | undefined): boolean {
  return isInput(name === undefined ? { kind } : { kind, name });
}

/** Whether a recorded line is not a step at all (its head was whole, the rest is damaged). */
export function isDamaged(recorded: RecordedLine): boolean {
  try {
    void recorded.step;
    return false;
  } catch (error) {
    if (error instanceof RecordingFormatError) return true;
    throw error;
  }
}
